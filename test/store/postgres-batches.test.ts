import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createRegistry, payments } from '../../src/index.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { batchParts, lockKey, MAX_BATCH_TEXT } from '../../src/store/postgres-batches.js';
import {
  type PgAccess,
  type PgStep,
  postgresAccess,
  prepared,
} from '../../src/store/postgres-direct.js';
import { storeEventStatements } from '../../src/store/store-event.js';
import { postgresStoreStep } from '../../src/store/store-event-postgres.js';
import { tableNames } from '../../src/store/table-names.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { webhookRequest } from '../helpers/provider.js';

const STATEMENT = { name: 'koa_payments_test', text: 'SELECT 1' };

/** A step that locks `locks` and answers `value`. */
function step(value: string, locks: string[], values: unknown[] = [value]): PgStep<string> {
  return { statement: STATEMENT, values, locks, result: () => value };
}

/** The values of a batch's steps, part by part, in the order they run. */
function partsOf(steps: PgStep<string>[], maxText?: number) {
  return [...batchParts(steps, maxText)].map((part) => ({
    values: part.positions.map((i) => steps[i]?.values[0]),
    text: part.text,
  }));
}

describe('postgres batches', () => {
  it('runs the steps of two batches in one order of their keys, whatever order they arrived in', () => {
    const x = (value: string) => step(value, [lockKey('objects', 'stripe', 'pi_x')]);
    const y = (value: string) => step(value, [lockKey('objects', 'stripe', 'pi_y')]);
    const first = partsOf([x('x1'), y('y1')]);
    const second = partsOf([y('y2'), x('x2')]);
    expect(first.map((p) => p.values)).to.deep.equal([['x1', 'y1']]);
    expect(second.map((p) => p.values)).to.deep.equal([['x2', 'y2']]);
    expect(second[0]?.text).to.equal(
      "EXECUTE koa_payments_test_b('x2'); EXECUTE koa_payments_test_b('y2')",
    );
  });

  it('orders by every key in turn, and keeps the arrival order of steps with the same keys', () => {
    const steps = [
      step('b-late', ['b']),
      step('a-z', ['a', 'z']),
      step('a', ['a']),
      step('b-early', ['b']),
      step('a-c', ['a', 'c']),
    ];
    expect(partsOf(steps)[0]?.values).to.deep.equal(['a', 'a-c', 'a-z', 'b-late', 'b-early']);
  });

  it('cuts a batch whose text would pass the bound; a step past it alone runs alone', () => {
    const body = (n: number) => 'x'.repeat(n);
    const steps = ['a', 'b', 'c', 'd', 'e'].map((key, i) =>
      step(key, [key], [key, body(i === 3 ? 200 : 30)]),
    );
    const parts = partsOf(steps, 150);
    expect(parts.map((p) => p.values)).to.deep.equal([['a', 'b'], ['c'], ['d'], ['e']]);
    for (const part of parts) {
      if (part.text !== undefined) expect(Buffer.byteLength(part.text)).to.be.at.most(150);
    }
    // One part of one step is bound alone: its text is not built for nothing.
    expect(parts.slice(1).every((p) => p.text === undefined)).to.equal(true);
    expect(MAX_BATCH_TEXT).to.equal(16 * 1024 * 1024);
  });

  it('runs alone a step whose values a text cannot carry (a NUL); the others stay batched', () => {
    const parts = partsOf([step('a', ['a']), step('b', ['b'], ['b\0']), step('c', ['c'])]);
    expect(parts).to.deep.equal([
      { values: ['b\0'], text: undefined },
      {
        values: ['a', 'c'],
        text: "EXECUTE koa_payments_test_b('a'); EXECUTE koa_payments_test_b('c')",
      },
    ]);
  });

  it('declares the rows a store step locks, in the order its statement takes them', () => {
    const t = tableNames('payments_');
    const input = {
      event: {
        variant: 'stripe',
        provider: 'stripe',
        eventId: 'evt_1',
        type: 'payment_intent.succeeded',
        livemode: false,
        payloadText: '{}',
        payload: {},
        receivedAt: new Date(),
        createdAt: undefined,
        dedupeGroup: 'stripe',
        source: 'webhook' as const,
      },
      receivers: [],
      object: { type: 'payment_intent', id: 'pi_1', data: '{}', path: null, refreshOnTie: false },
      payment: { signal: 'payment:succeeded', key: 'payment:succeeded:pi_1', receivers: [] },
      runAtomic: async () => {},
      leaseMs: 1_000,
    };
    const stored = postgresStoreStep(storeEventStatements(t), t, input, 'lease');
    expect(stored.locks).to.deep.equal([
      lockKey('payments_objects', 'stripe', 'payment_intent', 'pi_1'),
      lockKey('payments_payment_signals', 'stripe', 'payment:succeeded:pi_1'),
      lockKey('payments_events', 'stripe', 'evt_1'),
    ]);
    const bare = postgresStoreStep(
      storeEventStatements(t),
      t,
      { ...input, object: undefined, payment: undefined },
      'lease',
    );
    expect(bare.locks).to.deep.equal([lockKey('payments_events', 'stripe', 'evt_1')]);
  });
});

describe('group commit on Postgres, a batch past the text bound', () => {
  /** A committer whose batches of at most `maxBatchText` bytes go to `runBatch`. */
  function committer(runBatch: PgAccess['runBatch']) {
    const alone: string[] = [];
    const access: PgAccess = {
      async run(s) {
        alone.push(s.values[0] as string);
        return s.result([]);
      },
      runBatch,
    };
    const commits: number[] = [];
    const gc = new GroupCommitter(
      { knex: {} as Knex, postgres: access },
      { maxBatch: 10, maxWaitMs: 0, maxBatchText: 150, onCommit: (n) => commits.push(n) },
    );
    // Submitted in one turn of the event loop: one batch, of three parts.
    const submitAll = () =>
      Promise.allSettled(
        ['c', 'a', 'e', 'b', 'd'].map((key) =>
          gc.submit({
            knex: async () => expect.fail('the fast path runs these units'),
            postgres: () => step(key, [key], [key, 'x'.repeat(30)]),
          }),
        ),
      );
    return { alone, commits, submitAll };
  }

  const outcomes = (settled: PromiseSettledResult<string>[]) =>
    settled.map((o) => (o.status === 'fulfilled' ? o.value : o.reason));

  it('sends it in parts within the bound, each unit once, each answered with its own result', async () => {
    const sent: string[][] = [];
    const { alone, commits, submitAll } = committer(async (steps, text) => {
      expect(Buffer.byteLength(text)).to.be.at.most(150);
      sent.push(steps.map((s) => s.values[0] as string));
      return steps.map(() => []);
    });
    expect(outcomes(await submitAll())).to.deep.equal(['c', 'a', 'e', 'b', 'd']);
    expect(sent).to.deep.equal([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(alone).to.deep.equal(['e']);
    expect(commits).to.deep.equal([2, 2, 1]);
  });

  it('runs alone the units of a part the server refused, and only those', async () => {
    const { alone, commits, submitAll } = committer(async (steps) => {
      if (steps[0]?.values[0] === 'c') throw Object.assign(new Error('refused'), { code: '22001' });
      return steps.map(() => []);
    });
    expect(outcomes(await submitAll())).to.deep.equal(['c', 'a', 'e', 'b', 'd']);
    expect(alone).to.deep.equal(['c', 'd', 'e']);
    expect(commits).to.deep.equal([2, 2, 1]);
  });

  it('fails the units of a part whose connection failed, runs none of them again, answers the rest', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const { alone, commits, submitAll } = committer(async (steps) => {
      if (steps[0]?.values[0] === 'c') throw lost;
      return steps.map(() => []);
    });
    expect(outcomes(await submitAll())).to.deep.equal([lost, 'a', 'e', 'b', lost]);
    expect(alone).to.deep.equal(['e']);
    expect(commits).to.deep.equal([2, 1]);
  });
});

describe('group commit on Postgres, a unit that fails on its own', () => {
  it('fails alone a unit whose step throws as it is built, or whose rows cannot be read after COMMIT', async () => {
    const sent: string[][] = [];
    const access: PgAccess = {
      run: async () => expect.fail('a batch of three runs as one'),
      async runBatch(steps) {
        sent.push(steps.map((s) => s.values[0] as string));
        return steps.map(() => []);
      },
    };
    const commits: number[] = [];
    const gc = new GroupCommitter(
      { knex: {} as Knex, postgres: access },
      { maxBatch: 10, maxWaitMs: 0, onCommit: (n) => commits.push(n) },
    );
    const unreadable = new Error('unreadable row');
    const unbuildable = new Error('no statement');
    const unit = (postgres: () => PgStep<string>) =>
      gc.submit({ knex: async () => expect.fail('the fast path runs these units'), postgres });
    // Submitted in one turn of the event loop: one batch.
    const outcomes = await Promise.allSettled([
      unit(() => step('a', ['a'])),
      unit(() => {
        throw unbuildable;
      }),
      unit(() => ({ ...step('b', ['b']), result: () => Promise.reject(unreadable) as never })),
      unit(() => ({
        ...step('c', ['c']),
        result: () => {
          throw unreadable;
        },
      })),
      unit(() => step('d', ['d'])),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason))).to.deep.equal([
      'a',
      unbuildable,
      unreadable,
      unreadable,
      'd',
    ]);
    expect(sent).to.deep.equal([['a', 'b', 'c', 'd']]);
    expect(commits).to.deep.equal([4]);
  });
});

describe('group commit on Postgres, two batches locking the same rows', () => {
  let db: TestDatabase;
  let knex: Knex;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    knex = knexFactory({ ...db.config(), pool: { min: 0, max: 4 } });
    await knex.schema.createTable('probe', (t) => {
      t.string('k').primary();
      t.integer('n').notNullable();
    });
    await knex('probe').insert(['w1', 'w2', 'x', 'y'].map((k) => ({ k, n: 0 })));
  });

  afterEach(async () => {
    await knex.destroy();
    await db.cleanup();
  });

  it('takes the locks in one order: neither batch deadlocks, both commit whole', async () => {
    const real = postgresAccess(knex) as PgAccess;
    const failures: unknown[] = [];
    let alone = 0;
    const access: PgAccess = {
      run(s) {
        alone += 1;
        return real.run(s);
      },
      async runBatch(steps, text) {
        try {
          return await real.runBatch(steps, text);
        } catch (error) {
          failures.push((error as { code?: string }).code);
          throw error;
        }
      },
    };
    const commits: number[] = [];
    const gc = new GroupCommitter(
      { knex, postgres: access },
      { maxBatch: 3, maxWaitMs: 0, onCommit: (n) => commits.push(n) },
    );
    const bump = prepared('UPDATE "probe" SET "n" = "n" + 1 WHERE "k" = $1::text RETURNING "n"');
    const unit = (k: string) =>
      gc.submit({
        knex: async () => expect.fail('the fast path runs these units'),
        postgres: () => ({
          statement: bump,
          values: [k],
          locks: [k],
          result: (rows) => Number(rows[0]?.n),
        }),
      });
    // Another transaction holds w1 and w2. In arrival order, batch 1 would lock x then wait for
    // w1, batch 2 lock y then wait for w2; once w1 and w2 are free, each would wait for the
    // other's row: a deadlock. In key order, both take w* first, then x, then y.
    const blocker = await db.reader.transaction();
    await blocker.raw(`SELECT * FROM "probe" WHERE "k" IN ('w1', 'w2') FOR UPDATE`);
    const done = Promise.all(['x', 'w1', 'y', 'y', 'w2', 'x'].map(unit));
    await bothWaitingForLocks(db.reader);
    await blocker.commit();
    expect((await done).sort()).to.deep.equal([1, 1, 1, 1, 2, 2]);
    expect(failures, 'no batch was aborted (40P01: deadlock)').to.deep.equal([]);
    expect(alone, 'no unit ran again alone').to.equal(0);
    expect(commits).to.deep.equal([3, 3]);
  });
});

/**
 * Polls the server until two of its sessions wait for a lock (no timing assumed); fails with a
 * message after 10 s.
 */
async function bothWaitingForLocks(reader: Knex): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (Date.now() > deadline) expect.fail('the two batches never both waited for a lock');
    const { rows } = (await reader.raw(
      `SELECT count(*)::integer AS n FROM pg_stat_activity ` +
        `WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )) as { rows: { n: number }[] };
    if (rows[0]?.n === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('group commit on Postgres, webhooks past the text bound together', () => {
  const SECRET = 'whsec_batch_text';
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
  });

  afterEach(async () => {
    await db.cleanup();
  });

  it('stores each once, in parts within the bound, and runs each receiver once', async () => {
    const registry = createRegistry();
    const runs = new Map<string, number>();
    registry.receiver('charge.succeeded', async function countRuns({ event }) {
      runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
    });
    const pay = payments({
      database: db.setting,
      registry,
      worker: false,
      bodyLimit: '8mb',
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    try {
      await pay.migrate();
      const commits: number[] = [];
      pay.on('store.committed', ({ size }) => {
        commits.push(size);
      });
      // Three bodies of 6 MB: two fit in the 16 MB bound, the third does not.
      const big = 'x'.repeat(6 * 1024 * 1024);
      const requests = ['evt_a', 'evt_b', 'evt_c'].map((id) => {
        const payload = {
          id,
          type: 'charge.succeeded',
          created: 1_700_000_000,
          data: { object: { id: `ch_${id}`, object: 'charge', note: big } },
        };
        const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
        return webhookRequest(body, headers);
      });
      const results = await Promise.all(requests.map((r) => pay.receive('stripe', r)));
      await Promise.all(results.map((r) => r.dispatched));
      expect(results.map((r) => r.duplicate)).to.deep.equal([false, false, false]);
      expect(commits[0], 'the first part held two of the three').to.equal(2);
      expect(await count(db.reader, 'payments_events')).to.equal(3);
      const lengths = await db.reader('payments_events').select(db.reader.raw('length(payload)'));
      expect(lengths.every((row: { length: number }) => row.length > big.length)).to.equal(true);
      expect([...runs.entries()].sort()).to.deep.equal([
        ['evt_a', 1],
        ['evt_b', 1],
        ['evt_c', 1],
      ]);
    } finally {
      await pay.close();
    }
  });
});
