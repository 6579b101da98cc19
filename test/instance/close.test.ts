/**
 * close() with webhooks still on their way through the pipeline (src/instance/lifecycle.ts): it
 * waits for them to be stored and their receivers to run and be recorded, before it closes the
 * database; webhooks arriving after the call are refused.
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import Koa from 'koa';
import {
  createRegistry,
  type Payments,
  type PaymentsSettings,
  type Provider,
  payments,
  type Registry,
} from '../../src/index.js';
import { Client, noticeOf } from '../dashboard/fixture.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { gate, until } from '../helpers/sync.js';

const REFUSED = {
  code: 'store_unavailable',
  message: 'The webhook receiver is shutting down; retry later.',
};

for (const dialect of DIALECTS)
  describe(`close() with webhooks in flight on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let server: TestServer;
    /** Runs of the after-commit receiver, by event id. */
    let runs: Map<string, number>;
    /** Verifications: an id given a gate here waits for it in `verify()`. */
    let verifying: Map<string, ReturnType<typeof gate>>;
    let holds: Map<string, Promise<void>>;
    let logger: ReturnType<typeof recordingLogger>;

    /** Accepts any JSON body `{ id }` as a `thing` event; `verify()` waits while the id is held. */
    const gated: Provider = {
      name: 'gated',
      async verify({ rawBody }) {
        const payload = JSON.parse(rawBody.toString('utf8')) as { id: string };
        verifying.get(payload.id)?.open();
        await holds.get(payload.id);
        return { id: payload.id, type: 'thing', data: payload, payload };
      },
    };

    async function start(settings: Partial<PaymentsSettings> = {}) {
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        logger,
        variants: { gated: { provider: gated } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }

    const send = (id: string) =>
      post(`${server.origin}/payments/process/gated/`, JSON.stringify({ id }));
    /** Holds the verification of `id` until the returned gate opens; `seen` opens as it starts. */
    function hold(id: string): { release(): void; seen: Promise<void> } {
      const released = gate();
      const seen = gate();
      holds.set(id, released.opened);
      verifying.set(id, seen);
      return { release: released.open, seen: seen.opened };
    }
    /** Holds every webhook once stored, before its receivers run (an `event.stored` listener). */
    function holdStored(): { release(): void; seen: Promise<void> } {
      const released = gate();
      const seen = gate();
      pay.on('event.stored', async () => {
        seen.open();
        await released.opened;
      });
      return { release: released.open, seen: seen.opened };
    }
    // Read through the second connection, after close(): what was committed.
    const stored = (eventId: string) =>
      db.reader('payments_events').where({ event_id: eventId }).select('status');
    const deliveriesOf = (eventId: string) =>
      db
        .reader('payments_deliveries as d')
        .join('payments_events as e', 'e.id', 'd.event')
        .where('e.event_id', eventId)
        .orderBy('d.receiver')
        .select('d.receiver', 'd.status', 'd.attempts');

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
      runs = new Map();
      verifying = new Map();
      holds = new Map();
      logger = recordingLogger();
      registry.receiver('thing', async function countRuns({ event }) {
        runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
      });
    });

    afterEach(async () => {
      await server?.close();
      await pay?.close();
      await db.cleanup();
    });

    it('waits for a webhook held in its storing transaction: stored once, its receivers run once and are recorded', async () => {
      const inTransaction = gate();
      const release = gate();
      registry.receiver(
        'thing',
        async function holdTransaction() {
          inTransaction.open();
          await release.opened;
        },
        { atomic: true },
      );
      await start();
      const answer = send('evt_storing');
      await inTransaction.opened;
      const closed = pay.close({ timeoutMs: 30_000 });
      const refused = send('evt_after_close');
      release.open();
      expect((await answer).status).to.equal(200);
      expect((await answer).body).to.deep.include({ received: true, event: 'evt_storing' });
      const late = await refused;
      expect(late.status).to.equal(503);
      expect(late.body.error).to.deep.equal(REFUSED);
      await closed;
      expect(await stored('evt_storing')).to.deep.equal([{ status: 'processed' }]);
      expect(runs.get('evt_storing')).to.equal(1);
      expect(await deliveriesOf('evt_storing')).to.deep.equal([
        { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
        { receiver: 'holdTransaction', status: 'succeeded', attempts: 1 },
      ]);
      expect(await count(db.reader, 'payments_events')).to.equal(1);
      expect(logger.at('warn')).to.deep.equal([]);
    });

    it('waits for a webhook stored but not dispatched yet: its receiver runs once and is recorded', async () => {
      await start();
      const storedOne = holdStored();
      const answer = send('evt_stored');
      await storedOne.seen;
      const closed = pay.close({ timeoutMs: 30_000 });
      const refused = await send('evt_after_close');
      expect(refused.status).to.equal(503);
      expect(refused.body.error).to.deep.equal(REFUSED);
      storedOne.release();
      expect((await answer).status).to.equal(200);
      await closed;
      expect(runs.get('evt_stored')).to.equal(1);
      expect(await stored('evt_stored')).to.deep.equal([{ status: 'processed' }]);
      expect(await deliveriesOf('evt_stored')).to.deep.equal([
        { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
      ]);
      expect(await stored('evt_after_close')).to.deep.equal([]);
    });

    it('waits for a webhook being verified, then stores it and runs its receiver', async () => {
      await start();
      const verifyingOne = hold('evt_verifying');
      const answer = send('evt_verifying');
      await verifyingOne.seen;
      const closed = pay.close({ timeoutMs: 30_000 });
      const refused = await send('evt_after_close');
      expect(refused.status).to.equal(503);
      verifyingOne.release();
      const { status, body } = await answer;
      expect(status).to.equal(200);
      expect(body).to.deep.include({ received: true, event: 'evt_verifying', duplicate: false });
      await closed;
      expect(runs.get('evt_verifying')).to.equal(1);
      expect(await deliveriesOf('evt_verifying')).to.deep.equal([
        { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
      ]);
    });

    it('waits for pay.receive() calls in progress, and refuses those made after close()', async () => {
      await start({ dispatch: 'background' });
      const verifyingOne = hold('evt_direct');
      const request = (id: string) => ({
        headers: {},
        rawBody: Buffer.from(JSON.stringify({ id })),
        url: 'http://shop.test/payments/process/gated/',
        receivedAt: new Date(),
      });
      const received = pay.receive('gated', request('evt_direct'));
      await verifyingOne.seen;
      const closed = pay.close({ timeoutMs: 30_000 });
      const error = await pay.receive('gated', request('evt_after_close')).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).to.include({ code: 'store_unavailable', status: 503 });
      verifyingOne.release();
      expect((await received).duplicate).to.equal(false);
      await closed;
      expect(runs.get('evt_direct')).to.equal(1);
      expect(await deliveriesOf('evt_direct')).to.deep.equal([
        { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
      ]);
      expect(await stored('evt_after_close')).to.deep.equal([]);
    });

    it('commits a group-commit batch that is gathering at once, without waiting for webhooks still being verified', async () => {
      // The batch would wait for the verifying webhook's ticket for up to ten minutes.
      await start({ groupCommit: { maxWaitMs: 600_000 } });
      const slow = hold('evt_slow');
      const slowAnswer = send('evt_slow');
      await slow.seen;
      const quick = hold('evt_quick');
      const quickAnswer = send('evt_quick');
      await quick.seen;
      quick.release();
      const closed = pay.close({ timeoutMs: 30_000 });
      expect((await quickAnswer).status).to.equal(200);
      expect(runs.get('evt_quick')).to.equal(1);
      expect(runs.has('evt_slow')).to.equal(false);
      slow.release();
      expect((await slowAnswer).status).to.equal(200);
      await closed;
      expect(runs.get('evt_slow')).to.equal(1);
      expect(await count(db.reader, 'payments_events')).to.equal(2);
      expect(await deliveriesOf('evt_quick')).to.deep.equal([
        { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
      ]);
    });

    it('past timeoutMs, warns with the count and runs no receiver it could not record', async () => {
      await start();
      const stuck = hold('evt_stuck');
      const answer = send('evt_stuck');
      await stuck.seen;
      await pay.close({ timeoutMs: 50 });
      expect(logger.at('warn')).to.deep.equal([
        {
          level: 'warn',
          fields: { inFlight: 1 },
          message:
            'koa-payments: closing with webhooks still being received; those not stored yet are answered 503 and redelivered, and the receivers of those stored are left to a worker',
        },
      ]);
      stuck.release();
      expect((await answer).status).to.equal(503);
      expect(runs.has('evt_stuck')).to.equal(false);
      expect(await stored('evt_stuck')).to.deep.equal([]);
    });

    /** A `concurrency: 1` receiver whose runs wait until `release` opens; `started` opens on the first. */
    function oneAtATime(): { runs: string[]; started: Promise<void>; release(): void } {
      const runs: string[] = [];
      const started = gate();
      const released = gate();
      registry.receiver(
        'thing',
        async ({ event }) => {
          runs.push(event.eventId);
          started.open();
          await released.opened;
        },
        { name: 'oneAtATime', concurrency: 1 },
      );
      return { runs, started: started.opened, release: released.open };
    }
    const notStarted = () =>
      logger.at('debug').filter((e) => e.message.includes('had not started'));
    const lostLease = () => logger.entries.filter((e) => e.message.includes('lost its lease'));

    /** The `oneAtATime` delivery of `eventId`, and its event's status, read apart from `pay`. */
    const turnRow = async (eventId: string) =>
      db
        .reader('payments_deliveries as d')
        .join('payments_events as e', 'e.id', 'd.event')
        .where({ 'e.event_id': eventId, 'd.receiver': 'oneAtATime' })
        .select('d.status', 'd.attempts', 'd.lease_token', 'd.locked_until', 'e.status as event');

    it('past timeoutMs, starts no receiver still waiting for its concurrency turn, and gives its delivery back before the database closes', async () => {
      const turns = oneAtATime();
      await start({ dispatch: 'background' });
      expect((await send('evt_turn_1')).status).to.equal(200);
      await turns.started;
      expect((await send('evt_turn_2')).status).to.equal(200); // its run waits for the turn
      await pay.close({ timeoutMs: 50 });
      // Given back inside close(), while the database koa-payments opened was still open.
      expect(await turnRow('evt_turn_2')).to.deep.equal([
        { status: 'pending', attempts: 0, lease_token: null, locked_until: null, event: 'pending' },
      ]);
      expect(notStarted().map((e) => e.fields.receivers)).to.deep.equal([['oneAtATime']]);
      turns.release();
      // The first run cannot record its outcome (the database is closed); the second never
      // starts.
      const unrecorded = () =>
        logger.at('error').filter((e) => e.message.includes('could not record the outcomes'));
      await until(() => unrecorded().length > 0);
      expect(turns.runs).to.deep.equal(['evt_turn_1']);
      expect(lostLease()).to.deep.equal([]);
    });

    it("past timeoutMs with the app's own Knex, gives back the delivery of a run waiting for its concurrency turn, attempt unspent", async () => {
      const knex = knexFactory(db.config());
      try {
        const turns = oneAtATime();
        await start({ database: knex, dispatch: 'background' });
        expect((await send('evt_turn_1')).status).to.equal(200);
        await turns.started;
        expect((await send('evt_turn_2')).status).to.equal(200); // its run waits for the turn
        await pay.close({ timeoutMs: 50 });
        turns.release();
        await until(() => notStarted().length > 0 || lostLease().length > 0);
        expect(turns.runs).to.deep.equal(['evt_turn_1']);
        const row = (eventId: string) =>
          db
            .reader('payments_deliveries as d')
            .join('payments_events as e', 'e.id', 'd.event')
            .where({ 'e.event_id': eventId, 'd.receiver': 'oneAtATime' })
            .select('d.status', 'd.attempts', 'd.lease_token', 'd.locked_until');
        await until(async () => (await row('evt_turn_1'))[0]?.status === 'succeeded');
        expect(await row('evt_turn_2')).to.deep.equal([
          { status: 'pending', attempts: 0, lease_token: null, locked_until: null },
        ]);
        expect(lostLease()).to.deep.equal([]);
        expect(notStarted().map((e) => e.fields.receivers)).to.deep.equal([['oneAtATime']]);
        expect(logger.at('warn').map((w) => w.fields)).to.deep.equal([{ inFlight: 2 }]);
      } finally {
        await knex.destroy();
      }
    });

    it("past timeoutMs with the app's own Knex, gives back the delivery of a run that was still checking pauses when close() gave up", async () => {
      const knex = knexFactory(db.config());
      try {
        await start({ database: knex, dispatch: 'background' });
        const released = gate();
        let held: Promise<unknown> | undefined;
        pay.on('event.stored', async () => {
          // Holds what the run's first pause check reads: SQLite's one pooled connection, or
          // Postgres's table (locked).
          const holding = gate();
          held = knex.transaction(async (trx) => {
            if (dialect === 'postgres')
              await trx.raw('LOCK TABLE payments_paused_receivers IN ACCESS EXCLUSIVE MODE');
            holding.open();
            await released.opened;
          });
          await holding.opened;
        });
        expect((await send('evt_late_run')).status).to.equal(200);
        // The run is in the dispatcher, its pause check waiting for the database.
        await until(async () =>
          dialect === 'sqlite'
            ? (
                knex.client as { pool: { numPendingAcquires(): number } }
              ).pool.numPendingAcquires() > 0
            : Number(
                (
                  (await db.reader.raw(
                    `SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
                  )) as { rows: { n: number }[] }
                ).rows[0]?.n,
              ) > 0,
        );
        await pay.close({ timeoutMs: 0 });
        released.open();
        await held;
        const row = () =>
          db
            .reader('payments_deliveries as d')
            .join('payments_events as e', 'e.id', 'd.event')
            .where('e.event_id', 'evt_late_run')
            .select('d.status', 'd.attempts', 'd.lease_token', 'e.status as event');
        // Given back: its lease cleared (stored leased, attempts 0, for this process to run).
        await until(async () => (await row())[0]?.lease_token === null);
        expect(await row()).to.deep.equal([
          { status: 'pending', attempts: 0, lease_token: null, event: 'pending' },
        ]);
        expect(runs.get('evt_late_run')).to.equal(undefined);
        expect(lostLease()).to.deep.equal([]);
      } finally {
        await knex.destroy();
      }
    });

    if (dialect === 'postgres')
      it('past timeoutMs, gives back the delivery of a run still checking pauses before it closes the database it opened', async () => {
        await start({ dispatch: 'background' });
        // Another session locks the table the run's first pause check reads.
        const released = gate();
        const locked = gate();
        const lock = db.reader.transaction(async (trx) => {
          await trx.raw('LOCK TABLE payments_paused_receivers IN ACCESS EXCLUSIVE MODE');
          locked.open();
          await released.opened;
        });
        await locked.opened;
        expect((await send('evt_late_owned')).status).to.equal(200);
        await until(
          async () =>
            Number(
              (
                (await db.reader.raw(
                  `SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
                )) as { rows: { n: number }[] }
              ).rows[0]?.n,
            ) > 0,
        );
        const row = () =>
          db
            .reader('payments_deliveries as d')
            .join('payments_events as e', 'e.id', 'd.event')
            .where('e.event_id', 'evt_late_owned')
            .select('d.status', 'd.attempts', 'd.lease_token', 'e.status as event');
        const closed = pay.close({ timeoutMs: 0 });
        // Given back while close() still waits for the pause check's connection to close it.
        await until(async () => (await row())[0]?.lease_token === null);
        released.open();
        await lock;
        await closed;
        expect(await row()).to.deep.equal([
          { status: 'pending', attempts: 0, lease_token: null, event: 'pending' },
        ]);
        expect(runs.get('evt_late_owned')).to.equal(undefined);
        expect(lostLease()).to.deep.equal([]);
      });

    it('after close(), refuses replay() and runDueDeliveries() before they claim: no attempt counted, nothing run', async () => {
      // The app's own Knex: it stays open after close(), and operator calls could still claim.
      const knex = knexFactory(db.config());
      try {
        await start({ database: knex });
        expect((await send('evt_replayed')).status).to.equal(200);
        expect(runs.get('evt_replayed')).to.equal(1);
        await pay.close();
        const refused = await pay.replay('evt_replayed', { receivers: 'all' }).then(
          () => expect.fail('replay() ran after close()'),
          (e: { code?: string; status?: number }) => e,
        );
        expect(refused).to.include({ code: REFUSED.code, status: 503 });
        expect(await pay.runDueDeliveries()).to.equal(0);
        expect(runs.get('evt_replayed')).to.equal(1);
        expect(await deliveriesOf('evt_replayed')).to.deep.equal([
          { receiver: 'countRuns', status: 'succeeded', attempts: 1 },
        ]);
      } finally {
        await knex.destroy();
      }
    });

    it("after close(), refuses the dashboard's retry of a delivery and of a receiver's dead ones: the rows stay as they were", async () => {
      const knex = knexFactory(db.config());
      let admin: TestServer | undefined;
      try {
        let flakyRuns = 0;
        registry.receiver('thing', async function flaky() {
          flakyRuns += 1;
          throw new Error('flaky is down');
        });
        await start({ database: knex, retry: { maxAttempts: 1 } });
        admin = await listen(
          new Koa().use(pay.dashboard({ path: '/admin', authorize: () => true })),
        );
        expect((await send('evt_dead')).status).to.equal(200);
        const flakyRow = () =>
          db
            .reader('payments_deliveries')
            .where({ receiver: 'flaky' })
            .first('id', 'status', 'attempts', 'event');
        const dead = await flakyRow();
        expect(dead).to.include({ status: 'dead', attempts: 1 });
        const client = new Client(admin.origin, {});
        const eventPage = await client.get(`/admin/events/${dead.event}`);
        const deliveriesPage = await client.get('/admin/deliveries');
        await pay.close();
        for (const [page, action] of [
          [eventPage, `/deliveries/${dead.id}/retry`],
          [deliveriesPage, '/deliveries/retry-dead'],
        ] as const) {
          const { landed } = await client.submit(page, action);
          // The 503 store_unavailable of shuttingDownError(), as the dashboard shows a refusal.
          expect(noticeOf(landed.text), action).to.deep.equal({
            kind: 'error',
            text: REFUSED.message,
          });
        }
        expect(flakyRuns).to.equal(1);
        expect(await flakyRow()).to.deep.equal(dead);
      } finally {
        await admin?.close();
        await knex.destroy();
      }
    });

    it("past timeoutMs with the app's own Knex, gives back the deliveries of a webhook stored late, attempt unspent", async () => {
      const knex = knexFactory(db.config());
      try {
        await start({ database: knex });
        const storedOne = holdStored();
        const answer = send('evt_given_back');
        await storedOne.seen;
        await pay.close({ timeoutMs: 50 });
        storedOne.release();
        expect((await answer).status).to.equal(200);
        expect(runs.has('evt_given_back')).to.equal(false);
        // Given back: pending with no lease, for a worker to run at once.
        const rows = await db
          .reader('payments_deliveries')
          .select('status', 'attempts', 'lease_token');
        expect(rows).to.deep.equal([{ status: 'pending', attempts: 0, lease_token: null }]);
      } finally {
        await knex.destroy();
      }
    });

    it('refuses a timeoutMs that is not a number ≥ 0, and waits with Infinity', async () => {
      await start();
      for (const timeoutMs of [-1, Number.NaN, '10' as unknown as number]) {
        const error = await pay.close({ timeoutMs }).then(
          () => expect.fail('close() accepted it'),
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(TypeError);
      }
      const held = hold('evt_infinite');
      const answer = send('evt_infinite');
      await held.seen;
      const closed = pay.close({ timeoutMs: Number.POSITIVE_INFINITY });
      held.release();
      await closed;
      expect((await answer).status).to.equal(200);
      expect(runs.get('evt_infinite')).to.equal(1);
      expect(logger.at('warn')).to.deep.equal([]);
    });

    it('past timeoutMs, runs no receiver of a webhook stored too late: its delivery is left to a worker', async () => {
      await start();
      const storedOne = holdStored();
      const answer = send('evt_late');
      await storedOne.seen;
      await pay.close({ timeoutMs: 50 });
      expect(logger.at('warn').map((w) => w.fields)).to.deep.equal([{ inFlight: 1 }]);
      storedOne.release();
      // Stored: 200, and the receiver runs later, from a worker, once its lease has expired.
      expect((await answer).status).to.equal(200);
      expect(runs.has('evt_late')).to.equal(false);
      expect(await stored('evt_late')).to.deep.equal([{ status: 'pending' }]);
      expect(await deliveriesOf('evt_late')).to.deep.equal([
        { receiver: 'countRuns', status: 'pending', attempts: 0 },
      ]);
    });
  });
