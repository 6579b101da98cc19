import { expect } from 'chai';
import Emittery from 'emittery';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { Pauses } from '../../src/dispatch/pauses.js';
import { Worker } from '../../src/dispatch/worker.js';
import {
  createRegistry,
  type Logger,
  type Payments,
  payments,
  type Registry,
} from '../../src/index.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { Deliveries } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/event-store.js';
import { PausedReceivers } from '../../src/store/paused-receivers.js';
import { EventQueries } from '../../src/store/queries.js';
import { tableNames } from '../../src/store/table-names.js';
import { signWebhook } from '../../src/testing/index.js';
import { chargeEvent } from '../helpers/charges.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { gate, until } from '../helpers/sync.js';

const SECRET = 'whsec_worker_test';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const event = chargeEvent;

for (const dialect of DIALECTS)
  describe(`retry worker on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let server: TestServer | undefined;
    const errors: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_f, message) => {
        errors.push(message);
      },
    };

    async function start(settings: Partial<Parameters<typeof payments>[0]> = {}) {
      pay = payments({
        database: db.setting,
        registry,
        logger,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }
    const send = (id: string) => {
      const { body, headers } = signWebhook('stripe', { payload: event(id), secret: SECRET });
      return post(`${server?.origin}/payments/process/stripe/`, body, headers);
    };
    const delivery = async (receiver: string) =>
      db.reader('payments_deliveries').where({ receiver }).first();
    const eventStatus = async (eventId: string) =>
      (await db.reader('payments_events').where({ event_id: eventId }).first('status'))?.status;
    /** Makes every scheduled retry due now. */
    const makeDue = () =>
      pay
        .knex('payments_deliveries')
        .whereNotNull('next_attempt_at')
        .update({ next_attempt_at: new Date(Date.now() - 1000) });

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
      errors.length = 0;
    });

    afterEach(async () => {
      await server?.close();
      server = undefined;
      await pay?.close();
      await db.cleanup();
    });

    it('retries a failed delivery once it is due, with attempt = attempts + 1', async () => {
      const attempts: number[] = [];
      registry.receiver('charge.succeeded', async function flaky({ attempt }) {
        attempts.push(attempt);
        if (attempt < 3) throw new Error(`failure #${attempt}`);
      });
      await start();
      await send('evt_retry');
      expect(await pay.runDueDeliveries()).to.equal(0); // not due yet
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect((await delivery('flaky')).status).to.equal('failed');
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(attempts).to.deep.equal([1, 2, 3]);
      expect(await delivery('flaky')).to.include({
        status: 'succeeded',
        attempts: 3,
        last_error: null,
      });
      expect(await eventStatus('evt_retry')).to.equal('processed');
      expect(await pay.runDueDeliveries()).to.equal(0); // never again
    });

    it('marks the delivery dead after maxAttempts and logs it', async () => {
      registry.receiver('charge.succeeded', async function hopeless() {
        throw new Error('always');
      });
      await start({ retry: { maxAttempts: 3 } });
      await send('evt_hopeless');
      for (let i = 0; i < 2; i++) {
        await makeDue();
        await pay.runDueDeliveries();
      }
      const row = await delivery('hopeless');
      expect(row).to.include({ status: 'dead', attempts: 3, next_attempt_at: null });
      expect(row.last_error).to.match(/Error: always/);
      expect(errors).to.deep.equal([
        'koa-payments: a receiver threw; it will be retried',
        'koa-payments: a receiver threw; it will be retried',
        'koa-payments: a receiver failed its last attempt; the delivery is dead',
      ]);
      expect(await eventStatus('evt_hopeless')).to.equal('failed');
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(0);
    });

    it('runs the deliveries of a process that died once their lease has expired', async () => {
      const ran: string[] = [];
      registry.receiver('charge.succeeded', async function recover({ event }) {
        ran.push(event.eventId);
      });
      await start();
      await send('evt_orphan');
      // Simulate a runner that died mid-run: running, lease expired, attempt not recorded.
      await pay.knex('payments_deliveries').update({
        status: 'running',
        attempts: 0,
        locked_until: new Date(Date.now() - 1),
        completed_at: null,
      });
      await pay.knex('payments_events').update({ status: 'pending' });
      ran.length = 0;
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(ran).to.deep.equal(['evt_orphan']);
      expect(await delivery('recover')).to.include({ status: 'succeeded', attempts: 1 });
      expect(await eventStatus('evt_orphan')).to.equal('processed');
    });

    it('marks dead, without running it again, a delivery whose last attempt never finished', async () => {
      let runs = 0;
      registry.receiver('charge.succeeded', async function poison() {
        runs += 1;
      });
      await start({ retry: { maxAttempts: 3 } });
      await send('evt_poison');
      runs = 0;
      // The third and last attempt started, then its process died (the lease ran out).
      await pay.knex('payments_deliveries').update({
        status: 'running',
        attempts: 3,
        locked_until: new Date(Date.now() - 1),
      });
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(runs).to.equal(0);
      const row = await delivery('poison');
      expect(row).to.include({ status: 'dead', attempts: 3 });
      expect(row.last_error).to.match(/attempt 3 never finished/);
      expect(errors).to.deep.equal([
        'koa-payments: a receiver failed its last attempt; the delivery is dead',
      ]);
    });

    it('keeps claiming while a slow receiver runs: one slow delivery does not hold up the rest', async () => {
      const hold = gate();
      const done: string[] = [];
      let slowStarted = false;
      registry.receiver('charge.succeeded', async function sometimesSlow({ event, attempt }) {
        if (attempt === 1) throw new Error('first attempt fails');
        if (event.eventId === 'evt_hold') {
          slowStarted = true;
          await hold.opened;
        }
        done.push(event.eventId);
      });
      await start({
        worker: { pollIntervalMs: 10, batchSize: 2 },
        retry: { minDelayMs: 1, maxDelayMs: 1 },
      });
      await send('evt_hold');
      await until(() => slowStarted);
      // While evt_hold's retry hangs, three more events fail once and are retried.
      for (const id of ['evt_x', 'evt_y', 'evt_z']) await send(id);
      await until(() => done.length === 3);
      expect(done.sort()).to.deep.equal(['evt_x', 'evt_y', 'evt_z']);
      hold.open();
      await until(() => done.includes('evt_hold'));
    });

    it('close() returns within its timeout while a worker-run receiver hangs', async () => {
      const started = gate();
      registry.receiver('charge.succeeded', async function hangs({ attempt }) {
        if (attempt === 1) throw new Error('fail first');
        started.open();
        await new Promise(() => {});
      });
      await start({ worker: { pollIntervalMs: 10 }, retry: { minDelayMs: 1, maxDelayMs: 1 } });
      await send('evt_hangs');
      await started.opened;
      const closing = pay.close({ timeoutMs: 100 });
      let closed = false;
      void closing.then(() => {
        closed = true;
      });
      await until(() => closed, { timeoutMs: 5_000, message: 'close() did not return' });
    });

    it('retries a failed atomic delivery in a transaction of its own', async () => {
      let fail = true;
      registry.receiver(
        'charge.succeeded',
        async function book({ trx, event }) {
          await trx!('ledger').insert({ event_id: event.eventId });
          if (fail) throw new Error('ledger closed');
        },
        { atomic: true },
      );
      await start();
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      fail = false;
      await send('evt_book');
      fail = true;
      // An operator replays it while the ledger is closed: it fails, and its writes roll back.
      await pay.replay('evt_book', { receivers: 'all' });
      expect(await delivery('book')).to.include({ status: 'failed', attempts: 2 });
      expect((await pay.knex('ledger').select()).length).to.equal(1);
      fail = false;
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(await delivery('book')).to.include({ status: 'succeeded', attempts: 3 });
      expect((await pay.knex('ledger').select()).length).to.equal(2);
    });

    it('never takes over a live slow receiver: the lease is renewed while it runs', async () => {
      const hold = gate();
      let runs = 0;
      registry.receiver('charge.succeeded', async function slow() {
        runs += 1;
        await hold.opened;
      });
      await start({ dispatch: 'background', retry: { leaseMs: 300 } });
      await send('evt_slow');
      const first = await delivery('slow');
      const firstLease = Number(new Date(first.locked_until));
      // Wait (by condition, not by a fixed sleep) until the lease has been renewed past its
      // original expiry, so that without renewal it would now be free.
      await until(async () => {
        const row = await delivery('slow');
        return Date.now() > firstLease && Number(new Date(row.locked_until)) > Date.now();
      });
      expect(await pay.runDueDeliveries()).to.equal(0);
      expect(runs).to.equal(1);
      const settled = pay.once('event.settled');
      hold.open();
      await settled;
      expect(runs).to.equal(1);
      expect(await delivery('slow')).to.include({ status: 'succeeded', attempts: 1 });
    });

    it('starts with payments() and polls by itself; stopWorker() stops it', async () => {
      let calls = 0;
      registry.receiver('charge.succeeded', async function eventually() {
        calls += 1;
        if (calls === 1) throw new Error('first time');
      });
      await start({ worker: { pollIntervalMs: 20 }, retry: { minDelayMs: 1, maxDelayMs: 1 } });
      const retried = pay.once('delivery.succeeded');
      await send('evt_polled');
      await retried;
      expect(calls).to.equal(2);
      expect(await delivery('eventually')).to.include({ status: 'succeeded', attempts: 2 });
      await pay.stopWorker();
    });

    it('does not start when worker: false, until startWorker()', async () => {
      let calls = 0;
      registry.receiver('charge.succeeded', async function later() {
        calls += 1;
        if (calls === 1) throw new Error('first time');
      });
      await start({ worker: false, retry: { minDelayMs: 1, maxDelayMs: 1 } });
      await send('evt_manual');
      expect(calls).to.equal(1);
      const retried = pay.once('delivery.succeeded');
      pay.startWorker();
      await retried;
      expect(calls).to.equal(2);
    });

    /**
     * Watches the queries of `instance` (as Knex reports them): how many, and the SQL of those
     * that touch the deliveries and requests tables (the worker's polls).
     */
    function watchQueries(instance: Payments): { polls: string[]; count(): number } {
      const polls: string[] = [];
      let count = 0;
      instance.knex.on('query', ({ sql }: { sql: string }) => {
        count += 1;
        if (/payments_(deliveries|requests)\b/.test(sql)) polls.push(sql);
      });
      return { polls, count: () => count };
    }

    it('polls nothing before migrate() is done, then runs what is due', async () => {
      let calls = 0;
      registry.receiver('charge.succeeded', async function afterMigrate() {
        calls += 1;
        if (calls === 1) throw new Error('first time');
      });
      pay = payments({
        database: db.setting,
        registry,
        logger,
        worker: { pollIntervalMs: 1 },
        retry: { minDelayMs: 1, maxDelayMs: 1 },
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      const queries = watchQueries(pay);
      // The worker looks for the tables a few times, and touches none.
      await until(() => queries.count() >= 10);
      expect(queries.polls).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      await pay.migrate();
      server = await listen(appWith(pay));
      const retried = pay.once('delivery.succeeded');
      await send('evt_after_migrate');
      await retried;
      expect(calls).to.equal(2);
      expect(errors).to.deep.equal(['koa-payments: a receiver threw; it will be retried']);
    });

    it('waits while a migration run by another process is half-way', async () => {
      const other = payments({
        database: db.setting,
        registry,
        logger,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await other.migrate();
      await other.close();
      // The tables are there, but the newest migration is not recorded yet.
      const newest = await db.reader('payments_knex_migrations').orderBy('id', 'desc').first();
      await db.reader('payments_knex_migrations').where({ id: newest.id }).delete();
      pay = payments({
        database: db.setting,
        registry,
        logger,
        worker: { pollIntervalMs: 1 },
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      const queries = watchQueries(pay);
      await until(() => queries.count() >= 10);
      expect(queries.polls).to.deep.equal([]);
      await db.reader('payments_knex_migrations').insert(newest);
      await until(() => queries.polls.length > 0);
      expect(errors).to.deep.equal([]);
    });

    it('runs an atomic receiver retry in a transaction of its own', async () => {
      let fail = true;
      registry.receiver(
        'charge.succeeded',
        async function ledger({ trx, event }) {
          await trx!('ledger').insert({ event_id: event.eventId });
          if (fail) throw new Error('no');
        },
        { atomic: true },
      );
      await start();
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      const res = await send('evt_atomic_replay');
      expect(res.status).to.equal(500);
      fail = false;
      await send('evt_atomic_replay');
      const detail = await pay.replay('evt_atomic_replay', { receivers: 'all' });
      expect(detail.deliveries.map((d) => [d.receiver, d.status, d.attempts])).to.deep.equal([
        ['ledger', 'succeeded', 2],
      ]);
      expect((await pay.knex('ledger').select('event_id')).map((r) => r.event_id)).to.deep.equal([
        'evt_atomic_replay',
        'evt_atomic_replay',
      ]);
    });
  });

/**
 * A claim whose run starts late: the worker process waited past its lease between the claim and
 * the run (a SQLite lock wait up to the busy timeout, a stalled event loop), and another runner
 * claimed the deliveries meanwhile. The worker is wired by hand so that the test can hold it
 * at that point: every read it makes of the events waits for a gate.
 */
for (const dialect of DIALECTS)
  describe(`retry worker whose claim outlasts its lease on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let own: Database;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      await pay?.close();
      await own?.knex.destroy();
      await db.cleanup();
    });

    it('leaves the deliveries to the runner that claimed them meanwhile: each attempt runs once', async () => {
      const runs: string[] = [];
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async ({ attempt }) => void runs.push(`B#${attempt}`), {
        name: 'orders',
      });
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await pay.migrate();
      const [stored] = (await pay
        .knex('payments_events')
        .insert({
          variant: 'stripe',
          provider: 'stripe',
          event_id: 'evt_late_start',
          type: 'charge.succeeded',
          payload: JSON.stringify(event('evt_late_start')),
          status: 'pending',
          received_at: new Date(),
        })
        .returning('id')) as { id: number }[];
      await pay.knex('payments_deliveries').insert({
        event: stored?.id,
        receiver: 'orders',
        status: 'pending',
        attempts: 0,
        created_at: new Date(),
      });

      // Runner A: a worker of its own on the same database, whose reads wait for `release`.
      own = openDatabase(db.setting, quiet);
      const tables = tableNames('payments_');
      const registryA = createRegistry();
      registryA.receiver(
        'charge.succeeded',
        async ({ attempt }) => void runs.push(`A#${attempt}`),
        {
          name: 'orders',
        },
      );
      const deliveries = new Deliveries(own, tables);
      const warnings: string[] = [];
      const logger: Logger = { ...quiet, warn: (_f, message) => void warnings.push(message) };
      const claimed = gate();
      const release = gate();
      const queries = new EventQueries(own.knex, tables);
      const held = new Proxy(queries, {
        get(target, property) {
          const value = Reflect.get(target, property);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            claimed.open();
            await release.opened;
            return value.apply(target, args);
          };
        },
      });
      const retry = {
        maxAttempts: 10,
        minDelayMs: 10_000,
        maxDelayMs: 60_000,
        leaseMs: 60_000,
        deferForMs: 86_400_000,
      };
      const worker = new Worker({
        deliveries,
        queries: held,
        dispatcher: new Dispatcher({
          knex: own.knex,
          store: new EventStore(own, tables),
          deliveries,
          registry: registryA,
          settings: { retry, logger },
          hooks: new Emittery(),
          dataOf: (e) => (e.payload as { data: unknown }).data,
          paymentOf: () => undefined,
          pauses: new Pauses(new PausedReceivers(own, tables), logger),
          fetchObject: async () => undefined,
        }),
        prune: undefined,
        logger,
        schemaReady: async () => true,
        options: { pollIntervalMs: 1_000, batchSize: 10, leaseMs: retry.leaseMs },
      });

      const runA = worker.runOnce();
      await claimed.opened;
      // A's lease runs out while it waits, and runner B claims the delivery and runs it.
      await db.reader('payments_deliveries').update({ locked_until: new Date(Date.now() - 1) });
      expect(await pay.runDueDeliveries()).to.equal(1);
      release.open();
      expect(await runA).to.equal(0);

      expect(runs).to.deep.equal(['B#2']);
      expect(await db.reader('payments_deliveries').first('status', 'attempts')).to.deep.equal({
        status: 'succeeded',
        attempts: 2,
      });
      expect(warnings).to.deep.equal([
        'koa-payments: a claimed delivery was taken over by another runner before it started; leaving it to that runner',
      ]);
    });
  });

describe('retry worker prune schedule', () => {
  it('retries a failed prune after 30 s, doubling up to the hour, and keeps polling', async () => {
    let now = 1_000_000;
    let failing = true;
    let polls = 0;
    const prunes: number[] = [];
    const errors: { retryInMs: unknown; message: string }[] = [];
    const prune = async () => {
      prunes.push(now);
      if (failing) throw new Error('database is locked');
      return {
        requests: 0,
        events: 0,
        deliveries: 0,
        before: { requests: null, events: null },
        dryRun: false,
      };
    };
    const deliveries = {
      async claimDue() {
        polls += 1;
        return [];
      },
    } as unknown as Deliveries;
    const worker = new Worker({
      deliveries,
      queries: {} as EventQueries,
      dispatcher: { saturatedReceivers: () => [] } as unknown as Dispatcher,
      prune,
      logger: {
        debug() {},
        info() {},
        warn() {},
        error: (fields, message) => errors.push({ retryInMs: fields.retryInMs, message }),
      },
      schemaReady: async () => true,
      now: () => now,
      options: { pollIntervalMs: 1, batchSize: 5, leaseMs: 60_000 },
    });
    /** Moves the clock by `ms`, then lets the worker poll a few times. */
    const advance = async (ms: number) => {
      now += ms;
      const from = polls;
      await until(() => polls >= from + 3);
    };
    worker.start();
    try {
      await advance(0);
      expect(prunes).to.deep.equal([1_000_000]); // failed, and the polls go on
      await advance(29_999);
      expect(prunes).to.have.length(1);
      await advance(1);
      expect(prunes).to.have.length(2); // 30 s after the first failure
      await advance(59_999);
      expect(prunes).to.have.length(2);
      await advance(1);
      expect(prunes).to.have.length(3); // 60 s after the second
      failing = false;
      await advance(120_000);
      expect(prunes).to.have.length(4); // 120 s after the third, and it succeeds
      await advance(3_599_999);
      expect(prunes).to.have.length(4);
      await advance(1);
      expect(prunes).to.have.length(5); // then hourly again
      expect(errors).to.deep.equal(
        [30_000, 60_000, 120_000].map((retryInMs) => ({
          retryInMs,
          message: 'koa-payments: the retry worker could not prune; it tries again',
        })),
      );
    } finally {
      await worker.stop();
    }
  });
});
