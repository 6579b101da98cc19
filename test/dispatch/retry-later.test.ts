/**
 * RetryLater: a receiver says "not yet" (the webhook beat the checkout request that creates the
 * order) and its delivery stays pending, uncounted, until `retry.deferFor` has passed. Time is
 * moved the way the worker reads it: the test sets `next_attempt_at` (and `deferred_since`)
 * into the past, never waits.
 */
import { expect } from 'chai';
import { isRetryLater } from '../../src/dispatch/retry-later.js';
import {
  createRegistry,
  type Payments,
  type PaymentsSettings,
  payments,
  RetryLater,
} from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { webhookRequest } from '../helpers/provider.js';

const SECRET = 'whsec_retry_later_test';
const DEFERRED = 'koa-payments: a receiver deferred its delivery (RetryLater); it runs again later';

function checkoutCompleted(id: string, reference: string) {
  return signWebhook('stripe', {
    secret: SECRET,
    payload: {
      id,
      object: 'event',
      type: 'checkout.session.completed',
      created: 1_700_000_000,
      data: { object: { id: `cs_${id}`, client_reference_id: reference } },
    },
  });
}

for (const dialect of DIALECTS)
  describe(`RetryLater on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let logger: ReturnType<typeof recordingLogger>;
    let hooks: string[];

    /** The shop: an orders table, and a receiver that marks the order paid once it exists. */
    async function shop(
      retry: PaymentsSettings['retry'] = {},
      options: { after?: string } = { after: '2s' },
    ): Promise<void> {
      const registry = createRegistry();
      registry.receiver(
        'checkout.session.completed',
        async ({ data }) => {
          const reference = (data as { client_reference_id: string }).client_reference_id;
          const changed = await pay.knex('orders').where({ reference }).update({ status: 'paid' });
          if (changed === 0) {
            throw new RetryLater(`order ${reference} not created yet`, options);
          }
        },
        { name: 'orders.mark-paid' },
      );
      logger = recordingLogger();
      pay = payments({
        database: db.setting,
        registry,
        logger,
        worker: false,
        retry,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await pay.migrate();
      await pay.knex.schema.createTable('orders', (t) => {
        t.string('reference').primary();
        t.string('status').notNullable();
      });
      hooks = [];
      for (const hook of ['delivery.failed', 'delivery.dead', 'delivery.succeeded'] as const) {
        pay.on(hook, () => void hooks.push(hook));
      }
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      await pay.close();
      await db.cleanup();
    });

    const delivery = () => db.reader('payments_deliveries').first();
    /** Makes the deferred delivery due now, as if its `after` had passed. */
    const makeDue = () =>
      db.reader('payments_deliveries').update({ next_attempt_at: new Date(Date.now() - 1) });

    it('keeps a webhook that arrived before its order pending, and marks the order paid on the run after the order was created', async () => {
      await shop();
      const { body, headers } = checkoutCompleted('evt_early', 'order-7');
      const before = Date.now();
      const received = await pay.receive('stripe', webhookRequest(body, headers));
      await received.dispatched;
      const sent = Date.now();

      const deferred = await delivery();
      expect(deferred).to.include({
        status: 'pending',
        attempts: 0,
        deferred_reason: 'order order-7 not created yet',
        lease_token: null,
      });
      // Due 2 s after the deferral: `after: '2s'`.
      const due = new Date(deferred.next_attempt_at).getTime();
      expect(due).to.be.within(before + 2_000, sent + 2_000);
      expect(new Date(deferred.deferred_since).getTime()).to.be.within(before, sent);
      expect((await pay.events.get('evt_early'))?.status).to.equal('pending');
      // The events API says why it waits.
      const [shown] = (await pay.events.get('evt_early'))?.deliveries ?? [];
      expect(shown).to.include({
        status: 'pending',
        attempts: 0,
        deferredReason: 'order order-7 not created yet',
      });
      expect(hooks).to.deep.equal([]);
      expect(logger.at('debug').map((e) => e.message)).to.include(DEFERRED);
      expect(logger.at('error')).to.deep.equal([]);

      // The checkout request creates the order; 2 s later the delivery is due again.
      await pay.knex('orders').insert({ reference: 'order-7', status: 'open' });
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);

      expect(await pay.knex('orders').first()).to.deep.equal({
        reference: 'order-7',
        status: 'paid',
      });
      expect(await delivery()).to.include({
        status: 'succeeded',
        attempts: 1,
        deferred_reason: null,
        deferred_since: null,
      });
      expect((await pay.events.get('evt_early'))?.status).to.equal('processed');
      expect(hooks).to.deep.equal(['delivery.succeeded']);
    });

    it('never uses up an attempt while deferred, however often, within deferFor', async () => {
      await shop({ maxAttempts: 2 }, {});
      const { body, headers } = checkoutCompleted('evt_often', 'order-8');
      await (await pay.receive('stripe', webhookRequest(body, headers))).dispatched;
      for (let run = 0; run < 4; run++) {
        await makeDue();
        expect(await pay.runDueDeliveries()).to.equal(1);
      }
      const row = await delivery();
      expect(row).to.include({ status: 'pending', attempts: 0 });
      // Without `after`: the deferral schedule, from retry.minDelayMs (10 s by default) on.
      expect(new Date(row.next_attempt_at).getTime()).to.be.greaterThan(Date.now() + 9_000);
      expect(hooks).to.deep.equal([]);
    });

    it('fails as any error does once a deferral outlives deferFor: an attempt, the failed hook, then dead', async () => {
      await shop({ maxAttempts: 2, deferFor: '1h' });
      const { body, headers } = checkoutCompleted('evt_never', 'order-9');
      await (await pay.receive('stripe', webhookRequest(body, headers))).dispatched;
      expect(await delivery()).to.include({ status: 'pending', attempts: 0 });

      // The first deferral was more than an hour ago.
      await db
        .reader('payments_deliveries')
        .update({ deferred_since: new Date(Date.now() - 61 * 60_000) });
      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);
      const failed = await delivery();
      expect(failed).to.include({ status: 'failed', attempts: 1, deferred_reason: null });
      expect(failed.last_error).to.match(/^RetryLater: order order-9 not created yet/);
      expect(hooks).to.deep.equal(['delivery.failed']);
      expect(logger.at('error').map((e) => e.message)).to.deep.equal([
        'koa-payments: a receiver threw; it will be retried',
      ]);
      expect((await pay.events.get('evt_never'))?.status).to.equal('failed');

      await makeDue();
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(await delivery()).to.include({ status: 'dead', attempts: 2, deferred_since: null });
      expect(hooks).to.deep.equal(['delivery.failed', 'delivery.dead']);
    });
  });

describe('RetryLater', () => {
  it('takes after as milliseconds or a duration string, and refuses anything else', () => {
    expect(new RetryLater('not yet').afterMs).to.equal(undefined);
    expect(new RetryLater('not yet', { after: 1_500 }).afterMs).to.equal(1_500);
    expect(new RetryLater('not yet', { after: '2s' }).afterMs).to.equal(2_000);
    expect(new RetryLater('not yet', { after: '5m' })).to.include({
      name: 'RetryLater',
      code: 'retry_later',
      reason: 'not yet',
      message: 'not yet',
      afterMs: 300_000,
    });
    expect(() => new RetryLater('not yet', { after: 'soon' })).to.throw(TypeError, /after/);
    expect(() => new RetryLater('not yet', { after: -1 })).to.throw(TypeError, /after/);
    expect(() => new RetryLater('')).to.throw(TypeError, /reason/);
  });

  it('knows a RetryLater thrown by another copy of the library (a module evaluated twice)', () => {
    const fromAnotherCopy = Object.assign(new Error('not yet'), {
      [Symbol.for('koa-payments.RetryLater')]: true,
      reason: 'not yet',
      afterMs: 1_000,
    });
    expect(isRetryLater(fromAnotherCopy)).to.equal(true);
    expect(isRetryLater(new RetryLater('not yet'))).to.equal(true);
    expect(isRetryLater(new Error('not yet'))).to.equal(false);
    expect(isRetryLater(null)).to.equal(false);
  });
});
