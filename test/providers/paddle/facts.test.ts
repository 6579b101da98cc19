import { expect } from 'chai';
import { paddleFacts } from '../../../src/providers/paddle/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const OCCURRED = '2024-04-12T10:18:49.621022Z';
const VERSION = 1_712_917_129_621_022;

describe('paddle facts', () => {
  it('versions objects by occurred_at to the microsecond', () => {
    const payload = samplePayload('paddle', 'subscription.updated', { occurred_at: OCCURRED });
    expect(paddleFacts('subscription.updated', payload)).to.deep.equal({
      object: { type: 'subscription', id: payload.data.id, version: VERSION },
    });
  });

  it('orders two events of the same second by their microseconds', () => {
    const earlier = samplePayload('paddle', 'subscription.updated', {
      occurred_at: '2024-04-12T10:18:49.000100Z',
    });
    const later = samplePayload('paddle', 'subscription.updated', {
      occurred_at: '2024-04-12T10:18:49.000200Z',
    });
    const [a, b] = [earlier, later].map(
      (p) => paddleFacts('subscription.updated', p).object?.version,
    );
    expect((b as number) - (a as number)).to.equal(100);
  });

  it('reports transaction.completed as payment:succeeded with the grand total', () => {
    const payload = samplePayload('paddle', 'transaction.completed', {
      occurred_at: OCCURRED,
      data: { custom_data: { order_id: '42' } },
    });
    const { data } = payload;
    expect(paddleFacts('transaction.completed', payload).payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${data.id}`,
      facts: {
        reference: data.id,
        paymentId: data.id,
        amount: 3000, // the string '3000', in cents
        currency: 'USD',
        status: 'completed',
        customer: { id: data.customer_id },
        metadata: { order_id: '42' },
        occurredAt: new Date('2024-04-12T10:18:49.621Z'),
      },
    });
  });

  it('reports nothing for transaction.paid, which precedes completed for the same transaction', () => {
    const payload = samplePayload('paddle', 'transaction.paid');
    const facts = paddleFacts('transaction.paid', payload);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object?.type).to.equal('transaction');
  });

  it('reports transaction.payment_failed as payment:failed', () => {
    const payload = samplePayload('paddle', 'transaction.payment_failed');
    const report = paddleFacts('transaction.payment_failed', payload).payment;
    expect(report?.signal).to.equal('payment:failed');
    expect(report?.facts).to.include({ status: 'past_due', amount: 3000 });
  });

  it('uses the exponent of the currency: JPY totals are whole yen', () => {
    const payload = samplePayload('paddle', 'transaction.completed', {
      data: { currency_code: 'JPY', details: { totals: { grand_total: '1500', total: '1500' } } },
    });
    expect(paddleFacts('transaction.completed', payload).payment?.facts).to.include({
      amount: 1500,
      currency: 'JPY',
    });
  });

  it('reports an approved refund adjustment as payment:refunded of its transaction', () => {
    // The shape of Paddle's adjustment entity (@paddle/paddle-node-sdk's notification types).
    const adjustment = (status: string, action = 'refund') => ({
      event_id: 'evt_01hv8x2acma2gz2ytqm3qbnmbe',
      event_type: 'adjustment.updated',
      occurred_at: OCCURRED,
      notification_id: 'ntf_01hv8x2aebb2d6zfve2hfxvxbz',
      data: {
        id: 'adj_01hv8wzxbq0d1a5h8yxsrg2q1r',
        action,
        type: 'full',
        transaction_id: 'txn_01hv8m0mnx3sj85e7gxc6kga03',
        subscription_id: null,
        customer_id: 'ctm_01hv8m0hpcybxy5ze0gfyzzbbn',
        reason: 'Customer asked',
        currency_code: 'EUR',
        status,
        items: [],
        totals: {
          subtotal: '1000',
          tax: '190',
          total: '1190',
          fee: '60',
          earnings: '1130',
          currency_code: 'EUR',
        },
        created_at: '2024-04-12T10:10:00.000000Z',
        updated_at: '2024-04-12T10:18:49.621022Z',
      },
    });
    const facts = paddleFacts('adjustment.updated', adjustment('approved'));
    expect(facts.object).to.deep.equal({
      type: 'adjustment',
      id: 'adj_01hv8wzxbq0d1a5h8yxsrg2q1r',
      version: VERSION,
    });
    expect(facts.payment).to.deep.include({
      signal: 'payment:refunded',
      key: 'payment:refunded:adj_01hv8wzxbq0d1a5h8yxsrg2q1r',
    });
    expect(facts.payment?.facts).to.include({
      paymentId: 'txn_01hv8m0mnx3sj85e7gxc6kga03',
      amount: 1190,
      currency: 'EUR',
    });
    expect(paddleFacts('adjustment.created', adjustment('pending_approval')).payment).to.equal(
      undefined,
    );
    expect(paddleFacts('adjustment.updated', adjustment('approved', 'credit')).payment).to.equal(
      undefined,
    );
  });
});
