/**
 * The normalized payment signals, over HTTP, on SQLite and Postgres: one `payment:succeeded`
 * receiver marks orders paid whatever the provider (issue 20's "done when", second half), each
 * signal once per variant and payment, none on a redelivery, `*` never gets them.
 */
import { expect } from 'chai';
import {
  createRegistry,
  type PaymentFacts,
  type Provider,
  type Registry,
  type VariantSettings,
} from '../../src/index.js';
import { factsOf } from '../../src/objects/facts.js';
import { builtinProviders } from '../../src/providers/index.js';
import { samplePayload, sendWebhook, signWebhook } from '../../src/testing/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { recordingLogger, servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

const VARIANTS = {
  stripe: { provider: 'stripe', endpointSecret: 'whsec_payment_signals' },
  paystack: { provider: 'paystack', secretKey: 'sk_test_payment_signals' },
  flutterwave: { provider: 'flutterwave', secretHash: 'flw-payment-signals' },
  razorpay: { provider: 'razorpay', webhookSecret: 'rzp-payment-signals' },
  paddle: { provider: 'paddle', secretKey: 'pdl_ntfset_payment_signals' },
  square: {
    provider: 'square',
    signatureKey: 'square-payment-signals',
    notificationUrl: 'https://shop.test/payments/process/square/',
  },
  lemonsqueezy: { provider: 'lemonsqueezy', signingSecret: 'ls-payment-signals' },
  payvost: { provider: 'payvost', endpointSecret: 'whsec_payvost_signals' },
} as const;
type Builtin = keyof typeof VARIANTS;

/** The event type of each provider's sample that reports a successful payment. */
const SUCCEEDED: Record<Builtin, string> = {
  stripe: 'payment_intent.succeeded',
  paystack: 'charge.success',
  flutterwave: 'charge.completed',
  razorpay: 'payment.captured',
  paddle: 'transaction.completed',
  square: 'payment.updated',
  lemonsqueezy: 'order_created',
  payvost: 'payment.succeeded',
};

/** A built-in provider of the test's variants, to read a payload's facts as the library does. */
function providerOf(name: Builtin): Provider {
  const definition = builtinProviders[name] as unknown as {
    create(options: unknown, context: unknown): Provider;
  };
  const { provider: _, ...options } = VARIANTS[name] as Record<string, unknown>;
  return definition.create(options, { variant: name, webhookUrl: () => 'https://shop.test/' });
}

/** The payment report the provider reads from a payload. */
function reportOf(name: Builtin, type: string, payload: unknown) {
  const report = factsOf(providerOf(name), type, payload).facts.payment;
  if (report === undefined) throw new Error(`${name} ${type} reports no payment`);
  return report;
}

const FAILING_FACTS: Provider = {
  name: 'acme',
  verify({ rawBody }) {
    const payload = JSON.parse(rawBody.toString('utf8'));
    return { id: payload.id, type: payload.type, data: payload.data, payload };
  },
  facts() {
    throw new Error('facts are broken');
  },
};

for (const dialect of DIALECTS)
  describe(`normalized payment signals on ${dialect}`, () => {
    let registry: Registry;
    let log: ReturnType<typeof recordingLogger>;
    beforeEach(() => {
      registry = createRegistry();
      log = recordingLogger();
    });
    const served = servedForEach(dialect, (db) => ({
      database: db.setting,
      registry,
      worker: false,
      logger: log.logger,
      variants: {
        ...VARIANTS,
        acme: { provider: FAILING_FACTS },
        // Runs receivers for live events only: a test event is stored ignored.
        live: { ...VARIANTS.stripe, mode: 'live' },
      },
    }));

    const send = async (variant: Builtin, payload: unknown) => {
      const sent = await sendWebhook(`${served.server.origin}/`, variant, payload as object, {
        settings: VARIANTS[variant] as VariantSettings,
      });
      expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
      return sent.body as { event: string; duplicate: boolean };
    };

    it('lets one payment:succeeded receiver mark orders paid for every provider', async () => {
      await served.pay.knex.schema.createTable('orders', (t) => {
        t.string('reference').primary();
        t.string('status').notNullable();
        t.string('provider');
        t.bigInteger('amount');
        t.string('currency', 3);
      });
      const seen: { type: string; stale: boolean; data: PaymentFacts }[] = [];
      registry.receiver(
        'payment:succeeded',
        async function markPaid({ type, data, trx, stale }) {
          seen.push({ type, stale, data });
          const updated = await trx!('orders')
            .where({ reference: data.reference, status: 'open' })
            .update({
              status: 'paid',
              provider: data.provider,
              amount: data.amount,
              currency: data.currency,
            });
          if (updated !== 1) throw new Error(`no open order ${data.reference}`);
        },
        { atomic: true },
      );
      const expected: Record<string, unknown>[] = [];
      for (const name of Object.keys(VARIANTS) as Builtin[]) {
        const type = SUCCEEDED[name];
        const payload = samplePayload(name, type);
        const { facts } = reportOf(name, type, payload);
        await served.pay.knex('orders').insert({ reference: facts.reference, status: 'open' });
        expected.push({
          reference: facts.reference,
          status: 'paid',
          provider: name,
          amount: facts.amount,
          currency: facts.currency,
        });
        await send(name, payload);
      }
      const orders = (await served.pay.knex('orders').orderBy('reference')).map(
        (o: Record<string, unknown>) => ({ ...o, amount: Number(o.amount) }),
      );
      const byReference = (a: Record<string, unknown>, b: Record<string, unknown>) =>
        String(a.reference) < String(b.reference) ? -1 : 1;
      expect(orders).to.deep.equal(expected.sort(byReference));
      expect(seen.map((s) => [s.type, s.stale, s.data.variant])).to.deep.equal(
        Object.keys(VARIANTS).map((name) => ['payment:succeeded', false, name]),
      );
      for (const { data } of seen) {
        expect(Number.isSafeInteger(data.amount), data.provider).to.equal(true);
        expect(data.currency, data.provider).to.match(/^[A-Z]{3}$/);
        expect(data.occurredAt, data.provider).to.be.instanceOf(Date);
      }
    });

    it('emits beside the provider type: * gets the provider event only, payment:* the signal', async () => {
      const got: string[] = [];
      registry.receiver('*', async function audit({ type }) {
        got.push(`audit ${type}`);
      });
      registry.receiver('payment:*', async function anyPayment({ type, data }) {
        got.push(`anyPayment ${type} ${data.provider}`);
      });
      await send('payvost', samplePayload('payvost', 'payment.failed'));
      await send('payvost', samplePayload('payvost', 'payment.created'));
      expect(got).to.deep.equal([
        'audit payment.failed',
        'anyPayment payment:failed payvost',
        'audit payment.created',
      ]);
    });

    it('emits each payment once across the events that report it, and nothing on a redelivery', async () => {
      const paid: string[] = [];
      registry.receiver('payment:succeeded', async function markPaid({ data, event }) {
        paid.push(`${data.paymentId} ${event.type}`);
      });
      // One Stripe payment, reported by its PaymentIntent, Charge and Checkout Session events.
      const intent = samplePayload('stripe', 'payment_intent.succeeded');
      const pi = (intent.data as { object: { id: string } }).object.id;
      const charge = samplePayload('stripe', 'charge.succeeded', {
        data: { object: { payment_intent: pi } },
      });
      const session = samplePayload('stripe', 'checkout.session.completed', {
        data: { object: { payment_intent: pi } },
      });
      await send('stripe', charge);
      await send('stripe', intent);
      await send('stripe', session);
      expect((await send('stripe', charge)).duplicate).to.equal(true);
      expect(paid).to.deep.equal([`${pi} charge.succeeded`]);
      // Square repeats payment.updated while a payment stays COMPLETED.
      const update = samplePayload('square', 'payment.updated');
      const squareId = (update.data as { id: string }).id;
      const again = samplePayload('square', 'payment.updated', {
        data: { id: squareId, object: { payment: { id: squareId } } },
      });
      await send('square', update);
      await send('square', again);
      expect(paid).to.deep.equal([`${pi} charge.succeeded`, `${squareId} payment.updated`]);
      // The deliveries are keyed like any other: one per event and receiver.
      const intentEvent = await served.pay.events.get(intent.id as string, 'stripe');
      expect(intentEvent?.deliveries).to.deep.equal([]);
      expect(intentEvent?.status).to.equal('ignored');
      const chargeEvent = await served.pay.events.get(charge.id as string, 'stripe');
      expect(chargeEvent?.deliveries.map((d) => [d.receiver, d.status])).to.deep.equal([
        ['markPaid', 'succeeded'],
      ]);
    });

    it('reruns a failed payment delivery from the database with the same facts, and replays it by name', async () => {
      let fail = true;
      const seen: PaymentFacts[] = [];
      registry.receiver('payment:refunded', async function refundOrder({ data }) {
        seen.push(data);
        if (fail) throw new Error('orders service down');
      });
      // Paystack's refunds carry no time: occurredAt is the event's receipt.
      const refund = samplePayload('paystack', 'refund.processed');
      const { event } = await send('paystack', refund);
      const stored = await served.pay.events.get(event, 'paystack');
      expect(stored?.deliveries.map((d) => d.status)).to.deep.equal(['failed']);
      expect(seen[0]?.occurredAt.getTime()).to.equal(stored?.receivedAt.getTime());
      fail = false;
      const replayed = await served.pay.replay(event, { variant: 'paystack' });
      expect(replayed.deliveries.map((d) => [d.receiver, d.status])).to.deep.equal([
        ['refundOrder', 'succeeded'],
      ]);
      expect(seen).to.have.length(2);
      expect(seen[1]).to.deep.equal(seen[0]);
      await served.pay.replay(event, { variant: 'paystack', receivers: ['refundOrder'] });
      await served.pay.replay(event, { variant: 'paystack', receivers: 'all' });
      expect(seen).to.have.length(4);

      // An event that did not emit the signal (another event of the payment came first) has
      // no payment receiver to replay.
      let paidRuns = 0;
      registry.receiver('payment:succeeded', async function markPaid() {
        paidRuns += 1;
      });
      const intent = samplePayload('stripe', 'payment_intent.succeeded');
      const pi = (intent.data as { object: { id: string } }).object.id;
      const charge = samplePayload('stripe', 'charge.succeeded', {
        data: { object: { payment_intent: pi } },
      });
      await send('stripe', intent);
      await send('stripe', charge);
      expect(paidRuns).to.equal(1);
      const error = await served.pay
        .replay(charge.id as string, { variant: 'stripe', receivers: ['markPaid'] })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.message).to.match(/does not listen/);
      await served.pay.replay(charge.id as string, { variant: 'stripe', receivers: 'all' });
      expect(paidRuns).to.equal(1);
      await served.pay.replay(intent.id as string, { variant: 'stripe', receivers: ['markPaid'] });
      expect(paidRuns).to.equal(2);
    });

    it('stores an event whose facts cannot be read, runs its own receivers, emits nothing, and logs why', async () => {
      const got: string[] = [];
      registry.receiver('*', async function audit({ type }) {
        got.push(type);
      });
      registry.receiver('payment:*', async function anyPayment({ type }) {
        got.push(type);
      });
      const payload = { id: 'acme_1', type: 'payment.succeeded', data: { amount: 1 } };
      const res = await post(served.url('acme'), JSON.stringify(payload), {
        'content-type': 'application/json',
      });
      expect(res.status).to.equal(200);
      expect(got).to.deep.equal(['payment.succeeded']);
      const line = log.lines.find((l) => l.message.includes('facts() threw'));
      expect(line?.level).to.equal('error');
      expect(line?.fields).to.include({ variant: 'acme', eventId: 'acme_1' });

      // A payment the provider cannot report exactly: a warning with the reason, no signal.
      const odd = samplePayload('stripe', 'payment_intent.succeeded', {
        data: { object: { currency: 'xts' } },
      });
      await send('stripe', odd);
      expect(got).to.deep.equal(['payment.succeeded', 'payment_intent.succeeded']);
      const warning = log.lines.find((l) => l.message.includes('reports no payment signal'));
      expect(warning?.level).to.equal('warn');
      expect(String(warning?.fields.problem)).to.match(/XTS|xts/);
    });

    it('neither emits nor mirrors an event stored ignored for its variant mode', async () => {
      const got: string[] = [];
      registry.receiver('payment:*', async function anyPayment({ type }) {
        got.push(type);
      });
      const testEvent = samplePayload('stripe', 'payment_intent.succeeded', { livemode: false });
      const sent = await sendWebhook(`${served.server.origin}/`, 'live', testEvent, {
        settings: VARIANTS.stripe as VariantSettings,
      });
      expect(sent.status).to.equal(200);
      const stored = await served.pay.events.get(testEvent.id as string, 'live');
      expect(stored).to.include({ status: 'ignored', ignoredReason: 'mode_mismatch' });
      expect(got).to.deep.equal([]);
      expect(await served.pay.objects.list({ variant: 'live' })).to.deep.equal([]);
      const [emitted] = await served.pay.knex('payments_payment_signals').count({ n: '*' });
      expect(Number(emitted?.n)).to.equal(0);
    });

    it('refuses the signature of a forged payment before any signal', async () => {
      const got: string[] = [];
      registry.receiver('payment:*', async function anyPayment({ type }) {
        got.push(type);
      });
      const { body, headers } = signWebhook('stripe', {
        payload: samplePayload('stripe', 'payment_intent.succeeded'),
        secret: 'whsec_someone_else',
      });
      const res = await post(served.url('stripe'), body, headers);
      expect(res.status).to.equal(400);
      expect(got).to.deep.equal([]);
    });
  });
