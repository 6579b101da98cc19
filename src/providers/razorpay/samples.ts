/**
 * Razorpay samples: `{ entity: 'event', account_id, event, contains, payload, created_at }`, shaped
 * after the sample payloads of razorpay.com/docs/webhooks. Amounts are in paise. The event id
 * travels in the `X-Razorpay-Event-Id` header, not in the body; the test signer derives it from
 * the body, whose entity ids are fresh in every sample.
 */
import { id, unixNow } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { RAZORPAY_DATA_PATH } from './verify.js';

const AMOUNT = 50_000;
const CURRENCY = 'INR';

function event(type: string, entities: Record<string, SamplePayload>): SamplePayload {
  const payload: SamplePayload = {};
  for (const [name, entity] of Object.entries(entities)) payload[name] = { entity };
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: type,
    contains: Object.keys(entities),
    payload,
    created_at: unixNow(),
  };
}

function payment(
  status: 'authorized' | 'captured' | 'failed',
  orderId: string = id('order_', 14),
): SamplePayload {
  const failed = status === 'failed';
  return {
    id: id('pay_', 14),
    entity: 'payment',
    amount: AMOUNT,
    currency: CURRENCY,
    status,
    order_id: orderId,
    invoice_id: null,
    international: false,
    method: 'card',
    amount_refunded: 0,
    refund_status: null,
    captured: status === 'captured',
    description: 'Order 1042',
    card_id: id('card_', 14),
    card: {
      id: id('card_', 14),
      entity: 'card',
      name: 'Gaurav Kumar',
      last4: '1111',
      network: 'Visa',
      type: 'debit',
      issuer: null,
      international: false,
      emi: false,
    },
    bank: null,
    wallet: null,
    vpa: null,
    email: 'gaurav.kumar@example.com',
    contact: '+919000090000',
    notes: [],
    fee: failed ? null : 1180,
    tax: failed ? null : 180,
    error_code: failed ? 'BAD_REQUEST_ERROR' : null,
    error_description: failed ? 'Payment failed because the card was declined.' : null,
    error_source: failed ? 'customer' : null,
    error_step: failed ? 'payment_authorization' : null,
    error_reason: failed ? 'card_declined' : null,
    acquirer_data: failed ? {} : { auth_code: String(100_000 + (unixNow() % 900_000)) },
    created_at: unixNow(),
  };
}

function order(orderId: string): SamplePayload {
  return {
    id: orderId,
    entity: 'order',
    amount: AMOUNT,
    amount_paid: AMOUNT,
    amount_due: 0,
    currency: CURRENCY,
    receipt: id('rcpt_', 10).toLowerCase(),
    offer_id: null,
    status: 'paid',
    attempts: 1,
    notes: [],
    created_at: unixNow() - 60,
  };
}

function refund(status: 'pending' | 'processed'): SamplePayload {
  return {
    id: id('rfnd_', 14),
    entity: 'refund',
    amount: AMOUNT,
    currency: CURRENCY,
    payment_id: id('pay_', 14),
    notes: [],
    receipt: null,
    acquirer_data: { arn: status === 'processed' ? String(unixNow()) : null },
    created_at: unixNow(),
    batch_id: null,
    status,
    speed_processed: 'normal',
    speed_requested: 'normal',
  };
}

/** Razorpay's samples. `signal.data` is the body's `payload`. */
export const razorpaySamples: SampleCatalogue = {
  dataPath: RAZORPAY_DATA_PATH,
  events: {
    'payment.authorized': () => event('payment.authorized', { payment: payment('authorized') }),
    'payment.captured': () => event('payment.captured', { payment: payment('captured') }),
    'payment.failed': () => event('payment.failed', { payment: payment('failed') }),
    'order.paid': () => {
      const orderId = id('order_', 14);
      return event('order.paid', { payment: payment('captured', orderId), order: order(orderId) });
    },
    'refund.created': () => {
      const created = refund('pending');
      const paid = payment('captured');
      created.payment_id = paid.id;
      return event('refund.created', { refund: created, payment: paid });
    },
    'refund.processed': () => {
      const processed = refund('processed');
      const paid: SamplePayload = {
        ...payment('captured'),
        amount_refunded: AMOUNT,
        refund_status: 'full',
      };
      processed.payment_id = paid.id;
      return event('refund.processed', { refund: processed, payment: paid });
    },
  },
};
