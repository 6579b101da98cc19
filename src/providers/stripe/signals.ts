/**
 * `koa-payments/stripe`: Stripe's event types as signals. The map is derived from the official
 * `stripe` package's `Stripe.Event` union (an optional peer dependency), never copied by hand,
 * so it follows the Stripe API version you install.
 *
 * Importing this module types every Stripe receiver:
 *
 * @example
 * import 'koa-payments/stripe';
 * import { receiver } from 'koa-payments';
 *
 * receiver('charge.succeeded', async function book({ data }) {
 *   data.amount; // number: data is a Stripe.Charge
 * });
 */
import type Stripe from 'stripe';

/** Stripe event type → its `data.object` type, for every event in `Stripe.Event`. */
export type StripeSignals = {
  [E in Stripe.Event as E['type']]: E['data']['object'];
};

/** The same map as an interface, for `createRegistry<StripeSignalMap>()` and augmentation. */
export interface StripeSignalMap extends StripeSignals {}

declare module '../../signals/types.js' {
  interface PaymentSignals extends StripeSignalMap {}
}
