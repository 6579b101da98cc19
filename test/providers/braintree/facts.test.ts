import { expect } from 'chai';
import { braintreeFacts } from '../../../src/providers/braintree/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const TIMESTAMP = '2025-03-04T12:00:05Z';
const VERSION = 1_741_089_605_000_000;

describe('braintree facts', () => {
  it('names the subject as the object, versioned by the notification timestamp', () => {
    const payload = samplePayload('braintree', 'dispute_opened', { timestamp: TIMESTAMP });
    expect(braintreeFacts('dispute_opened', payload)).to.deep.equal({
      object: { type: 'dispute', id: payload.subject.dispute.id, version: VERSION },
    });
    const subscription = samplePayload('braintree', 'subscription_canceled', {
      timestamp: TIMESTAMP,
    });
    expect(braintreeFacts('subscription_canceled', subscription).object).to.deep.equal({
      type: 'subscription',
      id: subscription.subject.subscription.id,
      version: VERSION,
    });
  });

  it('names no object for a subject without an id (check), and reports nothing', () => {
    const check = { timestamp: TIMESTAMP, kind: 'check', subject: { check: true } };
    expect(braintreeFacts('check', check)).to.deep.equal({});
  });

  it('reports a settled sale as payment:succeeded, in minor units, referenced by its order id', () => {
    const payload = samplePayload('braintree', 'transaction_settled', {
      timestamp: TIMESTAMP,
      subject: { transaction: { amount: '19.99', customFields: { cart: '42' } } },
    });
    const { transaction } = payload.subject;
    expect(braintreeFacts('transaction_settled', payload).payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${transaction.id}`,
      facts: {
        reference: transaction.orderId,
        paymentId: transaction.id,
        amount: 1999,
        currency: 'USD',
        status: 'settled',
        customer: { id: transaction.customer.id, email: transaction.customer.email },
        metadata: { cart: '42' },
        occurredAt: new Date('2025-03-04T12:00:05Z'),
      },
    });
  });

  it('reports a settled credit as payment:refunded of the sale it refunds, keyed by the refund', () => {
    const payload = samplePayload('braintree', 'transaction_settled', {
      subject: { transaction: { type: 'credit', refundedTransactionId: 'sale0001' } },
    });
    const report = braintreeFacts('transaction_settled', payload).payment;
    expect(report?.signal).to.equal('payment:refunded');
    expect(report?.key).to.equal(`payment:refunded:${payload.subject.transaction.id}`);
    expect(report?.facts).to.include({ paymentId: 'sale0001', amount: 1000 });
  });

  it('reports a declined settlement of a sale as payment:failed, and of a credit as nothing', () => {
    const sale = samplePayload('braintree', 'transaction_settlement_declined');
    expect(braintreeFacts('transaction_settlement_declined', sale).payment).to.deep.include({
      signal: 'payment:failed',
      key: `payment:failed:${sale.subject.transaction.id}`,
    });
    const credit = samplePayload('braintree', 'transaction_settlement_declined', {
      subject: { transaction: { type: 'credit' } },
    });
    const facts = braintreeFacts('transaction_settlement_declined', credit);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object?.type).to.equal('transaction');
  });

  it("reports subscription charges with the subscription's newest transaction", () => {
    const charged = samplePayload('braintree', 'subscription_charged_successfully');
    const newest = charged.subject.subscription.transactions[0];
    expect(braintreeFacts('subscription_charged_successfully', charged).payment).to.deep.include({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${newest.id}`,
    });
    const failed = samplePayload('braintree', 'subscription_charged_unsuccessfully');
    const report = braintreeFacts('subscription_charged_unsuccessfully', failed).payment;
    expect(report?.signal).to.equal('payment:failed');
    expect(report?.facts.status).to.equal('processor_declined');
    const none = samplePayload('braintree', 'subscription_charged_successfully', {
      subject: { subscription: { transactions: [] } },
    });
    expect(braintreeFacts('subscription_charged_successfully', none).payment).to.equal(undefined);
  });

  it('reports a problem, not a guess, for an amount finer than the currency allows', () => {
    const payload = samplePayload('braintree', 'transaction_settled', {
      subject: { transaction: { amount: '10.005' } },
    });
    const facts = braintreeFacts('transaction_settled', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/payment:succeeded not reported/);
    const noCurrency = samplePayload('braintree', 'transaction_settled', {
      subject: { transaction: { currencyIsoCode: null } },
    });
    expect(braintreeFacts('transaction_settled', noCurrency).problem).to.match(/ISO 4217/);
  });

  it('reports nothing for a payload it cannot read', () => {
    expect(braintreeFacts('transaction_settled', 'not an object')).to.deep.equal({});
    expect(braintreeFacts('transaction_settled', { kind: 'transaction_settled' })).to.deep.equal(
      {},
    );
  });
});
