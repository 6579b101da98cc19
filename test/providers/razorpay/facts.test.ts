import { expect } from 'chai';
import { razorpayFacts } from '../../../src/providers/razorpay/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

const CREATED = 1_700_000_000;

describe('razorpay facts', () => {
  it('reports payment.captured as payment:succeeded, referenced by its order', () => {
    const payload = samplePayload('razorpay', 'payment.captured', {
      created_at: CREATED,
      payload: { payment: { entity: { notes: { order: '42' }, customer_id: 'cust_1' } } },
    });
    const payment = payload.payload.payment.entity;
    const facts = razorpayFacts('payment.captured', payload);
    expect(facts.object).to.deep.equal({
      type: 'payment',
      id: payment.id,
      version: CREATED * 1_000_000,
    });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:succeeded',
      key: `payment:succeeded:${payment.id}`,
      facts: {
        reference: payment.order_id,
        paymentId: payment.id,
        amount: 50_000, // paise, as sent
        currency: 'INR',
        status: 'captured',
        customer: { id: 'cust_1', email: 'gaurav.kumar@example.com' },
        metadata: { order: '42' },
        occurredAt: new Date(CREATED * 1000),
      },
    });
  });

  it('reports order.paid under the same key as the payment it carries', () => {
    const payload = samplePayload('razorpay', 'order.paid');
    const payment = payload.payload.payment.entity;
    const facts = razorpayFacts('order.paid', payload);
    expect(facts.object?.type).to.equal('order');
    expect(facts.object?.id).to.equal(payload.payload.order.entity.id);
    expect(facts.payment?.key).to.equal(`payment:succeeded:${payment.id}`);
    const captured = samplePayload('razorpay', 'payment.captured', {
      payload: { payment: { entity: { id: payment.id } } },
    });
    expect(razorpayFacts('payment.captured', captured).payment?.key).to.equal(facts.payment?.key);
  });

  it('reports payment.failed as payment:failed; notes sent as [] are no metadata', () => {
    const payload = samplePayload('razorpay', 'payment.failed');
    const report = razorpayFacts('payment.failed', payload).payment;
    expect(report?.signal).to.equal('payment:failed');
    expect(report?.facts).to.include({ status: 'failed', amount: 50_000 });
    expect(report?.facts.metadata).to.deep.equal({});
  });

  it('reports refund.processed as payment:refunded of the payment, keyed by the refund', () => {
    // Razorpay's documented refund.processed sample, trimmed to the fields read.
    const payload = {
      entity: 'event',
      account_id: 'acc_E7OQJcEANmBHTC',
      event: 'refund.processed',
      contains: ['refund', 'payment'],
      payload: {
        refund: {
          entity: {
            id: 'rfnd_FS8TWyPrCsa0OB',
            entity: 'refund',
            amount: 50000,
            currency: 'INR',
            payment_id: 'pay_FPoJKWQQ8lK13n',
            notes: { comment: 'Customer Notes for Webhooks.' },
            created_at: 1597734071,
            status: 'processed',
          },
        },
        payment: {
          entity: {
            id: 'pay_FPoJKWQQ8lK13n',
            entity: 'payment',
            amount: 500000,
            currency: 'INR',
            status: 'captured',
            order_id: 'order_FPoIeimWki9j8A',
            amount_refunded: 190000,
            email: 'gaurav.kumar@example.com',
            notes: [],
          },
        },
      },
      created_at: 1597734071,
    };
    const facts = razorpayFacts('refund.processed', payload);
    expect(facts.object).to.deep.equal({
      type: 'refund',
      id: 'rfnd_FS8TWyPrCsa0OB',
      version: 1_597_734_071_000_000,
    });
    expect(facts.payment).to.deep.equal({
      signal: 'payment:refunded',
      key: 'payment:refunded:rfnd_FS8TWyPrCsa0OB',
      facts: {
        reference: 'order_FPoIeimWki9j8A',
        paymentId: 'pay_FPoJKWQQ8lK13n',
        amount: 50000,
        currency: 'INR',
        status: 'processed',
        customer: { email: 'gaurav.kumar@example.com' },
        metadata: { comment: 'Customer Notes for Webhooks.' },
        occurredAt: new Date(1_597_734_071_000),
      },
    });
  });

  it('keeps subunit amounts as sent for zero- and three-decimal currencies', () => {
    const jpy = samplePayload('razorpay', 'payment.captured', {
      payload: { payment: { entity: { amount: 1500, currency: 'JPY' } } },
    });
    expect(razorpayFacts('payment.captured', jpy).payment?.facts.amount).to.equal(1500);
    const kwd = samplePayload('razorpay', 'payment.captured', {
      payload: { payment: { entity: { amount: 295_990, currency: 'KWD' } } },
    });
    expect(razorpayFacts('payment.captured', kwd).payment?.facts).to.include({
      amount: 295_990,
      currency: 'KWD',
    });
  });

  it('names the object of other events without a signal', () => {
    const authorized = samplePayload('razorpay', 'payment.authorized');
    const facts = razorpayFacts('payment.authorized', authorized);
    expect(facts.payment).to.equal(undefined);
    expect(facts.object?.type).to.equal('payment');
    const created = samplePayload('razorpay', 'refund.created');
    expect(razorpayFacts('refund.created', created).object?.type).to.equal('refund');
    expect(razorpayFacts('refund.created', created).payment).to.equal(undefined);
  });

  it('names the dispute of a payment.dispute event', () => {
    const payload = {
      event: 'payment.dispute.created',
      created_at: CREATED,
      payload: {
        payment: { entity: { id: 'pay_1', entity: 'payment' } },
        dispute: { entity: { id: 'disp_1', entity: 'dispute' } },
      },
    };
    expect(razorpayFacts('payment.dispute.created', payload).object).to.deep.equal({
      type: 'dispute',
      id: 'disp_1',
      version: CREATED * 1_000_000,
    });
  });
});
