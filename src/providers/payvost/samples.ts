/**
 * Payvost samples: `{ id, type, created, data: { object } }`, the Stripe-like envelope Payvost's
 * webhook guide shows. Payvost publishes no full object schema, so the objects carry the fields
 * its guides name (id, amount, currency, status, customer, metadata): an assumption, as the
 * provider itself is (docs/providers/payvost.md).
 */
import { id, unixNow } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { PAYVOST_DATA_PATH } from './verify.js';

const AMOUNT = 5000;
const CURRENCY = 'usd';

function event(type: string, object: SamplePayload): SamplePayload {
  return {
    id: id('evt_'),
    object: 'event',
    type,
    created: unixNow(),
    livemode: false,
    data: { object },
  };
}

function payment(status: string, extra: SamplePayload = {}): SamplePayload {
  return {
    id: id('pay_'),
    object: 'payment',
    amount: AMOUNT,
    amount_refunded: 0,
    currency: CURRENCY,
    status,
    customer: id('cus_', 14),
    description: 'Order 1042',
    payment_method: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    failure_code: null,
    failure_message: null,
    metadata: {},
    created: unixNow(),
    ...extra,
  };
}

function refund(status: string): SamplePayload {
  return {
    id: id('re_'),
    object: 'refund',
    payment: id('pay_'),
    amount: AMOUNT,
    currency: CURRENCY,
    status,
    reason: 'requested_by_customer',
    metadata: {},
    created: unixNow(),
  };
}

function subscription(status: string): SamplePayload {
  const now = unixNow();
  return {
    id: id('sub_'),
    object: 'subscription',
    customer: id('cus_', 14),
    plan: { id: id('plan_', 14), amount: 2000, currency: CURRENCY, interval: 'month' },
    status,
    current_period_start: now,
    current_period_end: now + 30 * 24 * 60 * 60,
    canceled_at: status === 'canceled' ? now : null,
    metadata: {},
    created: now,
  };
}

function transfer(status: string): SamplePayload {
  return {
    id: id('tr_'),
    object: 'transfer',
    amount: 30_000,
    currency: CURRENCY,
    destination: id('ba_'),
    status,
    failure_message: status === 'failed' ? 'The destination account was closed.' : null,
    metadata: {},
    created: unixNow(),
  };
}

/** Payvost's samples. `signal.data` is `data.object`. */
export const payvostSamples: SampleCatalogue = {
  dataPath: PAYVOST_DATA_PATH,
  events: {
    'payment.created': () => event('payment.created', payment('pending')),
    'payment.succeeded': () => event('payment.succeeded', payment('succeeded')),
    'payment.failed': () =>
      event(
        'payment.failed',
        payment('failed', { failure_code: 'card_declined', failure_message: 'Card declined.' }),
      ),
    'payment.refunded': () =>
      event('payment.refunded', payment('refunded', { amount_refunded: AMOUNT })),
    'refund.created': () => event('refund.created', refund('pending')),
    'subscription.created': () => event('subscription.created', subscription('active')),
    'subscription.deleted': () => event('subscription.deleted', subscription('canceled')),
    'transfer.completed': () => event('transfer.completed', transfer('completed')),
    'transfer.failed': () => event('transfer.failed', transfer('failed')),
  },
};
