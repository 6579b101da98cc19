import { expect } from 'chai';
import { paypalFacts } from '../../../src/providers/paypal/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

describe('paypal facts', () => {
  it('reports a completed capture as payment:succeeded, in minor units, with your reference', () => {
    const body = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED', {
      resource: { amount: { currency_code: 'EUR', value: '1234.56' }, custom_id: 'order-42' },
    });
    const facts = paypalFacts('PAYMENT.CAPTURE.COMPLETED', body);
    expect(facts.object).to.deep.include({ type: 'capture', id: body.resource.id });
    expect(facts.object?.version).to.equal(Date.parse(body.resource.update_time) * 1000);
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${body.resource.id}`,
      facts: {
        paymentId: body.resource.id,
        reference: 'order-42',
        amount: 123456,
        currency: 'EUR',
        status: 'COMPLETED',
        metadata: { order_id: body.resource.supplementary_data.related_ids.order_id },
        occurredAt: new Date(body.resource.update_time),
      },
    });
  });

  it('reports a denied capture as payment:failed, and falls back to invoice_id, then the capture id', () => {
    const denied = samplePayload('paypal', 'PAYMENT.CAPTURE.DENIED', {
      resource: { custom_id: undefined },
    });
    delete denied.resource.custom_id;
    expect(paypalFacts('PAYMENT.CAPTURE.DENIED', denied).payment?.facts).to.include({
      reference: denied.resource.id,
      status: 'DECLINED',
    });
    denied.resource.invoice_id = 'INV-7';
    const payment = paypalFacts('PAYMENT.CAPTURE.DENIED', denied).payment;
    expect(payment?.signal).to.equal('payment:failed');
    expect(payment?.facts.reference).to.equal('INV-7');
  });

  it('reports a refund against the capture it points up to, keyed by the refund', () => {
    const body = samplePayload('paypal', 'PAYMENT.CAPTURE.REFUNDED', {
      resource: { amount: { currency_code: 'JPY', value: '1500' } },
    });
    const up = body.resource.links.find((link: { rel: string }) => link.rel === 'up').href;
    const captureId = up.split('/').pop();
    const facts = paypalFacts('PAYMENT.CAPTURE.REFUNDED', body);
    expect(facts.object).to.deep.include({ type: 'refund', id: body.resource.id });
    expect(facts.payment?.signal).to.equal('payment:refunded');
    expect(facts.payment?.key).to.equal(`payment:refunded:${body.resource.id}`);
    expect(facts.payment?.facts).to.include({
      paymentId: captureId,
      amount: 1500,
      currency: 'JPY',
    });
  });

  it('gives a problem, not a guess, for an amount finer than the currency allows', () => {
    const body = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED', {
      resource: { amount: { currency_code: 'USD', value: '10.999' } },
    });
    const facts = paypalFacts('PAYMENT.CAPTURE.COMPLETED', body);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/payment:succeeded not reported/);
  });

  it('names other objects without a payment: orders, subscriptions, disputes (by dispute_id)', () => {
    for (const [type, objectType, idField] of [
      ['CHECKOUT.ORDER.APPROVED', 'checkout-order', 'id'],
      ['BILLING.SUBSCRIPTION.CANCELLED', 'subscription', 'id'],
      ['CUSTOMER.DISPUTE.CREATED', 'dispute', 'dispute_id'],
    ] as const) {
      const body = samplePayload('paypal', type);
      const facts = paypalFacts(type, body);
      expect(facts.object, type).to.deep.include({ type: objectType, id: body.resource[idField] });
      expect(facts.payment, type).to.equal(undefined);
    }
    expect(paypalFacts('X', { resource: null })).to.deep.equal({});
  });
});
