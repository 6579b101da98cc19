import { expect } from 'chai';
import { lemonSqueezyFacts } from '../../../src/providers/lemonsqueezy/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

describe('lemonsqueezy facts', () => {
  it('versions the resource by its updated_at, to the microsecond', () => {
    const payload = samplePayload('lemonsqueezy', 'subscription_updated', {
      data: { attributes: { updated_at: '2024-05-01T10:00:00.123456Z' } },
    });
    expect(lemonSqueezyFacts('subscription_updated', payload)).to.deep.equal({
      object: { type: 'subscriptions', id: payload.data.id, version: 1_714_557_600_123_456 },
    });
  });

  it('reports a paid order_created as payment:succeeded, with the checkout custom data', () => {
    const payload = samplePayload('lemonsqueezy', 'order_created', {
      meta: { custom_data: { user_id: '7' } },
      data: { attributes: { created_at: '2024-05-01T10:00:00.000000Z' } },
    });
    const { data } = payload;
    expect(lemonSqueezyFacts('order_created', payload).payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${data.id}`,
      facts: {
        reference: data.id,
        paymentId: data.id,
        amount: 1199, // cents, as sent
        currency: 'USD',
        status: 'paid',
        customer: { id: String(data.attributes.customer_id), email: 'darlene@example.com' },
        metadata: { user_id: '7' },
        occurredAt: new Date('2024-05-01T10:00:00.000Z'),
      },
    });
  });

  it('reports a failed order as payment:failed, a pending one as nothing', () => {
    const failed = samplePayload('lemonsqueezy', 'order_created', {
      data: { attributes: { status: 'failed' } },
    });
    expect(lemonSqueezyFacts('order_created', failed).payment?.signal).to.equal('payment:failed');
    const pending = samplePayload('lemonsqueezy', 'order_created', {
      data: { attributes: { status: 'pending' } },
    });
    expect(lemonSqueezyFacts('order_created', pending).payment).to.equal(undefined);
  });

  it('reports order_refunded with the total refunded so far, one key per refund step', () => {
    const payload = (refunded: number) =>
      samplePayload('lemonsqueezy', 'order_refunded', {
        data: {
          id: '1',
          attributes: { refunded_amount: refunded, status: 'partial_refund', refunded: false },
        },
      });
    const first = lemonSqueezyFacts('order_refunded', payload(100)).payment;
    const second = lemonSqueezyFacts('order_refunded', payload(300)).payment;
    expect(first?.signal).to.equal('payment:refunded');
    expect(first?.facts).to.include({ amount: 100, status: 'partial_refund', paymentId: '1' });
    expect(second?.facts.amount).to.equal(300);
    expect([first?.key, second?.key]).to.deep.equal([
      'payment:refunded:1:100',
      'payment:refunded:1:300',
    ]);
  });

  it('falls back to the order total when an old refund payload has no refunded_amount', () => {
    const payload = samplePayload('lemonsqueezy', 'order_refunded');
    expect(lemonSqueezyFacts('order_refunded', payload).payment?.facts.amount).to.equal(1199);
  });

  it('reports renewals, but leaves the initial invoice to its order', () => {
    const renewal = samplePayload('lemonsqueezy', 'subscription_payment_success');
    const report = lemonSqueezyFacts('subscription_payment_success', renewal).payment;
    expect(report?.signal).to.equal('payment:succeeded');
    expect(report?.facts.paymentId).to.equal(renewal.data.id);
    const initial = samplePayload('lemonsqueezy', 'subscription_payment_success', {
      data: { attributes: { billing_reason: 'initial' } },
    });
    const facts = lemonSqueezyFacts('subscription_payment_success', initial);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object?.type).to.equal('subscription-invoices');
    const failed = samplePayload('lemonsqueezy', 'subscription_payment_failed');
    expect(lemonSqueezyFacts('subscription_payment_failed', failed).payment?.signal).to.equal(
      'payment:failed',
    );
  });

  it('uses the exponent of the currency: a JPY total is whole yen', () => {
    const payload = samplePayload('lemonsqueezy', 'order_created', {
      data: { attributes: { currency: 'JPY', total: 1500 } },
    });
    expect(lemonSqueezyFacts('order_created', payload).payment?.facts).to.include({
      amount: 1500,
      currency: 'JPY',
    });
  });

  it('names subscriptions without a signal', () => {
    const payload = samplePayload('lemonsqueezy', 'subscription_cancelled');
    const facts = lemonSqueezyFacts('subscription_cancelled', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object).to.include({ type: 'subscriptions', id: payload.data.id });
  });
});
