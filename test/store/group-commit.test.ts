import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Knex } from 'knex';
import {
  createRegistry,
  type Payments,
  payments,
  ReceiverFailedError,
  type Registry,
} from '../../src/index.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import type { PgAccess } from '../../src/store/postgres-direct.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { webhookRequest } from '../helpers/provider.js';
import { appWith, listen, type TestServer } from '../helpers/server.js';
import { fakeConnection } from '../helpers/sqlite-fake.js';

const SECRET = 'whsec_group_commit';
const run = promisify(execFile);

function signed(id: string, type = 'charge.succeeded') {
  const payload = { id, type, created: 1_700_000_000, data: { object: { id: `ch_${id}` } } };
  return signWebhook('stripe', { payload, secret: SECRET });
}

for (const dialect of DIALECTS)
  describe(`group commit on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let batches: number[];
    let runs: Map<string, number>;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
      runs = new Map();
      registry.receiver('charge.*', async function countRuns({ event }) {
        runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
      });
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        groupCommit: true,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await pay.migrate();
      batches = [];
      pay.on('store.committed', ({ size }) => {
        batches.push(size);
      });
    });

    afterEach(async () => {
      await pay.close();
      await db.cleanup();
    });

    const receive = (id: string, type?: string) => {
      const { body, headers } = signed(id, type);
      return pay.receive('stripe', webhookRequest(body, headers));
    };

    it('stores 200 concurrent webhooks over HTTP in shared transactions: none lost, none twice', async () => {
      const server: TestServer = await listen(appWith(pay));
      try {
        // 150 distinct events, 50 of them sent twice, all at once from another process.
        const { stdout } = await run(process.execPath, [
          '--import',
          'tsx',
          'test/fixtures/burst.ts',
          `${server.origin}/payments/process/stripe/`,
          SECRET,
          '150',
          '50',
        ]);
        const answers = JSON.parse(stdout) as { status: number; body: { duplicate: boolean } }[];
        expect(answers).to.have.length(200);
        expect(answers.every((a) => a.status === 200)).to.equal(true);
        expect(answers.filter((a) => a.body.duplicate === false)).to.have.length(150);
        expect(await count(db.reader, 'payments_events')).to.equal(150);
        expect(await count(db.reader, 'payments_deliveries')).to.equal(150);
        expect(runs.size).to.equal(150);
        expect([...runs.values()].every((n) => n === 1)).to.equal(true);
        // 200 stores, plus the recording of each run's outcomes (also group-committed).
        expect(batches.reduce((a, b) => a + b, 0)).to.be.at.least(200);
        expect(Math.max(...batches), 'some commits held several events').to.be.greaterThan(1);
      } finally {
        await server.close();
      }
    });

    it('stores two copies of one event in the same batch exactly once', async () => {
      const results = await Promise.all([
        receive('evt_twin'),
        receive('evt_other'),
        receive('evt_twin'),
      ]);
      await Promise.all(results.map((r) => r.dispatched));
      expect(batches[0], 'the three stores shared the first commit').to.equal(3);
      expect(results.map((r) => r.duplicate)).to.deep.equal([false, false, true]);
      expect(results[0]?.event.id).to.equal(results[2]?.event.id);
      expect(await count(db.reader, 'payments_events')).to.equal(2);
      expect(runs.get('evt_twin')).to.equal(1);
    });

    it('rolls back only the failing event of a batch; its neighbours are durable and answered', async () => {
      registry.receiver(
        'charge.failed',
        async function ledger({ trx, event }) {
          await trx!('ledger').insert({ event_id: event.eventId });
          throw new Error('ledger refuses this one');
        },
        { atomic: true },
      );
      registry.receiver(
        'charge.succeeded',
        async function ledgerOk({ trx, event }) {
          await trx!('ledger').insert({ event_id: event.eventId });
        },
        { atomic: true },
      );
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      const settled = await Promise.allSettled([
        receive('evt_n1'),
        receive('evt_bad', 'charge.failed'),
        receive('evt_n2'),
        receive('evt_n3'),
      ]);
      expect(settled.map((s) => s.status)).to.deep.equal([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((settled[1] as PromiseRejectedResult).reason).to.be.instanceOf(ReceiverFailedError);
      // On SQLite the four stores share the first commit, each in a savepoint; on Postgres a
      // store with an atomic receiver takes a transaction of its own, as without group commit.
      if (dialect === 'sqlite') {
        expect(batches[0], 'the four stores shared the first commit').to.equal(4);
      } else expect(batches[0], 'the first store committed alone').to.equal(1);
      const stored = (
        await db.reader('payments_events').orderBy('event_id').select('event_id')
      ).map((r: { event_id: string }) => r.event_id);
      expect(stored).to.deep.equal(['evt_n1', 'evt_n2', 'evt_n3']);
      const ledger = (await db.reader('ledger').orderBy('event_id').select('event_id')).map(
        (r: { event_id: string }) => r.event_id,
      );
      expect(ledger).to.deep.equal(['evt_n1', 'evt_n2', 'evt_n3']);
    });
  });

describe('group commit defaults', () => {
  it('is on for SQLite and Postgres unless turned off', async () => {
    for (const dialect of DIALECTS) {
      for (const groupCommit of [undefined, false]) {
        const db = await createTestDatabase(dialect);
        const pay = payments({
          database: db.setting,
          registry: createRegistry(),
          worker: false,
          variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
          ...(groupCommit === undefined ? {} : { groupCommit }),
        });
        try {
          await pay.migrate();
          const batches: number[] = [];
          pay.on('store.committed', ({ size }) => {
            batches.push(size);
          });
          const { body, headers } = signed('evt_default');
          await pay.receive('stripe', webhookRequest(body, headers));
          expect(batches.length > 0, `${dialect}, groupCommit ${groupCommit}`).to.equal(
            groupCommit === undefined,
          );
        } finally {
          await pay.close();
          await db.cleanup();
        }
      }
    }
  });
});

describe('group commit gathering', () => {
  /** A committer on a fake SQLite connection; `batches` gets the size of every COMMIT. */
  function committer(options: { maxBatch?: number; maxWaitMs: number }) {
    const { access, log } = fakeConnection({});
    const batches: number[] = [];
    const gc = new GroupCommitter(
      { knex: {} as Knex, direct: access },
      {
        maxBatch: options.maxBatch ?? 100,
        maxWaitMs: options.maxWaitMs,
        onCommit: (size) => batches.push(size),
      },
    );
    const unit = (value: string) =>
      gc.submit({
        knex: async () => expect.fail('the fast path runs these units'),
        direct: () => value,
      });
    return { gc, unit, batches, log };
  }

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  /**
   * Submits one unit per turn of the event loop until the first COMMIT or `limit` units; returns
   * how many it submitted, once all of them have committed.
   */
  async function stream(
    unit: (value: string) => Promise<string>,
    batches: number[],
    limit: number,
  ): Promise<number> {
    const pending: Promise<string>[] = [];
    while (batches.length === 0 && pending.length < limit) {
      pending.push(unit(`u${pending.length}`));
      await nextTurn();
    }
    await Promise.all(pending);
    return pending.length;
  }

  it('keeps gathering while each turn of the event loop brings more work', async () => {
    const { unit, batches } = committer({ maxWaitMs: 60_000 });
    const first = unit('a');
    // b arrives after the batch became due, c one turn after b: both still join it.
    const second = nextTurn().then(() => {
      const third = nextTurn().then(() => unit('c'));
      return Promise.all([unit('b'), third]);
    });
    expect(await Promise.all([first, second])).to.deep.equal(['a', ['b', 'c']]);
    expect(batches).to.deep.equal([3]);
  });

  it('commits at the first turn that brings nothing, long before maxWaitMs', async () => {
    const { unit, batches, log } = committer({ maxWaitMs: 60_000 });
    let committed = false;
    const alone = unit('alone').then((value) => {
      committed = true;
      return value;
    });
    let turns = 0;
    while (!committed && turns < 50) {
      await nextTurn();
      turns += 1;
    }
    expect(turns, 'turns of the event loop before the COMMIT').to.be.at.most(3);
    expect(await alone).to.equal('alone');
    expect(batches).to.deep.equal([1]);
    expect(log).to.deep.equal(['BEGIN IMMEDIATE', 'COMMIT']);
  });

  it('closes a batch at maxWaitMs while work keeps coming', async () => {
    const { unit, batches } = committer({ maxBatch: 1_000_000, maxWaitMs: 5 });
    const submitted = await stream(unit, batches, 200_000);
    // Every turn brought work: without the deadline, the first COMMIT would have come only
    // once the stream had ended, at 200 000 units.
    expect(submitted).to.be.below(200_000);
    expect(batches.reduce((a, b) => a + b, 0)).to.equal(submitted);
  });

  it('closes a batch at maxBatch while work keeps coming', async () => {
    const { unit, batches } = committer({ maxBatch: 2, maxWaitMs: 60_000 });
    const submitted = await stream(unit, batches, 1_000);
    // Without the bound, the first batch would have gathered until the stream ended.
    expect(submitted).to.be.at.most(4);
    expect(batches[0]).to.equal(2);
  });

  it('does not gather at all with maxWaitMs 0', async () => {
    const { unit, batches } = committer({ maxWaitMs: 0 });
    const first = unit('a');
    const later = nextTurn().then(() => unit('b'));
    await Promise.all([first, later]);
    expect(batches).to.deep.equal([1, 1]);
  });

  it('waits for a ticketed request that takes several turns to arrive', async () => {
    const { gc, unit, batches } = committer({ maxWaitMs: 60_000 });
    const ticket = gc.ticket();
    const first = unit('a');
    // A request whose body takes five turns to read and verify.
    const later = (async () => {
      for (let i = 0; i < 5; i += 1) await nextTurn();
      ticket.close();
      return unit('b');
    })();
    expect(await Promise.all([first, later])).to.deep.equal(['a', 'b']);
    expect(batches).to.deep.equal([2]);
  });

  it('does not wait past maxWaitMs for a ticketed request that never comes', async () => {
    const { gc, unit, batches } = committer({ maxWaitMs: 20 });
    gc.ticket(); // never closed
    // Mocha's timeout fails this test if the batch waits for the ticketed request forever.
    expect(await unit('a')).to.equal('a');
    expect(batches).to.deep.equal([1]);
  });
});

describe('group commit on Postgres, when a batch fails', () => {
  /**
   * A committer on a fake Postgres access whose batches fail with `error`; counts the units run
   * alone afterwards.
   */
  async function failingBatch(error: Error) {
    let alone = 0;
    const access: PgAccess = {
      async run(step) {
        alone += 1;
        return step.result([]);
      },
      async runBatch() {
        throw error;
      },
    };
    const gc = new GroupCommitter(
      { knex: {} as Knex, postgres: access },
      { maxBatch: 10, maxWaitMs: 0 },
    );
    // Submitted in one turn of the event loop: one batch.
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((value) =>
        gc.submit({
          knex: async () => expect.fail('the fast path runs these units'),
          postgres: () => ({
            statement: { name: 'koa_payments_test', text: 'SELECT 1' },
            values: [],
            locks: [],
            result: () => value,
          }),
        }),
      ),
    );
    return { alone, outcomes };
  }

  it('runs each unit alone when the server refused the batch: nothing of it was committed', async () => {
    const refused = Object.assign(new Error('value too long'), { code: '22001' });
    const { alone, outcomes } = await failingBatch(refused);
    expect(alone).to.equal(3);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason))).to.deep.equal([
      'a',
      'b',
      'c',
    ]);
  });

  it('fails every unit, running none again, when the connection failed and the COMMIT may have happened', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const { alone, outcomes } = await failingBatch(lost);
    // Run again, a unit whose rows were committed would find them and answer as a duplicate.
    expect(alone).to.equal(0);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value))).to.deep.equal([
      lost,
      lost,
      lost,
    ]);
  });
});

describe('group commit on Postgres, with a unit that has no statement of its own', () => {
  it('answers the batch without waiting for it, and runs it in a Knex transaction alone', async () => {
    const batches: number[][] = [];
    const access: PgAccess = {
      run: async () => expect.fail('a batch of two runs as one'),
      async runBatch(steps) {
        batches.push(steps.map((step) => step.values[0] as number));
        return steps.map(() => []);
      },
    };
    let transactions = 0;
    const knex = {
      async transaction(run: (trx: unknown) => Promise<unknown>) {
        transactions += 1;
        return run({});
      },
    } as unknown as Knex;
    const gc = new GroupCommitter({ knex, postgres: access }, { maxBatch: 10, maxWaitMs: 0 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fast = (n: number) =>
      gc.submit({
        knex: async () => expect.fail('it has a statement'),
        postgres: () => ({
          statement: { name: 'koa_payments_test', text: 'SELECT 1' },
          values: [n],
          locks: [],
          result: () => `stored ${n}`,
        }),
      });
    // Submitted in one turn: one batch. The atomic one (its receiver still running) comes first.
    const atomic = gc.submit({
      knex: async () => {
        await released;
        return 'atomic';
      },
    });
    const stored = await Promise.all([fast(1), fast(2)]);
    expect(stored).to.deep.equal(['stored 1', 'stored 2']);
    expect(batches).to.deep.equal([[1, 2]]);
    release();
    expect(await atomic).to.equal('atomic');
    expect(transactions).to.equal(1);
  });
});
