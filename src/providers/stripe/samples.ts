/**
 * Stripe samples: Event objects (`{ id, object: 'event', type, data: { object } }`) in the shape
 * of the API version the installed `stripe` package describes, with the fields receivers usually
 * read, as `stripe trigger` sends them in test mode. Every object is type-checked against the
 * package's types, so a field the API renamed or removed fails to compile.
 *
 * The objects are built in samples-payments.ts (PaymentIntent, Charge, Checkout Session) and
 * samples-billing.ts (Price, Invoice, Subscription), on what samples-common.ts shares.
 */
import type Stripe from 'stripe';
import { id, unixNow, uuid } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { invoice, subscription } from './samples-billing.js';
import { customer, refs, type Sample } from './samples-common.js';
import { charge, checkoutSession, paymentIntent } from './samples-payments.js';
import { STRIPE_DATA_PATH } from './verify.js';

/**
 * The API version the samples are shaped after: the one the installed `stripe` package's types
 * describe (a compile error when the package moves on and the samples do not).
 */
export const STRIPE_SAMPLE_API_VERSION = '2026-11-18.endive' satisfies typeof Stripe.API_VERSION;

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
