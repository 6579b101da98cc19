import { expect } from 'chai';
import { paystackFacts } from '../../../src/providers/paystack/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

describe('paystack facts', () => {
  it('reports charge.success as payment:succeeded, keyed by the transaction reference', () => {
    const payload = samplePayload('paystack', 'charge.success', {
      data: { metadata: { order_id: '42' }, paid_at: '2024-05-01T10:00:00.000Z' },
    });
    const { data } = payload;
    const facts = paystackFacts('charge.success', payload);
    expect(facts.object).to.deep.equal({ type: 'transaction', id: String(data.id) });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${data.reference}`,
      facts: {
        reference: data.reference,
        paymentId: data.reference,
        amount: 10_000, // kobo, as sent
        currency: 'NGN',
        status: 'success',
        customer: { id: data.customer.customer_code, email: 'ada.obi@example.com' },
        metadata: { order_id: '42' },
        occurredAt: new Date('2024-05-01T10:00:00.000Z'),
      },
    });
  });

  it('reads the documented charge.success payload', () => {
    // Paystack's sample (paystack.com/docs/payments/webhooks), trimmed to the fields read.
    const payload = {
      event: 'charge.success',
      data: {
        id: 302961,
        domain: 'live',
        status: 'success',
        reference: 'qTPrJoy9Bx',
        amount: 10000,
        paid_at: '2016-09-30T21:10:19.000Z',
        created_at: '2016-09-30T21:09:56.000Z',
        currency: 'NGN',
        metadata: 0,
        customer: {
          id: 68324,
          first_name: 'BoJack',
          last_name: 'Horseman',
          email: 'bojack@horseman.com',
          customer_code: 'CUS_qo38as2hpsgk2r0',
        },
      },
    };
    const facts = paystackFacts('charge.success', payload);
    expect(facts.object).to.deep.equal({ type: 'transaction', id: '302961' });
    expect(facts.payment?.facts).to.deep.include({
      reference: 'qTPrJoy9Bx',
      amount: 10000,
      metadata: {},
      occurredAt: new Date('2016-09-30T21:10:19.000Z'),
    });
  });

  it('reports refund.processed as payment:refunded of the transaction, without a time of its own', () => {
    // The documented sample sends the amount as a string of kobo.
    const payload = {
      event: 'refund.processed',
      data: {
        status: 'processed',
        transaction_reference: 'T2154954_412829_3be32076_6lcg3',
        refund_reference: '132013318360',
        amount: '5000',
        currency: 'NGN',
        processor: 'mpgs_zen',
        customer: { first_name: 'Damilola', last_name: 'Kwabena', email: 'damilola@email.com' },
        integration: 412829,
        domain: 'live',
      },
    };
    const facts = paystackFacts('refund.processed', payload);
    expect(facts.object).to.deep.equal({ type: 'refund', id: '132013318360' });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:refunded',
      key: 'payment:refunded:132013318360',
      facts: {
        reference: 'T2154954_412829_3be32076_6lcg3',
        paymentId: 'T2154954_412829_3be32076_6lcg3',
        amount: 5000,
        currency: 'NGN',
        status: 'processed',
        customer: { email: 'damilola@email.com' },
        metadata: {},
      },
    });
  });

  it('names the object of the other events, without a signal', () => {
    const pending = samplePayload('paystack', 'refund.pending');
    expect(paystackFacts('refund.pending', pending)).to.deep.equal({}); // no refund_reference yet
    const subscription = samplePayload('paystack', 'subscription.create');
    expect(paystackFacts('subscription.create', subscription)).to.deep.equal({
      object: { type: 'subscription', id: subscription.data.subscription_code },
    });
    const invoice = samplePayload('paystack', 'invoice.payment_failed');
    expect(paystackFacts('invoice.payment_failed', invoice).object?.type).to.equal('invoice');
    expect(paystackFacts('invoice.payment_failed', invoice).payment).to.equal(undefined);
  });

  it('versions transfers by their update time; nothing else has one', () => {
    const transfer = samplePayload('paystack', 'transfer.reversed', {
      data: { updated_at: '2024-05-01T10:00:00.250Z' },
    });
    expect(paystackFacts('transfer.reversed', transfer).object).to.deep.equal({
      type: 'transfer',
      id: String(transfer.data.id),
      version: 1_714_557_600_250_000,
    });
    const charge = samplePayload('paystack', 'charge.success');
    expect(paystackFacts('charge.success', charge).object?.version).to.equal(undefined);
  });

  it('reports a problem for a currency Paystack would not send', () => {
    const payload = samplePayload('paystack', 'charge.success', { data: { currency: 'NAIRA' } });
    const facts = paystackFacts('charge.success', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/not reported for .*"NAIRA" is not the ISO 4217 code/);
  });

  it('reports nothing for a body without data', () => {
    expect(paystackFacts('charge.success', { event: 'charge.success' })).to.deep.equal({});
  });
});
