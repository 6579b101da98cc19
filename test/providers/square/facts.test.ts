import { expect } from 'chai';
import { squareFacts } from '../../../src/providers/square/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const CREATED = '2026-05-20T14:25:28.123456Z';
const VERSION = 1_779_287_128_123_456;

describe('square facts', () => {
  it('reports a COMPLETED payment.updated as payment:succeeded, versioned by created_at', () => {
    const payload = samplePayload('square', 'payment.updated', {
      created_at: CREATED,
      data: { object: { payment: { reference_id: 'order-42', customer_id: 'CUST_1' } } },
    });
    const payment = payload.data.object.payment;
    const facts = squareFacts('payment.updated', payload);
    expect(facts.object).to.deep.equal({ type: 'payment', id: payment.id, version: VERSION });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${payment.id}`,
      facts: {
        reference: 'order-42',
        paymentId: payment.id,
        amount: 2000, // cents, as sent
        currency: 'USD',
        status: 'COMPLETED',
        customer: { id: 'CUST_1' },
        metadata: {},
        occurredAt: new Date('2026-05-20T14:25:28.123Z'),
      },
    });
  });

  it('reports a payment created COMPLETED and later updated under one key', () => {
    // Square's documented payment.created sample, trimmed: created already COMPLETED.
    const created = {
      merchant_id: 'ML82H4QPKMGXY',
      type: 'payment.created',
      event_id: '00000000-0000-0000-0000-000000000001',
      created_at: '2026-05-20T14:25:28.000Z',
      data: {
        type: 'payment',
        id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
        object: {
          payment: {
            id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
            created_at: '2026-05-20T14:25:27.000Z',
            updated_at: '2026-05-20T14:25:28.000Z',
            amount_money: { amount: 200, currency: 'USD' },
            total_money: { amount: 200, currency: 'USD' },
            status: 'COMPLETED',
            source_type: 'CARD',
            location_id: 'L88917AVBK2S5',
            order_id: 'CAISENgvhpdP05f1DWG9H8yMn4kZY',
          },
        },
      },
    };
    const updated = {
      ...created,
      type: 'payment.updated',
      event_id: '00000000-0000-0000-0000-000000000002',
      created_at: '2026-05-20T14:30:00.000Z',
    };
    const first = squareFacts('payment.created', created);
    const second = squareFacts('payment.updated', updated);
    expect(first.payment?.facts).to.include({
      reference: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
      amount: 200,
    });
    expect(second.payment?.key).to.equal(first.payment?.key);
    expect(second.object?.version).to.be.greaterThan(first.object?.version as number);
  });

  it('counts the tip: the amount is total_money', () => {
    const payload = samplePayload('square', 'payment.updated', {
      data: { object: { payment: { total_money: { amount: 2300, currency: 'USD' } } } },
    });
    expect(squareFacts('payment.updated', payload).payment?.facts.amount).to.equal(2300);
  });

  it('reports FAILED as payment:failed and APPROVED as nothing yet', () => {
    const failed = samplePayload('square', 'payment.updated', {
      data: { object: { payment: { status: 'FAILED' } } },
    });
    expect(squareFacts('payment.updated', failed).payment?.signal).to.equal('payment:failed');
    const approved = samplePayload('square', 'payment.created');
    expect(squareFacts('payment.created', approved).payment).to.equal(undefined);
    expect(squareFacts('payment.created', approved).object?.type).to.equal('payment');
  });

  it('reports a COMPLETED refund as payment:refunded of its payment, keyed by the refund', () => {
    const payload = samplePayload('square', 'refund.updated', { created_at: CREATED });
    const refund = payload.data.object.refund;
    const facts = squareFacts('refund.updated', payload);
    expect(facts.object).to.deep.equal({ type: 'refund', id: refund.id, version: VERSION });
    expect(facts.payment).to.deep.include({
      signal: 'payment:refunded',
      key: `payment:refunded:${refund.id}`,
    });
    expect(facts.payment?.facts).to.include({
      paymentId: refund.payment_id,
      reference: refund.payment_id,
      amount: 2000,
      status: 'COMPLETED',
    });
    const pending = samplePayload('square', 'refund.created');
    expect(squareFacts('refund.created', pending).payment).to.equal(undefined);
  });

  it('uses the exponent of the currency: JPY money is whole yen', () => {
    const payload = samplePayload('square', 'payment.updated', {
      data: { object: { payment: { total_money: { amount: 1500, currency: 'JPY' } } } },
    });
    expect(squareFacts('payment.updated', payload).payment?.facts).to.include({
      amount: 1500,
      currency: 'JPY',
    });
  });

  it('names other objects by the event type', () => {
    const invoice = samplePayload('square', 'invoice.payment_made');
    const facts = squareFacts('invoice.payment_made', invoice);
    expect(facts.object).to.include({ type: 'invoice', id: invoice.data.id });
    expect(facts.payment).to.equal(undefined);
    const fulfillment = {
      type: 'order.fulfillment.updated',
      created_at: CREATED,
      data: { type: 'order_fulfillment_updated', id: 'ORDER_1', object: {} },
    };
    expect(squareFacts('order.fulfillment.updated', fulfillment).object).to.deep.equal({
      type: 'order.fulfillment',
      id: 'ORDER_1',
      version: VERSION,
    });
  });
});
