import { expect } from 'chai';
import { payvostFacts } from '../../../src/providers/payvost/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const CREATED = 1_700_000_000;

describe('payvost facts', () => {
  it('reports payment.succeeded from the envelope, amounts in the smallest unit', () => {
    const payload = samplePayload('payvost', 'payment.succeeded', {
      created: CREATED,
      data: { object: { metadata: { order_id: '42' } } },
    });
    const object = payload.data.object;
    const facts = payvostFacts('payment.succeeded', payload);
    expect(facts.object).to.deep.equal({
      type: 'payment',
      id: object.id,
      version: CREATED * 1_000_000,
    });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${object.id}`,
      facts: {
        reference: object.id,
        paymentId: object.id,
        amount: 5000,
        currency: 'USD',
        status: 'succeeded',
        customer: { id: object.customer },
        metadata: { order_id: '42' },
        occurredAt: new Date(CREATED * 1000),
      },
    });
  });

  it('reads the flat shape of the notifications guide, amounts in major units', () => {
    const payload = {
      id: 'evt_abc123xyz',
      type: 'payment.succeeded',
      createdAt: '2025-11-01T10:00:00Z',
      liveMode: true,
      data: { id: 'pay_def456uvw', amount: '99.99', currency: 'USD', status: 'succeeded' },
    };
    const facts = payvostFacts('payment.succeeded', payload);
    expect(facts.object).to.deep.equal({
      type: 'payment',
      id: 'pay_def456uvw',
      version: Date.parse('2025-11-01T10:00:00Z') * 1000,
    });
    expect(facts.payment?.facts).to.include({ amount: 9999, currency: 'USD' });
  });

  it('reads a created time in milliseconds as such', () => {
    const payload = samplePayload('payvost', 'payment.succeeded', { created: CREATED * 1000 + 5 });
    expect(payvostFacts('payment.succeeded', payload).object?.version).to.equal(
      CREATED * 1_000_000 + 5000,
    );
  });

  it('reports payment.failed and payment.refunded', () => {
    const failed = samplePayload('payvost', 'payment.failed');
    expect(payvostFacts('payment.failed', failed).payment?.signal).to.equal('payment:failed');
    const refunded = samplePayload('payvost', 'payment.refunded', {
      data: { object: { amount_refunded: 2000 } },
    });
    const report = payvostFacts('payment.refunded', refunded).payment;
    expect(report?.signal).to.equal('payment:refunded');
    expect(report?.facts.amount).to.equal(2000);
    expect(report?.key).to.equal(`payment:refunded:${refunded.data.object.id}:2000`);
  });

  it('names other objects without a signal', () => {
    const created = samplePayload('payvost', 'payment.created');
    expect(payvostFacts('payment.created', created).payment).to.equal(undefined);
    const subscription = samplePayload('payvost', 'subscription.deleted');
    expect(payvostFacts('subscription.deleted', subscription).object?.type).to.equal(
      'subscription',
    );
  });

  it('reports a problem for a flat amount finer than the currency allows', () => {
    const payload = {
      id: 'evt_1',
      type: 'payment.succeeded',
      data: { id: 'pay_1', amount: '10.5', currency: 'JPY', status: 'succeeded' },
    };
    const facts = payvostFacts('payment.succeeded', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/10\.5 JPY has more decimals than the 0 of JPY/);
  });
});
