/**
 * What the dispatcher logs when a receiver fails (its error and the event's ids, never the
 * payload), and how it fences outcomes.
 *
 * The dispatcher records a delivery's outcome only under the lease its runner claimed: a runner
 * whose lease expired and was taken over by another cannot overwrite the new holder's outcome.
 * Two instances on one database play the two runners; the lease runs out when the test moves
 * the row's `locked_until` into the past (the clock the claims compare with), not by waiting.
 */
import { expect } from 'chai';
import {
  createRegistry,
  type Logger,
  type Payments,
  payments,
  type Registry,
} from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { type LogEntry, recordingLogger } from '../helpers/logs.js';
import { webhookRequest } from '../helpers/provider.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { gate, until } from '../helpers/sync.js';

const SECRET = 'whsec_dispatcher_test';
const LOST =
  'koa-payments: discarded the outcome of a run that lost its lease; another runner took the delivery over';

function signed(id: string) {
  return signWebhook('stripe', {
    secret: SECRET,
    payload: {
      id,
      object: 'event',
      type: 'charge.succeeded',
      created: 1_700_000_000,
      data: { object: { id: `ch_${id}` } },
    },
  });
}

const MARKER = 'PAYLOAD-MARKER-4c1d';

function markedEvent(id: string) {
  return {
    id,
    object: 'event',
    type: 'charge.succeeded',
    created: 1_700_000_000,
    data: { object: { id: 'ch_1', description: MARKER } },
  };
}

/** A logger that keeps the messages of one level. */
function recorder(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    info() {},
    warn: (_fields, message) => {
      warnings.push(message);
    },
    error() {},
  };
}

for (const dialect of DIALECTS)
  describe(`dispatcher outcome fencing on ${dialect}`, () => {
    let db: TestDatabase;
    let instances: Payments[];

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      instances = [];
    });
    afterEach(async () => {
      await Promise.all(instances.map((pay) => pay.close()));
      await db.cleanup();
    });

    /** One runner: an instance on the shared database with its own receiver `fn`. */
    async function runner(
      fn: (attempt: number) => Promise<void>,
      options: { atomic?: boolean; logger?: Logger } = {},
    ): Promise<Payments> {
      const registry = createRegistry();
      registry.receiver(
        'charge.succeeded',
        async ({ attempt, trx, event }) => {
          await fn(attempt);
          if (trx !== undefined) await trx('ledger').insert({ event_id: event.eventId, attempt });
        },
        { name: 'orders', atomic: options.atomic ?? false },
      );
      const pay = payments({
        database: db.setting,
        registry,
        worker: false,
        logger: options.logger,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      instances.push(pay);
      await pay.migrate();
      return pay;
    }

    /** Lets every lease run out: the next claim may take the deliveries. */
    const expireLeases = () =>
      db.reader('payments_deliveries').update({ locked_until: new Date(Date.now() - 1) });
    const deliveryRow = () =>
      db.reader('payments_deliveries').first('status', 'attempts', 'last_error', 'lease_token');
    const eventStatus = async () => (await db.reader('payments_events').first('status')).status;

    for (const late of ['failure', 'success'] as const)
      it(`discards the late ${late} of a runner that lost its lease, keeping the new holder's outcome`, async () => {
        const hold = gate();
        const logA = recorder();
        // Runner A holds the request's own delivery and finishes after its lease was taken over.
        const payA = await runner(
          async () => {
            await hold.opened;
            if (late === 'failure') throw new Error('late failure');
          },
          { logger: logA },
        );
        // Runner B takes it over and records the opposite outcome.
        const payB = await runner(async () => {
          if (late === 'success') throw new Error('B failed');
        });
        const hooksA: string[] = [];
        payA.on('delivery.failed', () => void hooksA.push('delivery.failed'));
        payA.on('delivery.succeeded', () => void hooksA.push('delivery.succeeded'));

        const { body, headers } = signed(`evt_late_${late}`);
        const received = await payA.receive('stripe', webhookRequest(body, headers));
        await expireLeases();
        expect(await payB.runDueDeliveries()).to.equal(1);
        const afterB = await deliveryRow();
        expect(afterB).to.include(
          late === 'failure'
            ? { status: 'succeeded', attempts: 1, last_error: null }
            : { status: 'failed', attempts: 1 },
        );

        hold.open();
        await received.dispatched;
        expect(await deliveryRow()).to.deep.equal(afterB);
        expect(await eventStatus()).to.equal(late === 'failure' ? 'processed' : 'failed');
        expect(logA.warnings).to.deep.equal([LOST]);
        expect(hooksA).to.deep.equal([]);
      });

    it("rolls back the writes of an atomic receiver that lost its lease, keeping the new holder's", async () => {
      const hold = gate();
      const logA = recorder();
      const payA = await runner(() => hold.opened, { atomic: true, logger: logA });
      const payB = await runner(async () => {}, { atomic: true });
      await payA.knex.schema.createTable('ledger', (t) => {
        t.string('event_id');
        t.integer('attempt');
      });
      const { body, headers } = signed('evt_atomic_late');
      // Stored with its atomic receiver run inside the storing transaction (attempt 1), by B.
      await (await payB.receive('stripe', webhookRequest(body, headers))).dispatched;

      // A replays it (attempt 2) and is held inside its transaction; its lease runs out and B
      // replays it too (attempt 3), to the end.
      const replayA = payA.replay('evt_atomic_late', { receivers: 'all' });
      await until(async () => (await deliveryRow())?.attempts === 2);
      await expireLeases();
      await payB.replay('evt_atomic_late', { receivers: 'all' });
      hold.open();
      await replayA;

      const ledger = await db.reader('ledger').orderBy('attempt').select('attempt');
      expect(ledger.map((r: { attempt: number }) => r.attempt)).to.deep.equal([1, 3]);
      expect(await deliveryRow()).to.deep.equal({
        status: 'succeeded',
        attempts: 3,
        last_error: null,
        lease_token: null,
      });
      expect(logA.warnings).to.deep.equal([LOST]);
    });
  });

describe('dispatcher logs', () => {
  let db: TestDatabase;
  let registry: Registry;
  let pay: Payments;
  let server: TestServer;
  let logger: ReturnType<typeof recordingLogger>;

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

  async function send(id: string): Promise<number> {
    const { body, headers } = signWebhook('stripe', { payload: markedEvent(id), secret: SECRET });
    return (await post(`${server.origin}/payments/process/stripe/`, body, headers)).status;
  }

  /** Every field but the error, as text: what must not quote the payload. */
  const withoutErr = ({ fields }: LogEntry) => JSON.stringify({ ...fields, err: undefined });

  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
    registry = createRegistry();
    logger = recordingLogger();
  });

  afterEach(async () => {
    await server?.close();
    await pay?.close();
    await db.cleanup();
  });

  it('logs a receiver that throws at error, with its error and what names the event', async () => {
    const thrown = new TypeError('order 42 is not in the database');
    registry.receiver(
      'charge.succeeded',
      async () => {
        throw thrown;
      },
      { name: 'orders.mark-paid' },
    );
    await start();
    expect(await send('evt_throws')).to.equal(200);
    const [entry, ...more] = logger.at('error');
    expect(more).to.deep.equal([]);
    expect(entry?.message).to.equal('koa-payments: a receiver threw; it will be retried');
    expect(entry?.fields).to.include({
      err: thrown,
      variant: 'stripe',
      eventId: 'evt_throws',
      type: 'charge.succeeded',
      receiver: 'orders.mark-paid',
      attempt: 1,
    });
    expect(entry?.fields.nextAttemptAt).to.be.instanceOf(Date);
    expect(withoutErr(entry as LogEntry)).not.to.contain(MARKER);
  });

  it('logs the last attempt of a receiver as dead, with its error', async () => {
    const thrown = new Error('still broken');
    registry.receiver(
      'charge.succeeded',
      async () => {
        throw thrown;
      },
      { name: 'orders.mark-paid' },
    );
    await start({ retry: { maxAttempts: 1 } });
    expect(await send('evt_dead')).to.equal(200);
    const [entry] = logger.at('error');
    expect(entry?.message).to.equal(
      'koa-payments: a receiver failed its last attempt; the delivery is dead',
    );
    expect(entry?.fields).to.include({
      err: thrown,
      variant: 'stripe',
      eventId: 'evt_dead',
      type: 'charge.succeeded',
      receiver: 'orders.mark-paid',
      attempt: 1,
    });
    expect(withoutErr(entry as LogEntry)).not.to.contain(MARKER);
  });

  it('logs a retried attempt with its number', async () => {
    let calls = 0;
    registry.receiver('charge.succeeded', async function flaky() {
      calls += 1;
      throw new Error(`attempt ${calls} failed`);
    });
    await start();
    expect(await send('evt_retried')).to.equal(200);
    await pay.knex('payments_deliveries').update({ next_attempt_at: new Date(0) });
    expect(await pay.runDueDeliveries()).to.equal(1);
    expect(
      logger.at('error').map((e) => [e.fields.attempt, (e.fields.err as Error).message]),
    ).to.deep.equal([
      [1, 'attempt 1 failed'],
      [2, 'attempt 2 failed'],
    ]);
  });

  it('logs an atomic receiver that throws, with its error, before answering 500', async () => {
    const thrown = new Error('ledger is locked');
    registry.receiver(
      'charge.succeeded',
      async () => {
        throw thrown;
      },
      { name: 'ledger.book', atomic: true },
    );
    await start();
    expect(await send('evt_atomic')).to.equal(500);
    const [entry] = logger.at('error');
    expect(entry?.fields).to.include({
      err: thrown,
      variant: 'stripe',
      eventId: 'evt_atomic',
      type: 'charge.succeeded',
      receiver: 'ledger.book',
      attempt: 1,
    });
    expect(withoutErr(entry as LogEntry)).not.to.contain(MARKER);
  });
});
