/**
 * The Postgres fast path (src/store/postgres-direct.ts) writes what the Knex path writes, and
 * where one statement cannot decide (another transaction raced it), the result is still the Knex
 * path's.
 */
import { expect } from 'chai';
import type { StoredEvent } from '../../src/index.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/event-store.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { migrateLatest } from '../../src/store/migrate.js';
import { lostRace } from '../../src/store/postgres-direct.js';
import { settleStatements } from '../../src/store/settle.js';
import type { StoreInput } from '../../src/store/store-event.js';
import { tableNames } from '../../src/store/table-names.js';
import type { LeasedDelivery } from '../../src/store/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { newEvent, receiver } from '../helpers/store-input.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');
type Row = Record<string, unknown>;

const logRow = (event: StoredEvent, bodyInEvent: boolean) => ({
  variant: 'stripe',
  received_at: new Date(1_700_000_123_456),
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

/**
 * A row without the columns that differ between two events by construction; times written at
 * the store's clock only as set or not.
 */
function comparable(row: Row | undefined, drop: readonly string[]): Row {
  const copy = { ...row };
  for (const column of drop) delete copy[column];
  for (const [column, value] of Object.entries(copy)) {
    if (value instanceof Date && value.getTime() !== 1_700_000_123_456) copy[column] = 'a time';
  }
  return copy;
}

describe('Postgres fast path', () => {
  let testDb: TestDatabase;
  let db: Database;
  let fast: EventStore;
  let knexPath: EventStore;

  beforeEach(async () => {
    testDb = await createTestDatabase('postgres');
    db = openDatabase(testDb.setting, quiet);
    await migrateLatest(db, 'payments_', tables);
    fast = new EventStore(db, tables);
    knexPath = new EventStore({ ...db, postgres: undefined }, tables);
  });
  afterEach(async () => {
    await db.knex.destroy();
    await testDb.cleanup();
  });

  const input = (eventId: string, overrides: Partial<StoreInput> = {}): StoreInput => ({
    event: newEvent(eventId, new Date(1_700_000_123_456)),
    receivers: [receiver('orders'), receiver('audit', true)],
    object: {
      type: 'charge',
      id: `ch_${eventId}`,
      version: 1_700_000_000_000_000,
      data: '{"id":"ch_1"}',
      path: null,
      refreshOnTie: true,
    },
    runAtomic: async () => {},
    leaseMs: 60_000,
    logRow,
    ...overrides,
  });

  it('retries on the Knex path only the errors of a lost race', () => {
    for (const code of ['23505', '23502', '40001', '40P01'])
      expect(lostRace({ code })).to.equal(true);
    // A foreign-key or check violation, a value too long, no code: failures, not races.
    for (const code of ['23503', '23514', '22001', undefined]) {
      expect(lostRace({ code }), String(code)).to.equal(false);
    }
  });

  it('is used for pg', () => {
    expect(db.postgres, 'pg').not.to.equal(undefined);
  });

  it('writes the rows and returns the results the Knex path does', async () => {
    const fromFast = await fast.store(input('evt_fast'));
    const fromKnex = await knexPath.store(input('evt_knex'));
    // The two events differ by their ids, which their payloads hold.
    const drop = ['id', 'event', 'event_id', 'payload', 'lease_token', 'locked_until', 'object_id'];
    const own = ['id', 'eventId', 'payload'];
    expect(comparable(fromFast.event as unknown as Row, own)).to.deep.equal(
      comparable(fromKnex.event as unknown as Row, own),
    );
    expect(fromFast.deliveries.map((d) => d.receiver)).to.deep.equal(
      fromKnex.deliveries.map((d) => d.receiver),
    );
    const rows = async (table: string, eventId: string) => {
      const [event] = (await testDb.reader(tables.events).where({ event_id: eventId })) as Row[];
      const id = event?.id;
      const of = table === tables.events ? { id } : { event: id };
      return ((await testDb.reader(table).where(of).orderBy('id')) as Row[]).map((r) =>
        comparable(r, drop),
      );
    };
    for (const table of [tables.events, tables.deliveries, tables.requests, tables.objects]) {
      expect(await rows(table, 'evt_fast'), table).to.deep.equal(await rows(table, 'evt_knex'));
    }

    // A duplicate: its log line only, and the stored event.
    const again = await fast.store(input('evt_fast'));
    expect(again.duplicate).to.equal(true);
    expect(again.event.id).to.equal(fromFast.event.id);
    expect(again.event.payload).to.deep.equal(fromFast.event.payload);
    expect(await rows(tables.requests, 'evt_fast')).to.have.length(2);
    expect(await rows(tables.deliveries, 'evt_fast')).to.have.length(2);
  });

  it('decides staleness, skipped deliveries and ties as the Knex path does', async () => {
    const older = { version: 1, data: '{"v":1}' };
    const newer = { version: 2, data: '{"v":2}' };
    const write = (version: { version: number; data: string }) => ({
      type: 'charge',
      id: 'ch_same',
      ...version,
      path: null,
      refreshOnTie: true,
    });
    for (const [store, prefix] of [
      [fast, 'f'],
      [knexPath, 'k'],
    ] as const) {
      await testDb.reader(tables.objects).delete();
      const first = await store.store(input(`${prefix}_newer`, { object: write(newer) }));
      const stale = await store.store(input(`${prefix}_older`, { object: write(older) }));
      const tie = await store.store(input(`${prefix}_tie`, { object: write(newer) }));
      expect(first.event.stale, prefix).to.equal(false);
      expect(stale.event.stale, prefix).to.equal(true);
      expect(stale.skipped, prefix).to.deep.equal(['audit']);
      expect(
        stale.deliveries.map((d) => d.receiver),
        prefix,
      ).to.deep.equal(['orders']);
      expect(tie.event.stale, prefix).to.equal(false);
      const [entry] = (await testDb.reader(tables.objects)) as Row[];
      expect(Number(entry?.version), prefix).to.equal(2);
      expect(entry?.refresh_requested_at, prefix).not.to.equal(null);
    }
  });

  it('stores one of many concurrent copies of an event and answers the others as duplicates', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => fast.store(input('evt_same'))),
    );
    expect(results.filter((r) => !r.duplicate)).to.have.length(1);
    expect(new Set(results.map((r) => r.event.id)).size).to.equal(1);
    expect(await testDb.reader(tables.events).where({ event_id: 'evt_same' })).to.have.length(1);
    expect(await testDb.reader(tables.deliveries)).to.have.length(2);
    expect(await testDb.reader(tables.requests)).to.have.length(6);
  });

  it('refreshes the status afresh when another runner settled the same event meanwhile', async () => {
    const stored = await fast.store(input('evt_race', { object: undefined }));
    const [orders, audit] = stored.deliveries as [LeasedDelivery, LeasedDelivery];
    // Another runner holds the event row: it has recorded `audit` and is about to commit.
    const other = await testDb.reader.transaction();
    try {
      await other(tables.deliveries)
        .where({ id: audit.id })
        .update({ status: 'succeeded', lease_token: null, locked_until: null });
      await other(tables.events).where({ id: stored.event.id }).update({ status: 'pending' });
      const settling = fast.settle(stored.event.id, [
        { delivery: orders, record: { status: 'succeeded' } },
      ]);
      // This runner's statement has begun (its snapshot does not see `audit` succeed) and waits
      // for the event row.
      for (;;) {
        const [waiting] = (
          await testDb.reader.raw(
            `SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`,
          )
        ).rows as { n: string }[];
        if (Number(waiting?.n) > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await other.commit();
      const settled = await settling;
      expect(settled.status).to.equal('processed');
      expect(settled.lost).to.deep.equal([]);
    } finally {
      if (!other.isCompleted()) await other.rollback();
    }
    const event = await testDb.reader(tables.events).where({ id: stored.event.id }).first();
    expect(event.status).to.equal('processed');
    expect(event.processed_at).not.to.equal(null);
  });

  it('records nothing under a lease another runner took over, and says which', async () => {
    const stored = await fast.store(input('evt_lost', { object: undefined }));
    const [orders, audit] = stored.deliveries as [LeasedDelivery, LeasedDelivery];
    await testDb.reader(tables.deliveries).where({ id: audit.id }).update({ lease_token: 'other' });
    const settled = await fast.settle(stored.event.id, [
      { delivery: orders, record: { status: 'succeeded' } },
      { delivery: audit, record: { status: 'succeeded' } },
    ]);
    expect(settled.lost.map((d) => d.id)).to.deep.equal([audit.id]);
    expect(settled.status).to.equal('pending');
    const row = await testDb.reader(tables.deliveries).where({ id: audit.id }).first();
    expect(row.status).to.equal('pending');
  });

  it('settles through an index in the plan a connection caches on an empty table', async () => {
    // A named statement's cached plan is made at its first executions, when a new install's
    // tables are empty; it must not scan every delivery once they have grown.
    const client = await testDb.reader.client.acquireConnection();
    try {
      const text = settleStatements(tables).postgres.text;
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE settle AS ${text}`);
      const arrays = Array.from({ length: 11 }, () => "'{NULL}'").join(', ');
      const { rows } = (await client.query(`EXPLAIN EXECUTE settle(1, now(), ${arrays})`)) as {
        rows: { 'QUERY PLAN': string }[];
      };
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.to.include(`Seq Scan on ${tables.deliveries}`);
      expect(plan).not.to.include(`Seq Scan on ${tables.events}`);
    } finally {
      await testDb.reader.client.releaseConnection(client);
    }
  });

  describe('with group commit', () => {
    let batches: number[];
    let grouped: EventStore;

    beforeEach(() => {
      batches = [];
      const committer = new GroupCommitter(db, {
        maxBatch: 100,
        maxWaitMs: 2,
        onCommit: (size) => batches.push(size),
      });
      grouped = new EventStore(db, tables, committer);
    });

    it('stores a batch in one commit, two copies of one event in it once', async () => {
      const results = await Promise.all([
        grouped.store(input('evt_a')),
        grouped.store(input('evt_twin')),
        grouped.store(input('evt_b', { object: undefined, logRow: undefined })),
        grouped.store(input('evt_twin')),
      ]);
      expect(batches[0], 'one commit').to.equal(4);
      expect(results.map((r) => r.duplicate)).to.deep.equal([false, false, false, true]);
      expect(results[3]?.event.id).to.equal(results[1]?.event.id);
      expect(await testDb.reader(tables.events)).to.have.length(3);
      expect(await testDb.reader(tables.deliveries)).to.have.length(6);
      expect(await testDb.reader(tables.requests)).to.have.length(3);
      const settled = await Promise.all(
        results
          .filter((r) => !r.duplicate)
          .map((r) =>
            grouped.settle(
              r.event.id,
              r.deliveries.map((delivery) => ({ delivery, record: { status: 'succeeded' } })),
            ),
          ),
      );
      expect(settled.map((s) => s.status)).to.deep.equal(['processed', 'processed', 'processed']);
    });

    it('fails only the webhook whose statement fails; its neighbours are durable and answered', async () => {
      const results = await Promise.allSettled([
        grouped.store(input('evt_n1')),
        grouped.store(input('evt_bad', { receivers: [receiver('x'.repeat(300))] })),
        grouped.store(input('evt_n2')),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      const stored = (await testDb.reader(tables.events).orderBy('event_id')) as Row[];
      expect(stored.map((r) => r.event_id)).to.deep.equal(['evt_n1', 'evt_n2']);
      expect(await testDb.reader(tables.deliveries)).to.have.length(4);
    });
  });
});
