/**
 * The SQLite fast path (src/store/sqlite-direct.ts) writes what the Knex path writes, commits a
 * batch in one transaction, and isolates a failing unit of work in its savepoint.
 */
import { expect } from 'chai';
import {
  createRegistry,
  type Payments,
  payments,
  type Registry,
  type StoredEvent,
} from '../../src/index.js';
import type { RegisteredReceiver } from '../../src/signals/registry.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { Deliveries } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/event-store.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { migrateLatest } from '../../src/store/migrate.js';
import {
  type DirectAccess,
  type DirectConnection,
  insertStatement,
  runDirect,
} from '../../src/store/sqlite-direct.js';
import type { NewEvent } from '../../src/store/store-event.js';
import { tableNames } from '../../src/store/table-names.js';
import { signWebhook } from '../../src/testing/index.js';
import { webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';
import { fakeConnection } from '../helpers/sqlite-fake.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');
type Row = Record<string, unknown>;

const receiver = (name: string): RegisteredReceiver => ({
  name,
  pattern: '*',
  variants: undefined,
  atomic: false,
  skipStale: false,
  concurrency: undefined,
  fn: async () => {},
});

function newEvent(eventId: string, receivedAt: Date): NewEvent {
  const payload = { id: eventId, type: 'charge.succeeded', data: { object: { id: 'ch_1' } } };
  return {
    variant: 'stripe',
    provider: 'stripe',
    dedupeGroup: 'stripe',
    eventId,
    type: 'charge.succeeded',
    livemode: false,
    payloadText: JSON.stringify(payload),
    payload,
    receivedAt,
    createdAt: new Date(1_700_000_000_000),
    source: 'webhook',
  };
}

/** Inserts a row with the fast path's statements. */
function insertRow(connection: DirectConnection, table: string, row: Row): void {
  connection.runValues(insertStatement(table, Object.keys(row)), Object.values(row));
}

/** A minimal `events` row. */
const eventRow = (eventId: string): Row => ({
  variant: 'stripe',
  provider: 'stripe',
  event_id: eventId,
  type: 't',
  payload: '{}',
  status: 'ignored',
  received_at: new Date(),
});

/** A row without the columns that differ between two events by construction. */
function comparable(row: Row | undefined, drop: readonly string[]): Row {
  const copy = { ...row };
  for (const column of drop) delete copy[column];
  return copy;
}

describe('SQLite fast path', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Database;

  beforeEach(async () => {
    tmp = tempDir();
    db = openDatabase(tmp.file(), quiet);
    await migrateLatest(db, 'payments_', tables);
  });
  afterEach(async () => {
    await db.knex.destroy();
    tmp.remove();
  });

  it('is used for better-sqlite3 and only for it', async () => {
    expect(db.direct, 'better-sqlite3').not.to.equal(undefined);
    // Knex connects lazily: nothing listens there, and nothing is asked of it.
    const pg = openDatabase({ client: 'pg', connection: { host: '127.0.0.1', port: 1 } }, quiet);
    expect(pg.dialect).to.equal('postgres');
    expect(pg.direct, 'pg').to.equal(undefined);
    await pg.knex.destroy();
  });

  it('writes the rows and returns the results the Knex path does', async () => {
    const fast = new EventStore(db, tables);
    const knexPath = new EventStore({ ...db, direct: undefined }, tables);
    const receivedAt = new Date(1_700_000_123_456);
    const logRow = (event: StoredEvent, bodyInEvent: boolean) => ({
      variant: 'stripe',
      received_at: receivedAt,
      remote_ip: '127.0.0.1',
      headers: '{}',
      body: bodyInEvent ? null : 'x',
      body_size: 10,
      valid: true,
      status_code: 200,
      error: null,
      event: event.id,
      duration_ms: 3,
    });
    const receivers = [receiver('first'), receiver('second')];
    const noAtomic = async () => {
      throw new Error('no atomic receiver here');
    };
    const a = await fast.store({
      event: newEvent('evt_fast', receivedAt),
      receivers,
      runAtomic: noAtomic,
      leaseMs: 60_000,
      logRow,
    });
    const b = await knexPath.store({
      event: newEvent('evt_knex', receivedAt),
      receivers,
      runAtomic: noAtomic,
      leaseMs: 60_000,
      logRow,
    });
    // Results: the same but for ids (and leases: times taken from the clock, random tokens).
    const result = (r: typeof a) => ({
      duplicate: r.duplicate,
      event: { ...r.event, id: 0, eventId: '', payload: null },
      deliveries: r.deliveries.map((d) => ({
        ...d,
        id: 0,
        event: 0,
        lockedUntil: null,
        lease: '',
      })),
    });
    expect(result(a)).to.deep.equal(result(b));
    expect(a.deliveries.map((d) => d.lockedUntil)).to.satisfy((dates: unknown[]) =>
      dates.every((d) => d instanceof Date),
    );
    // Rows: the same values and the same SQLite types (dates as epoch ms, booleans as 0/1).
    const rowsOf = async (table: string, where: Row) =>
      (await db.knex(table).where(where).orderBy('id')) as Row[];
    const [eventA] = await rowsOf(tables.events, { id: a.event.id });
    const [eventB] = await rowsOf(tables.events, { id: b.event.id });
    expect(comparable(eventA, ['id', 'event_id', 'payload'])).to.deep.equal(
      comparable(eventB, ['id', 'event_id', 'payload']),
    );
    expect(eventA?.received_at).to.equal(receivedAt.getTime());
    expect(eventA?.livemode).to.equal(0);
    const deliveriesA = await rowsOf(tables.deliveries, { event: a.event.id });
    const deliveriesB = await rowsOf(tables.deliveries, { event: b.event.id });
    const drop = ['id', 'event', 'locked_until', 'lease_token', 'created_at'];
    expect(deliveriesA.map((r) => comparable(r, drop))).to.deep.equal(
      deliveriesB.map((r) => comparable(r, drop)),
    );
    expect(typeof deliveriesA[0]?.locked_until).to.equal('number');
    expect(deliveriesA.map((r) => r.lease_token)).to.deep.equal(a.deliveries.map((d) => d.lease));
    expect(deliveriesB.map((r) => r.lease_token)).to.deep.equal(b.deliveries.map((d) => d.lease));
    const logA = await rowsOf(tables.requests, { event: a.event.id });
    const logB = await rowsOf(tables.requests, { event: b.event.id });
    expect(logA.map((r) => comparable(r, ['id', 'event']))).to.deep.equal(
      logB.map((r) => comparable(r, ['id', 'event'])),
    );
    expect(logA[0]?.body).to.equal(null);

    // A duplicate: nothing new but its log line, and the stored event back.
    const again = await fast.store({
      event: newEvent('evt_fast', new Date()),
      receivers,
      runAtomic: noAtomic,
      leaseMs: 60_000,
      logRow,
    });
    expect(again.duplicate).to.equal(true);
    expect(again.deliveries).to.deep.equal([]);
    expect(again.event).to.deep.equal({ ...a.event, status: 'pending' });
    expect(await rowsOf(tables.requests, { event: a.event.id })).to.have.length(2);

    // Outcomes: the same rows and the same event status either way.
    const outcomes = (r: typeof a) => [
      { delivery: r.deliveries[0]!, record: { status: 'succeeded' as const } },
      {
        delivery: r.deliveries[1]!,
        record: {
          status: 'failed' as const,
          error: 'Error: no',
          nextAttemptAt: new Date(1_700_000_999_000),
        },
      },
    ];
    expect(await fast.settle(a.event.id, outcomes(a))).to.deep.equal({
      status: 'failed',
      lost: [],
    });
    expect(await knexPath.settle(b.event.id, outcomes(b))).to.deep.equal({
      status: 'failed',
      lost: [],
    });
    const settled = async (eventId: number) => ({
      event: comparable((await rowsOf(tables.events, { id: eventId }))[0], [
        'id',
        'event_id',
        'payload',
        'processed_at',
      ]),
      deliveries: (await rowsOf(tables.deliveries, { event: eventId })).map((r) =>
        comparable(r, [...drop, 'completed_at']),
      ),
    });
    expect(await settled(a.event.id)).to.deep.equal(await settled(b.event.id));
    // Recording an outcome gave up the lease: a second run claims the deliveries again.
    const deliveries = new Deliveries(db, tables);
    const all = async (r: typeof a) =>
      (
        await deliveries.claimForEvent(r.event.id, 60_000, { statuses: ['succeeded', 'failed'] })
      ).map((delivery) => ({ delivery, record: { status: 'succeeded' as const } }));
    expect((await fast.settle(a.event.id, await all(a))).status).to.equal('processed');
    expect((await knexPath.settle(b.event.id, await all(b))).status).to.equal('processed');
    expect(await settled(a.event.id)).to.deep.equal(await settled(b.event.id));
    const [processed] = await rowsOf(tables.events, { id: a.event.id });
    expect(processed?.status).to.equal('processed');
    expect(processed?.processed_at).to.be.a('number');
    // 'processed' (9 bytes) and a timestamp (6) leave no slack (src/store/row-slack.ts).
    expect(processed?.row_slack).to.deep.equal(Buffer.alloc(0));
    // The columns left out of the comparison (clock times) are written too, on both paths.
    for (const eventId of [a.event.id, b.event.id]) {
      for (const row of await rowsOf(tables.deliveries, { event: eventId })) {
        expect(row.locked_until).to.equal(null);
        expect(row.lease_token).to.equal(null);
        expect(row.completed_at).to.be.a('number');
      }
    }
  });

  it('answers pending for the outcomes of an event that is gone, as the Knex path does', async () => {
    const fast = new EventStore(db, tables);
    const knexPath = new EventStore({ ...db, direct: undefined }, tables);
    expect(await fast.settle(404, [])).to.deep.equal({ status: 'pending', lost: [] });
    expect(await knexPath.settle(404, [])).to.deep.equal({ status: 'pending', lost: [] });
    expect(await db.knex(tables.events).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
  });

  it('commits a batch once, and rolls back only the unit of work that threw', async () => {
    const commits: number[] = [];
    const committer = new GroupCommitter(db, {
      maxBatch: 10,
      maxWaitMs: 0,
      onCommit: (size) => commits.push(size),
    });
    const insert = (eventId: string, fail: boolean) =>
      committer.submit({
        knex: async () => {
          throw new Error('the Knex path must not run');
        },
        direct: (connection) => {
          insertRow(connection, tables.events, eventRow(eventId));
          if (fail) throw new Error(`refused ${eventId}`);
          return eventId;
        },
      });
    const settled = await Promise.allSettled([
      insert('evt_1', false),
      insert('evt_2', true),
      insert('evt_3', false),
    ]);
    expect(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason))),
    ).to.deep.equal(['evt_1', 'Error: refused evt_2', 'evt_3']);
    expect(commits).to.deep.equal([3]);
    const stored = (await db.knex(tables.events).orderBy('id').pluck('event_id')) as string[];
    expect(stored).to.deep.equal(['evt_1', 'evt_3']);
  });

  it('fails the whole batch, and writes nothing, when the transaction cannot start', async () => {
    const committer = new GroupCommitter(db, { maxBatch: 10, maxWaitMs: 0 });
    // Another connection holds the write lock past the busy timeout.
    const other = openDatabase({ filename: tmp.file(), busyTimeoutMs: 0 }, quiet);
    const busy = openDatabase({ filename: tmp.file(), busyTimeoutMs: 0 }, quiet);
    const lockedCommitter = new GroupCommitter(busy, { maxBatch: 10, maxWaitMs: 0 });
    try {
      await other.knex.raw('BEGIN IMMEDIATE');
      const unit = (eventId: string) =>
        lockedCommitter.submit({
          knex: async () => eventId,
          direct: (connection) => {
            insertRow(connection, tables.events, eventRow(eventId));
            return eventId;
          },
        });
      const settled = await Promise.allSettled([unit('evt_a'), unit('evt_b')]);
      expect(settled.map((s) => s.status)).to.deep.equal(['rejected', 'rejected']);
      expect(String((settled[0] as PromiseRejectedResult).reason)).to.match(/locked|busy/i);
      await other.knex.raw('ROLLBACK');
      expect(await db.knex(tables.events).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      // The connection is usable again: the next batch commits.
      expect(await unit('evt_c')).to.equal('evt_c');
      expect(await committer.submit({ knex: async () => 1, direct: () => 2 })).to.equal(2);
    } finally {
      await other.knex.destroy();
      await busy.knex.destroy();
    }
  });
});

describe('SQLite fast path savepoints', () => {
  const unit = (connection: DirectConnection, name: string) => {
    connection.run(`INSERT ${name}`);
    return name;
  };

  it('runs a batch where nothing fails without a savepoint statement', async () => {
    const { log, given, access } = fakeConnection({});
    const outcomes = await runDirect(access, [
      (c) => unit(c, 'a'),
      (c) => unit(c, 'b'),
      (c) => unit(c, 'c'),
    ]);
    expect(outcomes).to.deep.equal([
      { ok: true, value: 'a' },
      { ok: true, value: 'b' },
      { ok: true, value: 'c' },
    ]);
    expect(log).to.deep.equal(['BEGIN IMMEDIATE', 'INSERT a', 'INSERT b', 'INSERT c', 'COMMIT']);
    expect(given).to.deep.equal(['released']);
  });

  it('rolls back and runs the batch again, a savepoint per unit, when a unit throws', async () => {
    const { log, given, access } = fakeConnection({});
    const outcomes = await runDirect(access, [
      (c) => unit(c, 'a'),
      (c) => {
        unit(c, 'b');
        throw new Error('refused b');
      },
      (c) => unit(c, 'c'),
    ]);
    expect(outcomes.map((o) => (o.ok ? o.value : String(o.error)))).to.deep.equal([
      'a',
      'Error: refused b',
      'c',
    ]);
    const savepoint = 'SAVEPOINT koa_payments_job';
    const release = 'RELEASE SAVEPOINT koa_payments_job';
    expect(log).to.deep.equal([
      'BEGIN IMMEDIATE',
      'INSERT a',
      'INSERT b',
      'ROLLBACK',
      'BEGIN IMMEDIATE',
      savepoint,
      'INSERT a',
      release,
      savepoint,
      'INSERT b',
      'ROLLBACK TO SAVEPOINT koa_payments_job',
      release,
      savepoint,
      'INSERT c',
      release,
      'COMMIT',
    ]);
    expect(given).to.deep.equal(['released']);
  });
});

describe('SQLite fast path when SQLite fails', () => {
  it('fails the batch with the cause, without a second pass, when SQLite rolled back in the first', async () => {
    const { log, given, access, raw } = fakeConnection({});
    const run = runDirect(access, [
      () => 1,
      () => {
        raw.inTransaction = false; // what SQLite does on a full disk
        throw new Error('database or disk is full');
      },
      () => 3,
    ]);
    await run.then(
      () => expect.fail('the batch must fail'),
      (error: Error) => expect(error.message).to.equal('database or disk is full'),
    );
    expect(log).to.deep.equal(['BEGIN IMMEDIATE']);
    expect(given).to.deep.equal(['released']);
  });

  it('fails the batch, with the unit error as the cause, when it cannot begin again', async () => {
    const { log, given, access } = fakeConnection({
      'BEGIN IMMEDIATE': (occurrence) =>
        occurrence === 2 ? new Error('database is locked') : undefined,
    });
    const unitError = new Error('refused');
    const run = runDirect(access, [
      () => 1,
      () => {
        throw unitError;
      },
    ]);
    await run.then(
      () => expect.fail('the batch must fail'),
      (error: Error) => {
        expect(error.message).to.match(/could not run a batch again.*database is locked/);
        expect(error.cause).to.equal(unitError);
      },
    );
    expect(log).to.deep.equal(['BEGIN IMMEDIATE', 'ROLLBACK', 'BEGIN IMMEDIATE']);
    expect(given).to.deep.equal(['released']);
  });

  it('discards the connection when the ROLLBACK between the passes fails', async () => {
    const { given, access } = fakeConnection({
      ROLLBACK: new Error('cannot rollback - SQL statements in progress'),
    });
    const run = runDirect(access, [
      () => 1,
      () => {
        throw new Error('refused');
      },
    ]);
    await run.then(
      () => expect.fail('the batch must fail'),
      (error: Error) =>
        expect(error.message).to.match(/could not run a batch again.*cannot rollback/),
    );
    expect(given).to.deep.equal(['discarded: Error: koa-payments: a ROLLBACK failed']);
  });

  it('rejects with the cause when SQLite rolled the transaction back under a savepoint', async () => {
    const { given, access, log } = fakeConnection({
      'ROLLBACK TO SAVEPOINT koa_payments_job': new Error('no such savepoint: koa_payments_job'),
    });
    const run = runDirect(access, [
      () => 1,
      () => {
        throw new Error('database or disk is full');
      },
    ]);
    await run.then(
      () => expect.fail('the batch must fail'),
      (error: Error) => expect(error.message).to.equal('database or disk is full'),
    );
    // The second pass, with savepoints, is where it failed.
    expect(log.slice(-2)).to.deep.equal(['ROLLBACK TO SAVEPOINT koa_payments_job', 'ROLLBACK']);
    expect(given).to.deep.equal(['released']);
  });

  it('never returns a connection stuck in a transaction to the pool', async () => {
    const { given, access, log } = fakeConnection({
      ROLLBACK: new Error('cannot rollback - SQL statements in progress'),
    });
    const run = runDirect(access, [
      () => {
        throw new Error('disk I/O error');
      },
    ]);
    await run.then(
      () => expect.fail('the batch must fail'),
      (error: Error) => expect(error.message).to.equal('disk I/O error'),
    );
    expect(log).to.deep.equal(['BEGIN IMMEDIATE', 'ROLLBACK']);
    expect(given).to.deep.equal(['discarded: Error: koa-payments: a ROLLBACK failed']);
  });

  it('lets the Knex pool replace a discarded connection', async () => {
    const tmp = tempDir();
    const db = openDatabase(tmp.file(), quiet);
    try {
      await migrateLatest(db, 'payments_', tables);
      const access = db.direct as DirectAccess;
      const first = await access.acquire();
      first.run('BEGIN IMMEDIATE');
      access.discard(first, new Error('stuck'));
      const second = await access.acquire();
      expect(second.inTransaction).to.equal(false);
      expect(second.get('SELECT count(*) AS n FROM "payments_events"')).to.deep.equal({ n: 0 });
      access.release(second);
      expect(await db.knex(tables.events).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    } finally {
      await db.knex.destroy();
      tmp.remove();
    }
  });
});

describe('SQLite fast path and atomic receivers in one batch', () => {
  const SECRET = 'whsec_direct_mixed';
  let tmp: ReturnType<typeof tempDir>;
  let registry: Registry;
  let pay: Payments;
  /** Statements that went through Knex. */
  let viaKnex: string[];

  beforeEach(async () => {
    tmp = tempDir();
    registry = createRegistry();
    pay = payments({
      database: tmp.file(),
      registry,
      worker: false,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
    await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
    viaKnex = [];
    pay.knex.on('query', (query: { sql: string }) => viaKnex.push(query.sql));
  });
  const receive = (id: string, type: string) => {
    const payload = { id, type, created: 1_700_000_000, data: { object: { id: `ch_${id}` } } };
    const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
    return pay.receive('stripe', webhookRequest(body, headers));
  };
  const knexWrote = (table: string) => viaKnex.some((sql) => sql.includes(`into \`${table}\``));

  it('is what payments() uses on its SQLite file: nothing of a webhook goes through Knex', async () => {
    registry.receiver('charge.succeeded', async function plain() {});
    const results = await Promise.all([
      receive('evt_fast_1', 'charge.succeeded'),
      receive('evt_fast_2', 'charge.succeeded'),
    ]);
    await Promise.all(results.map((r) => r.dispatched));
    expect(viaKnex).to.deep.equal([]);
    const stored = await pay.events.list();
    expect(stored.map((e) => [e.eventId, e.status]).sort()).to.deep.equal([
      ['evt_fast_1', 'processed'],
      ['evt_fast_2', 'processed'],
    ]);
  });
  afterEach(async () => {
    await pay.close();
    tmp.remove();
  });

  it('stores plain and atomic events that share a commit (the batch takes the Knex path)', async () => {
    const ran: string[] = [];
    registry.receiver('charge.succeeded', async function plain({ event }) {
      ran.push(event.eventId);
    });
    registry.receiver(
      'charge.refunded',
      async function ledger({ trx, event }) {
        await trx!('ledger').insert({ event_id: event.eventId });
      },
      { atomic: true },
    );
    const batches: number[] = [];
    pay.on('store.committed', ({ size }) => {
      batches.push(size);
    });
    const results = await Promise.all([
      receive('evt_plain_1', 'charge.succeeded'),
      receive('evt_atomic', 'charge.refunded'),
      receive('evt_plain_2', 'charge.succeeded'),
    ]);
    await Promise.all(results.map((r) => r.dispatched));
    expect(batches[0], 'the three stores shared the first commit').to.equal(3);
    expect(knexWrote('payments_events'), 'the mixed batch went through Knex').to.equal(true);
    expect(results.map((r) => r.event.status)).to.deep.equal(['pending', 'processed', 'pending']);
    expect(ran.sort()).to.deep.equal(['evt_plain_1', 'evt_plain_2']);
    expect(await pay.knex('ledger').pluck('event_id')).to.deep.equal(['evt_atomic']);
    const statuses = await pay.events.list();
    expect(statuses.map((e) => [e.eventId, e.status]).sort()).to.deep.equal([
      ['evt_atomic', 'processed'],
      ['evt_plain_1', 'processed'],
      ['evt_plain_2', 'processed'],
    ]);
  });
});
