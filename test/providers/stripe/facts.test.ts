import { expect } from 'chai';
import { stripeFacts } from '../../../src/providers/stripe/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const CREATED = 1_700_000_000;

/** A Stripe event around `object`, as stored. */
function event(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { id: 'evt_1', object: 'event', type, created: CREATED, data: { object, ...extra } };
}

describe('stripe facts', () => {
  describe('the object an event is about', () => {
    it('is data.object, versioned by the event time in microseconds, at its path in the payload', () => {
      const payload = samplePayload('stripe', 'customer.subscription.updated', {
        created: CREATED,
      });
      const facts = stripeFacts('customer.subscription.updated', payload);
      expect(facts.object).to.deep.equal({
        type: 'subscription',
        id: payload.data.object.id,
        version: CREATED * 1_000_000,
        path: ['data', 'object'],
      });
      expect(facts.payment).to.equal(undefined);
    });

    it('gives two events of the same second the same version (a tie, not staleness)', () => {
      const first = stripeFacts(
        'customer.updated',
        event('customer.updated', { id: 'cus_1', object: 'customer' }),
      );
      const second = stripeFacts(
        'customer.updated',
        event('customer.updated', { id: 'cus_1', object: 'customer' }),
      );
      expect(first.object?.version).to.equal(second.object?.version);
    });

    it('has no version when the event has no created time', () => {
      const payload = {
        type: 'customer.created',
        data: { object: { id: 'cus_1', object: 'customer' } },
      };
      expect(stripeFacts('customer.created', payload).object).to.deep.equal({
        type: 'customer',
        id: 'cus_1',
        path: ['data', 'object'],
      });
    });

    it('reports nothing for a payload without data.object', () => {
      expect(stripeFacts('ping', { id: 'evt_1', type: 'ping' })).to.deep.equal({});
      expect(stripeFacts('ping', 'not an object')).to.deep.equal({});
      expect(stripeFacts('ping', null)).to.deep.equal({});
    });
  });

  describe('one payment across its PaymentIntent, Charge and Checkout Session events', () => {
    const pi = 'pi_3PtrioKoaPayments';
    const intent = samplePayload('stripe', 'payment_intent.succeeded', {
      created: CREATED,
      data: { object: { id: pi, metadata: { order: '42' } } },
    });
    const chargeEvent = samplePayload('stripe', 'charge.succeeded', {
      created: CREATED + 1,
      data: { object: { payment_intent: pi } },
    });
    const session = samplePayload('stripe', 'checkout.session.completed', {
      created: CREATED + 1,
      data: { object: { payment_intent: pi, client_reference_id: 'order-42' } },
    });
    const reports = [
      stripeFacts('payment_intent.succeeded', intent).payment,
      stripeFacts('charge.succeeded', chargeEvent).payment,
      stripeFacts('checkout.session.completed', session).payment,
    ];

    it('reports payment:succeeded from each, with one paymentId and one key', () => {
      for (const report of reports) {
        expect(report?.signal).to.equal('payment:succeeded');
        expect(report?.facts.paymentId).to.equal(pi);
        expect(report?.facts.amount).to.equal(2000);
        expect(report?.facts.currency).to.equal('USD');
      }
      expect(new Set(reports.map((report) => report?.key))).to.deep.equal(
        new Set([`payment:succeeded:${pi}`]),
      );
    });

    it('keeps each event its own object', () => {
      expect(stripeFacts('payment_intent.succeeded', intent).object?.type).to.equal(
        'payment_intent',
      );
      expect(stripeFacts('charge.succeeded', chargeEvent).object).to.include({
        type: 'charge',
        id: chargeEvent.data.object.id,
      });
      expect(stripeFacts('checkout.session.completed', session).object?.type).to.equal(
        'checkout.session',
      );
    });

    it("takes Checkout's client_reference_id as the reference; the others have none", () => {
      const [fromIntent, fromCharge, fromSession] = reports;
      expect(fromSession?.facts.reference).to.equal('order-42');
      expect(fromIntent?.facts.reference).to.equal(pi);
      expect(fromCharge?.facts.reference).to.equal(pi);
    });

    it('reads customer, metadata, status and time from the event', () => {
      const [fromIntent, fromCharge, fromSession] = reports;
      expect(fromIntent?.facts).to.deep.include({
        status: 'succeeded',
        metadata: { order: '42' },
        customer: { id: intent.data.object.customer },
        occurredAt: new Date(CREATED * 1000),
      });
      expect(fromCharge?.facts.customer).to.deep.equal({
        id: chargeEvent.data.object.customer,
        email: 'jenny.rosen@example.com',
      });
      expect(fromSession?.facts.status).to.equal('paid');
      expect(fromSession?.facts.customer?.email).to.equal('jenny.rosen@example.com');
    });

    it("reports a refund of the payment under the PaymentIntent's id", () => {
      const refunded = samplePayload('stripe', 'charge.refunded', {
        data: { object: { payment_intent: pi } },
      });
      const report = stripeFacts('charge.refunded', refunded).payment;
      expect(report?.signal).to.equal('payment:refunded');
      expect(report?.facts.paymentId).to.equal(pi);
    });
  });

  describe('PaymentIntent events', () => {
    it('reports payment:failed with the amount asked for', () => {
      const payload = samplePayload('stripe', 'payment_intent.payment_failed');
      const report = stripeFacts('payment_intent.payment_failed', payload).payment;
      expect(report).to.deep.include({
        signal: 'payment:failed',
        key: `payment:failed:${payload.data.object.id}`,
      });
      expect(report?.facts).to.include({ amount: 2000, status: 'requires_payment_method' });
    });

    it('reports the amount received, and an order_reference from payment_details', () => {
      const payload = event('payment_intent.succeeded', {
        id: 'pi_1',
        object: 'payment_intent',
        amount: 5000,
        amount_received: 4500,
        currency: 'eur',
        status: 'succeeded',
        customer: { id: 'cus_expanded', object: 'customer' },
        receipt_email: 'a@example.com',
        metadata: {},
        payment_details: { customer_reference: null, order_reference: 'ord_77' },
      });
      expect(stripeFacts('payment_intent.succeeded', payload).payment?.facts).to.deep.include({
        reference: 'ord_77',
        amount: 4500,
        currency: 'EUR',
        customer: { id: 'cus_expanded', email: 'a@example.com' },
      });
    });

    it('reports nothing for the other PaymentIntent events', () => {
      for (const type of [
        'payment_intent.created',
        'payment_intent.processing',
        'payment_intent.canceled',
      ]) {
        const payload = samplePayload('stripe', 'payment_intent.succeeded', { type });
        expect(stripeFacts(type, payload).payment, type).to.equal(undefined);
      }
    });
  });

  describe('Checkout Session events', () => {
    it('report nothing while an asynchronous payment is pending, then its outcome', () => {
      const session = (type: string, payment_status: string) =>
        samplePayload('stripe', 'checkout.session.completed', {
          type,
          data: { object: { payment_status } },
        });
      const pending = session('checkout.session.completed', 'unpaid');
      expect(stripeFacts('checkout.session.completed', pending).payment).to.equal(undefined);
      const paid = session('checkout.session.async_payment_succeeded', 'paid');
      expect(stripeFacts(paid.type, paid).payment?.signal).to.equal('payment:succeeded');
      const failed = session('checkout.session.async_payment_failed', 'unpaid');
      expect(stripeFacts(failed.type, failed).payment?.signal).to.equal('payment:failed');
    });

    it('leave a subscription-mode session to its invoice PaymentIntent', () => {
      const payload = samplePayload('stripe', 'checkout.session.completed', {
        data: { object: { mode: 'subscription', payment_intent: null, subscription: 'sub_1' } },
      });
      const facts = stripeFacts('checkout.session.completed', payload);
      expect(facts.payment).to.equal(undefined);
      expect(facts.object?.type).to.equal('checkout.session');
    });

    it('report nothing for a session that needed no payment or expired', () => {
      const free = samplePayload('stripe', 'checkout.session.completed', {
        data: { object: { payment_status: 'no_payment_required', payment_intent: null } },
      });
      expect(stripeFacts('checkout.session.completed', free).payment).to.equal(undefined);
      const expired = samplePayload('stripe', 'checkout.session.expired');
      expect(stripeFacts('checkout.session.expired', expired).payment).to.equal(undefined);
    });
  });

  describe('Charge events', () => {
    it('report a charge made without a PaymentIntent under its own id', () => {
      // The shape of a Charges API charge (no PaymentIntent), as in Stripe's API reference.
      const payload = event('charge.succeeded', {
        id: 'ch_3MmlLrLkdIwHu7ix0snN0B15',
        object: 'charge',
        amount: 1099,
        amount_captured: 1099,
        amount_refunded: 0,
        billing_details: { email: null, name: null },
        captured: true,
        currency: 'usd',
        customer: null,
        metadata: {},
        paid: true,
        payment_intent: null,
        receipt_email: null,
        refunded: false,
        status: 'succeeded',
      });
      const report = stripeFacts('charge.succeeded', payload).payment;
      expect(report?.key).to.equal('payment:succeeded:ch_3MmlLrLkdIwHu7ix0snN0B15');
      expect(report?.facts).to.deep.equal({
        reference: 'ch_3MmlLrLkdIwHu7ix0snN0B15',
        paymentId: 'ch_3MmlLrLkdIwHu7ix0snN0B15',
        amount: 1099,
        currency: 'USD',
        status: 'succeeded',
        metadata: {},
        occurredAt: new Date(CREATED * 1000),
      });
    });

    it('report an authorisation that is not captured yet as nothing, its capture as success', () => {
      const authorised = samplePayload('stripe', 'charge.succeeded', {
        data: { object: { captured: false, amount_captured: 0 } },
      });
      expect(stripeFacts('charge.succeeded', authorised).payment).to.equal(undefined);
      const captured = samplePayload('stripe', 'charge.succeeded', { type: 'charge.captured' });
      expect(stripeFacts('charge.captured', captured).payment?.signal).to.equal(
        'payment:succeeded',
      );
    });

    it('report a failed charge as payment:failed', () => {
      const payload = samplePayload('stripe', 'charge.failed');
      const report = stripeFacts('charge.failed', payload).payment;
      expect(report?.signal).to.equal('payment:failed');
      expect(report?.facts).to.include({ status: 'failed', amount: 2000 });
      expect(report?.facts.paymentId).to.equal(payload.data.object.payment_intent);
    });

    it('report each refund of a charge with its own amount and key', () => {
      const object = samplePayload('stripe', 'charge.refunded').data.object;
      const partial = event(
        'charge.refunded',
        { ...object, amount_refunded: 500, refunded: false },
        { previous_attributes: { amount_refunded: 0, refunded: false } },
      );
      const rest = event(
        'charge.refunded',
        { ...object, amount_refunded: 2000, refunded: true },
        { previous_attributes: { amount_refunded: 500 } },
      );
      const first = stripeFacts('charge.refunded', partial).payment;
      const second = stripeFacts('charge.refunded', rest).payment;
      expect(first?.facts).to.include({ amount: 500, status: 'partially_refunded' });
      expect(second?.facts).to.include({ amount: 1500, status: 'refunded' });
      expect(first?.key).to.equal(`payment:refunded:${object.id}:500`);
      expect(second?.key).to.equal(`payment:refunded:${object.id}:2000`);
    });

    it('report the running total of refunds when the event says nothing of the previous one', () => {
      const object = samplePayload('stripe', 'charge.refunded').data.object;
      const payload = event('charge.refunded', { ...object, amount_refunded: 800 });
      expect(stripeFacts('charge.refunded', payload).payment?.facts.amount).to.equal(800);
    });
  });

  describe('amounts', () => {
    function amountOf(amount: number, currency: string) {
      const payload = event('payment_intent.succeeded', {
        id: 'pi_1',
        object: 'payment_intent',
        amount,
        amount_received: amount,
        currency,
        status: 'succeeded',
      });
      return stripeFacts('payment_intent.succeeded', payload);
    }

    it('keeps Stripe amounts that are ISO minor units: JPY 0 decimals, KWD 3', () => {
      expect(amountOf(500, 'jpy').payment?.facts).to.include({ amount: 500, currency: 'JPY' });
      expect(amountOf(12_340, 'kwd').payment?.facts).to.include({
        amount: 12_340,
        currency: 'KWD',
      });
    });

    it("rescales Stripe's own units for ISK (hundredths) and MGA (whole ariary)", () => {
      expect(amountOf(50_000, 'isk').payment?.facts).to.include({ amount: 500, currency: 'ISK' });
      expect(amountOf(500, 'mga').payment?.facts).to.include({ amount: 50_000, currency: 'MGA' });
    });

    it('reports a problem, not a guess, for fractional krónur or an unknown currency', () => {
      const fractional = amountOf(4010, 'isk');
      expect(fractional.payment).to.equal(undefined);
      expect(fractional.problem).to.match(/payment:succeeded not reported for pi_1: 40\.1 ISK/);
      expect(fractional.object?.id).to.equal('pi_1');
      expect(amountOf(100, 'xyz').problem).to.match(/"XYZ"|"xyz"/);
    });
  });
});
