/**
 * `koa-payments/stripe`: Stripe's event types as signals, derived from the official `stripe`
 * package's `Stripe.Event` union, and its thin event types. Importing it types every Stripe
 * receiver; see
 * ./providers/stripe/signals.ts.
 *
 * @example
 * import 'koa-payments/stripe';
 */
export type {
  StripeRelatedObject,
  StripeSignalMap,
  StripeSignals,
  StripeThinSignals,
} from './providers/stripe/signals.js';
