/**
 * `pay.reconcile()` for each provider with an API, on SQLite and Postgres, against loopback fakes
 * of the APIs: one status per reference, the event stored once whichever of the webhook and the
 * reconciliation comes first.
 */
import { expect } from 'chai';
import {
  createRegistry,
  ProviderUnavailableError,
  ReconcileError,
  type VariantSettings,
} from '../../src/index.js';
import { builtinProviders } from '../../src/providers/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { fakeForEach } from '../fakes/server.js';
import type { StripeApiFake } from '../fakes/stripe-api.js';
import { count, DIALECTS } from '../helpers/databases.js';
import { rejection, servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';
import { type ApiFake, CASES, type SyncCase } from './cases.js';

type Json = Record<string, unknown>;

function servedReconcile(c: SyncCase, dialect: (typeof DIALECTS)[number]) {
  const api = fakeForEach(() => c.fake());
  const calls: { eventId: string; source: string }[] = [];
  /** The payments `payment:succeeded` ran for. */
  const paid: string[] = [];
  const served = servedForEach(dialect, (db) => {
    const registry = createRegistry();
    registry.receiver('*', async function record({ event, source }) {
      calls.push({ eventId: event.eventId, source });
    });
    registry.receiver('payment:succeeded', async function markPaid({ data }) {
      paid.push(data.paymentId);
    });
    const options = c.options(api.current.origin);
    const tuned = builtinProviders[c.provider].create(options as never, {
      variant: 'tuned',
      webhookUrl: () => '',
      http: { sleep: async () => {} },
    });
    return {
      database: db.setting,
      registry,
      variants: {
        direct: { provider: c.provider, ...options } as VariantSettings,
        tuned: { provider: tuned },
      },
    };
  });
  beforeEach(() => {
    calls.length = 0;
    paid.length = 0;
  });
  return {
    served,
    calls,
    paid,
    get fake(): ApiFake {
      return api.current;
    },
  };
}

for (const c of CASES)
  for (const dialect of DIALECTS)
    describe(`${c.provider} reconcile on ${dialect}`, () => {
      const t = servedReconcile(c, dialect);

      it('stores a settled payment as the event its webhook carries, once, and answers that webhook as a duplicate', async () => {
        const payment = c.payment(t.fake, 5);
        const [result] = await t.served.pay.reconcile('direct', [payment.reference]);
        expect(result).to.deep.include({ reference: payment.reference, status: 'stored' });
        expect(result?.event).to.include({
          eventId: payment.id,
          type: payment.type,
          source: 'reconcile',
          status: 'processed',
        });
        expect(t.calls).to.deep.equal([{ eventId: payment.id, source: 'reconcile' }]);

        const [again] = await t.served.pay.reconcile('direct', [payment.reference]);
        expect(again).to.deep.include({ status: 'duplicate' });
        const res = await post(t.served.url('direct'), payment.body, payment.headers);
        expect(res.body).to.deep.equal({ received: true, event: payment.id, duplicate: true });
        expect(t.calls).to.have.length(1);
        expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
      });

      it('answers duplicate for a payment whose webhook came first', async () => {
        const payment = c.payment(t.fake, 5);
        await post(t.served.url('direct'), payment.body, payment.headers);
        const [result] = await t.served.pay.reconcile('direct', [payment.reference]);
        expect(result).to.deep.include({ status: 'duplicate' });
        expect(result?.event).to.include({ eventId: payment.id, source: 'webhook' });
        expect(t.calls).to.deep.equal([{ eventId: payment.id, source: 'webhook' }]);
      });

      it('reports a payment in progress as pending and an unknown reference as not_found, storing nothing, one result per reference in order', async () => {
        const pending = c.pending(t.fake);
        const settled = c.payment(t.fake, 1);
        const results = await t.served.pay.reconcile('direct', [
          pending,
          c.unknown,
          settled.reference,
        ]);
        expect(results.map((r) => [r.reference, r.status])).to.deep.equal([
          [pending, 'pending'],
          [c.unknown, 'not_found'],
          [settled.reference, 'stored'],
        ]);
        expect(results[0]?.paymentStatus).to.be.a('string').and.not.equal('');
        expect(results[1]).not.to.have.property('paymentStatus');
        expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
      });
    });

for (const c of CASES)
  describe(`${c.provider} reconcile when the API fails`, () => {
    const t = servedReconcile(c, 'sqlite');

    it('stops at a reference the API cannot answer about, keeping the results before it', async () => {
      const first = c.payment(t.fake, 3);
      const second = c.payment(t.fake, 2);
      let lookups = 0;
      // The first reference's requests pass; every request after them fails.
      t.fake.script(
        () => lookups++ >= (c.provider === 'stripe' ? 2 : 1),
        { status: 500 },
        { status: 500 },
        { status: 500 },
      );
      const error = (await rejection(
        t.served.pay.reconcile('tuned', [first.reference, second.reference]),
      )) as ReconcileError;
      expect(error).to.be.instanceOf(ReconcileError);
      expect(error).to.include({ code: 'reconcile_failed', reference: second.reference });
      expect(error.results.map((r) => r.status)).to.deep.equal(['stored']);
      expect(error.cause).to.be.instanceOf(ProviderUnavailableError);
      expect(error.message).to.match(
        new RegExp(
          `^Reconciling ${second.reference} of variant tuned failed: .* The 1 reference before it is done\\.$`,
        ),
      );
      expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
    });
  });

describe('stripe reconcile', () => {
  const c = CASES.find((x) => x.provider === 'stripe') as SyncCase;
  const t = servedReconcile(c, 'sqlite');
  const fake = () => t.fake as unknown as StripeApiFake;

  it("builds the event from the object when Stripe's own is not among its events, with the id <type>:<object id>", async () => {
    const event = samplePayload('stripe', 'payment_intent.succeeded');
    const intent = (event.data as { object: Json }).object;
    fake().addObject(intent); // older than Stripe's 30 days of events: no event listed
    const [result] = await t.served.pay.reconcile('direct', [String(intent.id)]);
    const id = `payment_intent.succeeded:${intent.id}`;
    expect(result).to.deep.include({ status: 'stored', paymentStatus: 'succeeded' });
    expect(result?.event).to.include({
      eventId: id,
      type: 'payment_intent.succeeded',
      livemode: false,
    });
    expect(result?.event?.payload).to.deep.include({
      id,
      object: 'event',
      type: 'payment_intent.succeeded',
    });
    const payload = result?.event?.payload as { data: { object: Json } };
    expect(payload.data.object).to.deep.equal(intent);
    const [again] = await t.served.pay.reconcile('direct', [String(intent.id)]);
    expect(again?.status).to.equal('duplicate');
    expect(t.calls).to.deep.equal([{ eventId: id, source: 'reconcile' }]);
    expect(t.paid).to.deep.equal([intent.id]);
    // Stripe's own webhook of the payment, should it still come, is another event (its evt_ id)
    // and runs the receivers of its type again; the payment signal, once per payment, does not.
    const webhook = signWebhook('stripe', {
      payload: event,
      secret: String(c.options('').endpointSecret),
    });
    const res = await post(t.served.url('direct'), webhook.body, webhook.headers);
    expect(res.body).to.deep.include({ event: event.id, duplicate: false });
    expect(t.calls).to.deep.equal([
      { eventId: id, source: 'reconcile' },
      { eventId: event.id, source: 'webhook' },
    ]);
    expect(t.paid).to.deep.equal([intent.id]);
  });

  it('stores a canceled PaymentIntent as payment_intent.canceled', async () => {
    const intent: Json = {
      ...(samplePayload('stripe', 'payment_intent.succeeded').data as { object: Json }).object,
      status: 'canceled',
    };
    fake().addObject(intent);
    const [result] = await t.served.pay.reconcile('direct', [String(intent.id)]);
    expect(result?.event?.eventId).to.equal(`payment_intent.canceled:${intent.id}`);
  });

  it('reconciles a Checkout Session by its cs_ id: complete is checkout.session.completed, open is pending', async () => {
    const completed = samplePayload('stripe', 'checkout.session.completed');
    const session = (completed.data as { object: Json }).object;
    fake().addEvent(completed).addObject(session);
    const open: Json = {
      ...session,
      id: `${session.id}_open`,
      status: 'open',
      payment_status: 'unpaid',
    };
    fake().addObject(open);
    const results = await t.served.pay.reconcile('direct', [String(session.id), String(open.id)]);
    expect(results.map((r) => [r.status, r.paymentStatus, r.event?.eventId])).to.deep.equal([
      ['stored', 'paid', completed.id],
      ['pending', 'open', undefined],
    ]);
    const signed = signWebhook('stripe', {
      payload: completed,
      secret: String(c.options('').endpointSecret),
    });
    const res = await post(t.served.url('direct'), signed.body, signed.headers);
    expect(res.body.duplicate).to.equal(true);
  });

  it('refuses a reference that is neither a PaymentIntent nor a Checkout Session id, before asking', async () => {
    const error = await rejection(t.served.pay.reconcile('direct', ['ch_3Pz']));
    expect(error).to.be.instanceOf(TypeError);
    expect(error.message).to.include(
      "PaymentIntent id (pi_...) or a Checkout Session id (cs_...), got 'ch_3Pz'",
    );
    expect(t.fake.requests).to.deep.equal([]);
  });

  it('refuses references that are not strings', async () => {
    const error = await rejection(t.served.pay.reconcile('direct', [''] as string[]));
    expect(error).to.be.instanceOf(TypeError);
  });
});

describe('paystack reconcile', () => {
  const c = CASES.find((x) => x.provider === 'paystack') as SyncCase;
  const t = servedReconcile(c, 'sqlite');

  it('reports a failed or abandoned transaction as not_found with its status: no webhook reports it', async () => {
    const data = samplePayload('paystack', 'charge.success').data as Json;
    (t.fake as unknown as { addTransaction(tx: Json): void }).addTransaction({
      ...data,
      status: 'abandoned',
    });
    const [result] = await t.served.pay.reconcile('direct', [String(data.reference)]);
    expect(result).to.deep.equal({
      reference: data.reference,
      status: 'not_found',
      paymentStatus: 'abandoned',
    });
  });
});
