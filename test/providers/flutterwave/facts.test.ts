import { expect } from 'chai';
import { flutterwaveFacts } from '../../../src/providers/flutterwave/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

describe('flutterwave facts', () => {
  it('reports a successful v3 charge in minor units: major units converted exactly', () => {
    const payload = samplePayload('flutterwave', 'charge.completed', {
      data: { amount: 19.99, created_at: '2024-05-01T10:00:00.000Z' },
      meta_data: { order_id: '42' },
    });
    const { data } = payload;
    const facts = flutterwaveFacts('charge.completed', payload);
    expect(facts.object).to.deep.equal({ type: 'charge', id: String(data.id) }); // v3: no version
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${data.id}`,
      facts: {
        reference: data.tx_ref,
        paymentId: String(data.id),
        amount: 1999,
        currency: 'NGN',
        status: 'successful',
        customer: { id: String(data.customer.id), email: 'yemi.desola@example.com' },
        metadata: { order_id: '42' },
        occurredAt: new Date('2024-05-01T10:00:00.000Z'),
      },
    });
  });

  it('reports a failed charge as payment:failed and a pending one as nothing', () => {
    const failed = samplePayload('flutterwave', 'charge.completed', { data: { status: 'failed' } });
    expect(flutterwaveFacts('charge.completed', failed).payment?.signal).to.equal('payment:failed');
    const pending = samplePayload('flutterwave', 'charge.completed', {
      data: { status: 'pending' },
    });
    const facts = flutterwaveFacts('charge.completed', pending);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object?.type).to.equal('charge');
  });

  it('reads a v4 charge: string ids, your reference, and the body timestamp as version', () => {
    // The v4 shape of Flutterwave's charge.completed sample.
    const payload = {
      webhook_id: 'wbk_7yXq2LkP',
      timestamp: 1_748_100_849_001,
      type: 'charge.completed',
      data: {
        id: 'chg_e1f3a2b1-93f0-4a51-aa57-1d80c5e4c001',
        amount: 25000,
        currency: 'NGN',
        status: 'succeeded',
        reference: 'order_2026_05_24_001',
        customer: { id: 'cus_4fa9c2b5', email: 'ada.lovelace@example.com' },
        created_datetime: '2026-05-24T15:34:09.001Z',
        meta: { order_id: 'order_2026_05_24_001' },
      },
    };
    const facts = flutterwaveFacts('charge.completed', payload);
    expect(facts.object).to.deep.equal({
      type: 'charge',
      id: 'chg_e1f3a2b1-93f0-4a51-aa57-1d80c5e4c001',
      version: 1_748_100_849_001_000,
    });
    expect(facts.payment?.facts).to.deep.include({
      reference: 'order_2026_05_24_001',
      amount: 2_500_000,
      currency: 'NGN',
      status: 'succeeded',
      metadata: { order_id: 'order_2026_05_24_001' },
      occurredAt: new Date(1_748_100_849_001),
    });
  });

  it('uses the exponent of the currency: JPY has none, KWD three', () => {
    const jpy = samplePayload('flutterwave', 'charge.completed', {
      data: { amount: 1500, currency: 'JPY' },
    });
    expect(flutterwaveFacts('charge.completed', jpy).payment?.facts.amount).to.equal(1500);
    const kwd = samplePayload('flutterwave', 'charge.completed', {
      data: { amount: 12.345, currency: 'KWD' },
    });
    expect(flutterwaveFacts('charge.completed', kwd).payment?.facts.amount).to.equal(12_345);
  });

  it('reports a problem for an amount finer than the currency allows', () => {
    const payload = samplePayload('flutterwave', 'charge.completed', { data: { amount: 100.555 } });
    const facts = flutterwaveFacts('charge.completed', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/100\.555 NGN has more decimals than the 2 of NGN/);
  });

  it('names the object of transfers and subscriptions, without a signal', () => {
    const transfer = samplePayload('flutterwave', 'transfer.completed');
    expect(flutterwaveFacts('transfer.completed', transfer)).to.deep.equal({
      object: { type: 'transfer', id: String(transfer.data.id) },
    });
    const cancelled = samplePayload('flutterwave', 'subscription.cancelled');
    expect(flutterwaveFacts('subscription.cancelled', cancelled).object?.type).to.equal(
      'subscription',
    );
  });
});
