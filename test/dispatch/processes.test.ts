import { expect } from 'chai';
import type { Knex } from 'knex';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { type Child, startChild } from '../helpers/processes.js';
import { post } from '../helpers/server.js';
import { until } from '../helpers/sync.js';

const SECRET = 'whsec_child_process';

/** Creates the schema (and the fixture's `calls` table) through a short-lived instance. */
async function prepare(db: TestDatabase): Promise<Payments> {
  const pay = payments({
    database: db.config(),
    registry: createRegistry(),
    worker: false,
    variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
  });
  await pay.migrate();
  await pay.knex.schema.createTable('calls', (t) => {
    t.increments('id');
    t.string('event_id');
    t.integer('pid');
    t.string('phase');
    t.integer('attempt');
  });
  return pay;
}

/** Inserts `n` stored events, each with one pending, unleased delivery for the child's receiver. */
async function seed(knex: Knex, n: number): Promise<void> {
  const now = new Date();
  for (let start = 0; start < n; start += 200) {
    const events = Array.from({ length: Math.min(200, n - start) }, (_, i) => ({
      variant: 'stripe',
      provider: 'stripe',
      event_id: `evt_seed_${start + i}`,
      type: 'charge.succeeded',
      payload: JSON.stringify({
        id: `evt_seed_${start + i}`,
        type: 'charge.succeeded',
        data: { object: {} },
      }),
      status: 'pending',
      received_at: now,
    }));
    const ids = (await knex('payments_events').insert(events).returning('id')) as { id: number }[];
    await knex('payments_deliveries').insert(
      ids.map(({ id }) => ({
        event: id,
        receiver: 'child',
        status: 'pending',
        attempts: 0,
        created_at: now,
      })),
    );
  }
}

for (const dialect of DIALECTS)
  describe(`several processes on ${dialect}`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let setup: Payments;
    let children: Child[];

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      setup = await prepare(db);
      children = [];
    });

    afterEach(async () => {
      await Promise.all(children.map((c) => c.kill()));
      await setup.close();
      await db.cleanup();
    });

    const deliveriesLeft = async () =>
      Number(
        (
          (await db
            .reader('payments_deliveries')
            .whereNot({ status: 'succeeded' })
            .count({ n: '*' })) as { n: number }[]
        )[0]?.n,
      );

    it('loses nothing when a process is killed after its 200, before its receiver finished', async () => {
      const first = await startChild(db.setting, {
        role: 'server',
        receiver: 'hang',
        leaseMs: 600,
      });
      children.push(first);
      const payload = {
        id: 'evt_crash',
        type: 'charge.succeeded',
        created: 1_700_000_000,
        data: { object: { id: 'ch_1' } },
      };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      const started = first.waitFor(/^STARTED evt_crash$/);
      const res = await post(
        `http://127.0.0.1:${first.port}/payments/process/stripe/`,
        body,
        headers,
      );
      expect(res.status).to.equal(200);
      await started;
      await first.kill(); // SIGKILL: no clean shutdown, the receiver never finished

      // Still leased to the dead process: the first attempt, made by the request itself, is
      // recorded only when it finishes.
      const row = await db.reader('payments_deliveries').first('status', 'attempts');
      expect(row).to.deep.equal({ status: 'pending', attempts: 0 });

      const second = await startChild(db.setting, {
        role: 'server',
        receiver: 'record',
        leaseMs: 600,
      });
      children.push(second);
      // The event's status follows its delivery once the runner has recorded it.
      await until(
        async () => (await db.reader('payments_events').first('status')).status === 'processed',
        { timeoutMs: 20_000 },
      );
      const calls = await db.reader('calls').orderBy('id').select('event_id', 'phase', 'attempt');
      // The run that died with its process was never recorded; the worker's run, once, to the end.
      expect(calls).to.deep.equal([
        { event_id: 'evt_crash', phase: 'start', attempt: 1 },
        { event_id: 'evt_crash', phase: 'end', attempt: 1 },
      ]);
      expect(await db.reader('payments_deliveries').first('status', 'attempts')).to.deep.equal({
        status: 'succeeded',
        attempts: 1,
      });
      await second.stop();
    });

    it('shares 1,000 events between 3 worker processes: every delivery runs exactly once', async () => {
      await seed(setup.knex, 1000);
      for (let i = 0; i < 3; i++) {
        children.push(
          await startChild(db.setting, {
            role: 'worker',
            receiver: 'record',
            workMs: 2,
            leaseMs: 30_000,
          }),
        );
      }
      await until(async () => (await deliveriesLeft()) === 0, { timeoutMs: 100_000 });
      const calls = (await db.reader('calls').select('event_id', 'pid', 'phase', 'attempt')) as {
        event_id: string;
        pid: number;
        phase: string;
        attempt: number;
      }[];
      const starts = calls.filter((c) => c.phase === 'start');
      const ends = calls.filter((c) => c.phase === 'end');
      // Exactly once per attempt: no (event, attempt) started twice...
      expect(new Set(starts.map((c) => `${c.event_id}#${c.attempt}`)).size).to.equal(starts.length);
      // ...and every event's receiver ran to its end.
      expect(new Set(ends.map((c) => c.event_id)).size).to.equal(1000);
      // A retry would only follow a failed attempt (none is expected here).
      expect(starts.length, 'no attempt failed').to.equal(1000);
      const pids = new Set(calls.map((c) => c.pid));
      expect(pids.size, 'the work was shared').to.be.at.least(2);
      await Promise.all(children.map((c) => c.stop()));
    });

    it('lets the other workers take over the leased deliveries of a killed worker after the lease', async () => {
      await seed(setup.knex, 300);
      // The victim claims a batch and hangs in its receivers, holding the leases until killed.
      // Leases are a few seconds: long enough that a live worker starved of CPU on a busy
      // 2-core machine still renews in time (a lease shorter than a stall means a double run).
      const victim = await startChild(db.setting, {
        role: 'worker',
        receiver: 'hang',
        leaseMs: 1500,
      });
      children.push(victim);
      const held = await victim.waitFor(/^STARTED /);
      const others = [
        await startChild(db.setting, {
          role: 'worker',
          receiver: 'record',
          workMs: 5,
          leaseMs: 1500,
        }),
        await startChild(db.setting, {
          role: 'worker',
          receiver: 'record',
          workMs: 5,
          leaseMs: 1500,
        }),
      ];
      children.push(...others);
      await victim.kill();
      await until(async () => (await deliveriesLeft()) === 0, { timeoutMs: 100_000 });

      const calls = (await db.reader('calls').select('event_id', 'phase', 'attempt')) as {
        event_id: string;
        phase: string;
        attempt: number;
      }[];
      const starts = calls.filter((c) => c.phase === 'start');
      const ends = calls.filter((c) => c.phase === 'end');
      // Exactly once per attempt, the held deliveries included: taken over after their lease,
      // as attempt 2 (attempt 1 died with the victim).
      expect(new Set(starts.map((c) => `${c.event_id}#${c.attempt}`)).size).to.equal(starts.length);
      expect(new Set(ends.map((c) => c.event_id)).size).to.equal(300);
      const heldId = held.slice('STARTED '.length);
      expect(starts.filter((c) => c.event_id === heldId).map((c) => c.attempt)).to.deep.equal([2]);
      const victimHeld = victim
        .output()
        .split('\n')
        .filter((l) => l.startsWith('STARTED ')).length;
      expect(victimHeld, 'the killed worker held a batch').to.be.at.least(1);
      await Promise.all(others.map((c) => c.stop()));
    });
  });
