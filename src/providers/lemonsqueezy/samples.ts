/**
 * Lemon Squeezy samples: `{ meta: { event_name, test_mode, webhook_id }, data }`, where `data` is a
 * JSON:API resource (`{ type, id, attributes, relationships, links }`), shaped after
 * docs.lemonsqueezy.com/help/webhooks. Amounts are in cents. Lemon Squeezy sends no event id:
 * koa-payments derives it from the resource, whose id and identifiers are fresh in every sample.
 */
import { isoNow, numericId, uuid } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { LEMONSQUEEZY_DATA_PATH } from './verify.js';

const STORE = 1;

/** Lemon Squeezy's timestamps have microseconds: `2024-05-01T10:00:00.000000Z`. */
function timestamp(offsetSeconds = 0): string {
  return isoNow(offsetSeconds).replace(/Z$/, '000Z');
}

function resource(type: string, attributes: SamplePayload, related: string[]): SamplePayload {
  const resourceId = String(numericId());
  const self = `https://api.lemonsqueezy.com/v1/${type}/${resourceId}`;
  const relationships: SamplePayload = {};
  for (const name of related) {
    relationships[name] = {
      links: { related: `${self}/${name}`, self: `${self}/relationships/${name}` },
    };
  }
  return { type, id: resourceId, attributes, relationships, links: { self } };
}

function event(name: string, data: SamplePayload): SamplePayload {
  return { meta: { test_mode: true, event_name: name, webhook_id: uuid() }, data };
}

function order(refunded: boolean): SamplePayload {
  const now = timestamp();
  const orderNumber = numericId() % 100_000;
  return resource(
    'orders',
    {
      store_id: STORE,
      customer_id: numericId(),
      identifier: uuid(),
      order_number: orderNumber,
      user_name: 'Darlene Daugherty',
      user_email: 'darlene@example.com',
      currency: 'USD',
      currency_rate: '1.0000',
      subtotal: 999,
      discount_total: 0,
      tax: 200,
      total: 1199,
      subtotal_usd: 999,
      discount_total_usd: 0,
      tax_usd: 200,
      total_usd: 1199,
      tax_name: 'VAT',
      tax_rate: '20.00',
      status: refunded ? 'refunded' : 'paid',
      status_formatted: refunded ? 'Refunded' : 'Paid',
      refunded,
      refunded_at: refunded ? now : null,
      subtotal_formatted: '$9.99',
      discount_total_formatted: '$0.00',
      tax_formatted: '$2.00',
      total_formatted: '$11.99',
      first_order_item: {
        id: numericId(),
        order_id: numericId(),
        product_id: numericId(),
        variant_id: numericId(),
        product_name: 'Test Limited License for 2 years',
        variant_name: 'Default',
        price: 1199,
        created_at: now,
        updated_at: now,
        test_mode: true,
      },
      urls: {
        receipt: `https://app.lemonsqueezy.com/my-orders/${uuid()}?signature=${uuid().replaceAll('-', '')}`,
      },
      created_at: timestamp(-5),
      updated_at: now,
      test_mode: true,
    },
    ['store', 'customer', 'order-items', 'subscriptions', 'license-keys', 'discount-redemptions'],
  );
}

function subscription(status: 'active' | 'cancelled' | 'past_due'): SamplePayload {
  const now = timestamp();
  const cancelled = status === 'cancelled';
  const subscriptionPath = `https://my-store.lemonsqueezy.com/subscription/${numericId()}`;
  const expires = Math.floor(Date.now() / 1000) + 86_400;
  return resource(
    'subscriptions',
    {
      store_id: STORE,
      customer_id: numericId(),
      order_id: numericId(),
      order_item_id: numericId(),
      product_id: numericId(),
      variant_id: numericId(),
      product_name: 'Pro plan',
      variant_name: 'Monthly',
      user_name: 'Darlene Daugherty',
      user_email: 'darlene@example.com',
      status,
      status_formatted:
        status === 'past_due' ? 'Past due' : status[0]?.toUpperCase() + status.slice(1),
      card_brand: 'visa',
      card_last_four: '4242',
      pause: null,
      cancelled,
      trial_ends_at: null,
      billing_anchor: new Date().getUTCDate(),
      urls: {
        update_payment_method: `${subscriptionPath}/payment-details?expires=${expires}&signature=${uuid().replaceAll('-', '')}`,
        customer_portal: `https://my-store.lemonsqueezy.com/billing?expires=${expires}&user=1&signature=${uuid().replaceAll('-', '')}`,
      },
      renews_at: timestamp(30 * 86_400),
      ends_at: cancelled ? timestamp(30 * 86_400) : null,
      created_at: timestamp(-30 * 86_400),
      updated_at: now,
      test_mode: true,
    },
    [
      'store',
      'customer',
      'order',
      'order-item',
      'product',
      'variant',
      'subscription-items',
      'subscription-invoices',
    ],
  );
}

function subscriptionInvoice(status: 'paid' | 'pending'): SamplePayload {
  const now = timestamp();
  const paid = status === 'paid';
  return resource(
    'subscription-invoices',
    {
      store_id: STORE,
      subscription_id: numericId(),
      customer_id: numericId(),
      user_name: 'Darlene Daugherty',
      user_email: 'darlene@example.com',
      billing_reason: 'renewal',
      card_brand: 'visa',
      card_last_four: paid ? '4242' : '0002',
      currency: 'USD',
      currency_rate: '1.00000000',
      status,
      status_formatted: paid ? 'Paid' : 'Pending',
      refunded: false,
      refunded_at: null,
      subtotal: 999,
      discount_total: 0,
      tax: 200,
      total: 1199,
      subtotal_usd: 999,
      discount_total_usd: 0,
      tax_usd: 200,
      total_usd: 1199,
      subtotal_formatted: '$9.99',
      discount_total_formatted: '$0.00',
      tax_formatted: '$2.00',
      total_formatted: '$11.99',
      urls: {
        invoice_url: paid
          ? `https://app.lemonsqueezy.com/my-orders/${uuid()}/subscription-invoice/${numericId()}`
          : null,
      },
      created_at: now,
      updated_at: now,
      test_mode: true,
    },
    ['store', 'subscription', 'customer'],
  );
}

/** Lemon Squeezy's samples. `signal.data` is `data`, the resource. */
export const lemonsqueezySamples: SampleCatalogue = {
  dataPath: LEMONSQUEEZY_DATA_PATH,
  events: {
    order_created: () => event('order_created', order(false)),
    order_refunded: () => event('order_refunded', order(true)),
    subscription_created: () => event('subscription_created', subscription('active')),
    subscription_updated: () => event('subscription_updated', subscription('active')),
    subscription_cancelled: () => event('subscription_cancelled', subscription('cancelled')),
    subscription_payment_success: () =>
      event('subscription_payment_success', subscriptionInvoice('paid')),
    subscription_payment_failed: () =>
      event('subscription_payment_failed', subscriptionInvoice('pending')),
  },
};
