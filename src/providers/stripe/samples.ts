/**
 * Stripe samples: Event objects (`{ id, object: 'event', type, data: { object } }`) in the shape
 * of the API version the installed `stripe` package describes, with the fields receivers usually
 * read, as `stripe trigger` sends them in test mode. Every object is type-checked against the
 * package's types, so a field the API renamed or removed fails to compile.
 */
import type Stripe from 'stripe';
import { id, unixNow, uuid } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { STRIPE_DATA_PATH } from './verify.js';

/**
 * The API version the samples are shaped after: the one the installed `stripe` package's types
 * describe (a compile error when the package moves on and the samples do not).
 */
export const STRIPE_SAMPLE_API_VERSION = '2026-11-18.endive' satisfies typeof Stripe.API_VERSION;

const AMOUNT = 2000;
const CURRENCY = 'usd';
const DAY = 24 * 60 * 60;

/**
 * Part of a Stripe object, checked field by field against the installed `stripe` package's types:
 * a field that the current API version renamed or removed fails to compile.
 */
type Sample<T> = T extends readonly (infer U)[]
  ? Sample<U>[]
  : T extends object
    ? { [K in keyof T]?: Sample<T[K]> | null }
    : T;

/** Ids of one sample's related objects, so that they point at each other. */
interface Refs {
  now: number;
  customer: string;
  paymentIntent: string;
  charge: string;
  paymentMethod: string;
  invoice: string;
  subscription: string;
  product: string;
  price: string;
}

function refs(): Refs {
  return {
    now: unixNow(),
    customer: id('cus_', 14),
    paymentIntent: id('pi_'),
    charge: id('ch_'),
    paymentMethod: id('pm_'),
    invoice: id('in_'),
    subscription: id('sub_'),
    product: id('prod_', 14),
    price: id('price_'),
  };
}

/** The object an event of type `T` carries in `data.object`. */
type ObjectOf<T extends Stripe.Event.Type> = Extract<Stripe.Event, { type: T }>['data']['object'];

function event<T extends Stripe.Event.Type>(
  type: T,
  object: Sample<ObjectOf<T>>,
  previousAttributes?: Sample<ObjectOf<T>>,
): SamplePayload {
  return {
    id: id('evt_'),
    object: 'event',
    api_version: STRIPE_SAMPLE_API_VERSION,
    created: unixNow(),
    data:
      previousAttributes === undefined
        ? { object }
        : { object, previous_attributes: previousAttributes },
    livemode: false,
    pending_webhooks: 1,
    request: { id: id('req_', 14), idempotency_key: uuid() },
    type,
  };
}

const address = () => ({
  city: 'San Francisco',
  country: 'US',
  line1: '510 Townsend St',
  line2: null,
  postal_code: '94103',
  state: 'CA',
});

function customer(r: Refs): Sample<Stripe.Customer> {
  return {
    id: r.customer,
    object: 'customer',
    address: null,
    balance: 0,
    created: r.now,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: 'jenny.rosen@example.com',
    invoice_prefix: id('', 8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
    livemode: false,
    metadata: {},
    name: 'Jenny Rosen',
    phone: null,
    preferred_locales: [],
    tax_exempt: 'none',
  };
}

function paymentIntent(
  r: Refs,
  status: 'succeeded' | 'requires_payment_method',
): Sample<Stripe.PaymentIntent> {
  const succeeded = status === 'succeeded';
  return {
    id: r.paymentIntent,
    object: 'payment_intent',
    amount: AMOUNT,
    amount_capturable: 0,
    amount_received: succeeded ? AMOUNT : 0,
    automatic_payment_methods: { allow_redirects: 'always', enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${r.paymentIntent}_secret_${id('', 25)}`,
    confirmation_method: 'automatic',
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    description: null,
    last_payment_error: succeeded
      ? null
      : {
          code: 'card_declined',
          decline_code: 'generic_decline',
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          message: 'Your card was declined.',
          type: 'card_error',
        },
    latest_charge: r.charge,
    livemode: false,
    metadata: {},
    payment_method: succeeded ? r.paymentMethod : null,
    payment_method_types: ['card'],
    receipt_email: null,
    status,
  };
}

function charge(r: Refs, outcome: 'succeeded' | 'failed' | 'refunded'): Sample<Stripe.Charge> {
  const failed = outcome === 'failed';
  const refunded = outcome === 'refunded';
  return {
    id: r.charge,
    object: 'charge',
    amount: AMOUNT,
    amount_captured: failed ? 0 : AMOUNT,
    amount_refunded: refunded ? AMOUNT : 0,
    balance_transaction: failed ? null : id('txn_'),
    billing_details: {
      address: address(),
      email: 'jenny.rosen@example.com',
      name: 'Jenny Rosen',
      phone: null,
    },
    captured: !failed,
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    description: null,
    disputed: false,
    failure_code: failed ? 'card_declined' : null,
    failure_message: failed ? 'Your card was declined.' : null,
    livemode: false,
    metadata: {},
    outcome: failed
      ? {
          network_status: 'declined_by_network',
          reason: 'generic_decline',
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !failed,
    payment_intent: r.paymentIntent,
    payment_method: r.paymentMethod,
    payment_method_details: {
      card: {
        brand: 'visa',
        checks: {
          address_line1_check: 'pass',
          address_postal_code_check: 'pass',
          cvc_check: 'pass',
        },
        country: 'US',
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 3,
        funding: 'credit',
        last4: failed ? '0002' : '4242',
        network: 'visa',
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_url: failed ? null : `https://pay.stripe.com/receipts/payment/${id('', 40)}`,
    refunded,
    status: failed ? 'failed' : 'succeeded',
  };
}

function checkoutSession(r: Refs, status: 'complete' | 'expired'): Sample<Stripe.Checkout.Session> {
  const complete = status === 'complete';
  return {
    id: id('cs_test_a1', 56),
    object: 'checkout.session',
    amount_subtotal: AMOUNT,
    amount_total: AMOUNT,
    cancel_url: 'https://example.com/cancel',
    client_reference_id: null,
    created: r.now - 60,
    currency: CURRENCY,
    customer: complete ? r.customer : null,
    customer_creation: 'if_required',
    customer_details: complete
      ? {
          address: address(),
          email: 'jenny.rosen@example.com',
          name: 'Jenny Rosen',
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    expires_at: r.now - 60 + DAY,
    invoice: null,
    livemode: false,
    locale: null,
    metadata: {},
    mode: 'payment',
    payment_intent: complete ? r.paymentIntent : null,
    payment_method_types: ['card'],
    payment_status: complete ? 'paid' : 'unpaid',
    status,
    subscription: null,
    success_url: 'https://example.com/success',
    url: null,
  };
}

function price(r: Refs): Sample<Stripe.Price> {
  return {
    id: r.price,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: r.now - 30 * DAY,
    currency: CURRENCY,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: r.product,
    recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
    type: 'recurring',
    unit_amount: AMOUNT,
  };
}

function invoice(r: Refs, paid: boolean): Sample<Stripe.Invoice> {
  const periodStart = r.now - 30 * DAY;
  const subscriptionItem = id('si_', 14);
  return {
    id: r.invoice,
    object: 'invoice',
    account_country: 'US',
    amount_due: AMOUNT,
    amount_paid: paid ? AMOUNT : 0,
    amount_remaining: paid ? 0 : AMOUNT,
    attempt_count: 1,
    attempted: true,
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    customer_email: 'jenny.rosen@example.com',
    customer_name: 'Jenny Rosen',
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${id('test_', 40)}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test/${id('test_', 40)}/pdf`,
    lines: {
      object: 'list',
      data: [
        {
          id: id('il_'),
          object: 'line_item',
          amount: AMOUNT,
          currency: CURRENCY,
          description: '1 × Pro (at $20.00 / month)',
          invoice: r.invoice,
          livemode: false,
          metadata: {},
          parent: {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: r.subscription,
              subscription_item: subscriptionItem,
            },
            type: 'subscription_item_details',
          },
          period: { end: r.now, start: periodStart },
          pricing: {
            price_details: { price: r.price, product: r.product },
            type: 'price_details',
            unit_amount_decimal: null,
          },
          quantity: 1,
          subtotal: AMOUNT,
        },
      ],
      has_more: false,
      url: `/v1/invoices/${r.invoice}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: paid ? null : r.now + 3 * DAY,
    number: `${id('', 8).toUpperCase()}-0002`,
    // Since API version 2025-03-31 the subscription is under parent, not invoice.subscription.
    parent: {
      quote_details: null,
      subscription_details: { metadata: {}, subscription: r.subscription },
      type: 'subscription_details',
    },
    // And the payment under payments, not invoice.charge / invoice.payment_intent.
    payments: {
      object: 'list',
      data: [
        {
          id: id('inpay_'),
          object: 'invoice_payment',
          amount_paid: paid ? AMOUNT : null,
          amount_requested: AMOUNT,
          created: r.now,
          currency: CURRENCY,
          invoice: r.invoice,
          is_default: true,
          livemode: false,
          payment: { payment_intent: r.paymentIntent, type: 'payment_intent' },
          status: paid ? 'paid' : 'open',
        },
      ],
      has_more: false,
      url: `/v1/invoice_payments?invoice=${r.invoice}`,
    },
    period_end: r.now,
    period_start: periodStart,
    status: paid ? 'paid' : 'open',
    status_transitions: {
      finalized_at: r.now,
      marked_uncollectible_at: null,
      paid_at: paid ? r.now : null,
      voided_at: null,
    },
    subtotal: AMOUNT,
    total: AMOUNT,
  };
}

function subscription(
  r: Refs,
  status: 'active' | 'canceled',
  cancelAtPeriodEnd = false,
): Sample<Stripe.Subscription> {
  const start = r.now - 30 * DAY;
  return {
    id: r.subscription,
    object: 'subscription',
    billing_cycle_anchor: start,
    cancel_at: cancelAtPeriodEnd ? r.now + DAY : null,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: status === 'canceled' || cancelAtPeriodEnd ? r.now : null,
    collection_method: 'charge_automatically',
    created: start,
    currency: CURRENCY,
    customer: r.customer,
    default_payment_method: r.paymentMethod,
    ended_at: status === 'canceled' ? r.now : null,
    items: {
      object: 'list',
      data: [
        {
          id: id('si_', 14),
          object: 'subscription_item',
          created: start,
          // Since API version 2025-03-31 the current period is per item.
          current_period_end: r.now + DAY,
          current_period_start: start + DAY,
          metadata: {},
          price: price(r),
          quantity: 1,
          subscription: r.subscription,
        },
      ],
      has_more: false,
      url: `/v1/subscription_items?subscription=${r.subscription}`,
    },
    latest_invoice: r.invoice,
    livemode: false,
    metadata: {},
    start_date: start,
    status,
    trial_end: null,
    trial_start: null,
  };
}

/** A builder per event type; the keys are checked against `Stripe.Event.Type`. */
const events = {
  'checkout.session.completed': () =>
    event('checkout.session.completed', checkoutSession(refs(), 'complete')),
  'checkout.session.expired': () =>
    event('checkout.session.expired', checkoutSession(refs(), 'expired')),
  'payment_intent.succeeded': () =>
    event('payment_intent.succeeded', paymentIntent(refs(), 'succeeded')),
  'payment_intent.payment_failed': () =>
    event('payment_intent.payment_failed', paymentIntent(refs(), 'requires_payment_method')),
  'charge.succeeded': () => event('charge.succeeded', charge(refs(), 'succeeded')),
  'charge.failed': () => event('charge.failed', charge(refs(), 'failed')),
  'charge.refunded': () =>
    event('charge.refunded', charge(refs(), 'refunded'), { amount_refunded: 0, refunded: false }),
  'invoice.paid': () => event('invoice.paid', invoice(refs(), true)),
  'invoice.payment_failed': () => event('invoice.payment_failed', invoice(refs(), false)),
  'customer.created': () => event('customer.created', customer(refs())),
  'customer.subscription.created': () =>
    event('customer.subscription.created', subscription(refs(), 'active')),
  'customer.subscription.updated': () =>
    event('customer.subscription.updated', subscription(refs(), 'active', true), {
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
    }),
  'customer.subscription.deleted': () =>
    event('customer.subscription.deleted', subscription(refs(), 'canceled')),
} satisfies Partial<Record<Stripe.Event.Type, () => SamplePayload>>;

/** Stripe's samples. `signal.data` is `data.object`. */
export const stripeSamples: SampleCatalogue = { dataPath: STRIPE_DATA_PATH, events };
