/**
 * Paddle Billing samples: `{ event_id, event_type, occurred_at, notification_id, data }`, shaped
 * after developer.paddle.com/webhooks. Amounts are strings in the lowest denomination, as Paddle
 * sends them. Ids follow Paddle's patterns (`evt_` and 26 lower-case letters or digits).
 */
import { isoNow, lowerId, uuid } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { PADDLE_DATA_PATH } from './verify.js';

const AMOUNT = '3000';
const CURRENCY = 'USD';
const DAY = 24 * 60 * 60;

function event(type: string, data: SamplePayload): SamplePayload {
  return {
    event_id: lowerId('evt_'),
    event_type: type,
    occurred_at: isoNow(),
    notification_id: lowerId('ntf_'),
    data,
  };
}

function price(productId: string): SamplePayload {
  return {
    id: lowerId('pri_'),
    product_id: productId,
    description: 'Monthly (per seat)',
    type: 'standard',
    billing_cycle: { interval: 'month', frequency: 1 },
    trial_period: null,
    tax_mode: 'account_setting',
    unit_price: { amount: AMOUNT, currency_code: CURRENCY },
    quantity: { minimum: 1, maximum: 100 },
    status: 'active',
    custom_data: null,
  };
}

function transaction(status: 'paid' | 'completed' | 'past_due'): SamplePayload {
  const failed = status === 'past_due';
  const productId = lowerId('pro_');
  const now = isoNow();
  return {
    id: lowerId('txn_'),
    status,
    customer_id: lowerId('ctm_'),
    address_id: lowerId('add_'),
    business_id: null,
    custom_data: null,
    origin: failed ? 'subscription_recurring' : 'web',
    collection_mode: 'automatic',
    subscription_id: failed || status === 'completed' ? lowerId('sub_') : null,
    invoice_id: status === 'completed' ? lowerId('inv_') : null,
    invoice_number: status === 'completed' ? '325-10566' : null,
    billing_details: null,
    billing_period: { starts_at: now, ends_at: isoNow(30 * DAY) },
    currency_code: CURRENCY,
    discount_id: null,
    created_at: isoNow(-60),
    updated_at: now,
    billed_at: now,
    items: [{ price: price(productId), quantity: 1, proration: null }],
    details: {
      totals: {
        subtotal: AMOUNT,
        tax: '0',
        discount: '0',
        total: AMOUNT,
        grand_total: AMOUNT,
        fee: failed ? null : '200',
        earnings: failed ? null : '2800',
        credit: '0',
        balance: '0',
        currency_code: CURRENCY,
      },
      line_items: [
        {
          id: lowerId('txnitm_'),
          price_id: lowerId('pri_'),
          quantity: 1,
          totals: { subtotal: AMOUNT, tax: '0', discount: '0', total: AMOUNT },
          product: { id: productId, name: 'Team plan', status: 'active' },
        },
      ],
    },
    payments: [
      {
        payment_attempt_id: uuid(),
        stored_payment_method_id: uuid(),
        amount: AMOUNT,
        status: failed ? 'error' : 'captured',
        error_code: failed ? 'declined' : null,
        method_details: {
          type: 'card',
          card: {
            type: 'visa',
            last4: failed ? '0002' : '4242',
            expiry_month: 5,
            expiry_year: new Date().getUTCFullYear() + 3,
            cardholder_name: 'Sam Miller',
          },
        },
        created_at: now,
        captured_at: failed ? null : now,
      },
    ],
    checkout: { url: `https://example.com/pay?_ptxn=${lowerId('txn_')}` },
  };
}

function subscription(status: 'active' | 'canceled'): SamplePayload {
  const productId = lowerId('pro_');
  const start = isoNow();
  const canceled = status === 'canceled';
  return {
    id: lowerId('sub_'),
    status,
    customer_id: lowerId('ctm_'),
    address_id: lowerId('add_'),
    business_id: null,
    currency_code: CURRENCY,
    created_at: start,
    updated_at: start,
    started_at: start,
    first_billed_at: start,
    next_billed_at: canceled ? null : isoNow(30 * DAY),
    paused_at: null,
    canceled_at: canceled ? start : null,
    discount: null,
    collection_mode: 'automatic',
    billing_details: null,
    current_billing_period: canceled ? null : { starts_at: start, ends_at: isoNow(30 * DAY) },
    billing_cycle: { interval: 'month', frequency: 1 },
    scheduled_change: null,
    items: [
      {
        status: canceled ? 'inactive' : 'active',
        quantity: 1,
        recurring: true,
        created_at: start,
        updated_at: start,
        previously_billed_at: start,
        next_billed_at: canceled ? null : isoNow(30 * DAY),
        trial_dates: null,
        price: price(productId),
      },
    ],
    custom_data: null,
    management_urls: {
      update_payment_method: 'https://buyer-portal.paddle.com/subscriptions/update-payment-method',
      cancel: 'https://buyer-portal.paddle.com/subscriptions/cancel',
    },
  };
}

/** Paddle's samples. `signal.data` is `data`. */
export const paddleSamples: SampleCatalogue = {
  dataPath: PADDLE_DATA_PATH,
  events: {
    'transaction.paid': () => event('transaction.paid', transaction('paid')),
    'transaction.completed': () => event('transaction.completed', transaction('completed')),
    'transaction.payment_failed': () =>
      event('transaction.payment_failed', transaction('past_due')),
    'subscription.created': () => event('subscription.created', subscription('active')),
    'subscription.updated': () => event('subscription.updated', subscription('active')),
    'subscription.canceled': () => event('subscription.canceled', subscription('canceled')),
  },
};
