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
 * receiver('v1.billing.meter.error_report_triggered', async function meter({ data }) {
 *   data.url; // string: a thin event's data is its related_object
 * });
 */
import type Stripe from 'stripe';
import type { StripeThinEventType } from './thin-event-types.js';

/** Stripe event type → its `data.object` type, for every event in `Stripe.Event`. */
export type StripeSignals = {
  [E in Stripe.Event as E['type']]: E['data']['object'];
};

/**
 * What a thin event names (`related_object`), which is its `signal.data`: load the object itself
 * with `signal.fetch()`.
 */
export interface StripeRelatedObject {
  /** The object's id (`mtr_...`, `acct_...`). */
  id: string;
  /** Its kind (`billing.meter`, `v2.core.account`). */
  type: string;
  /** Where the API serves it (`/v1/billing/meters/mtr_...`). */
  url: string;
}

/**
 * Thin event type (`v1.billing.meter.error_report_triggered`, `v2.core.account.updated`, ...) →
 * its `related_object`. The types are koa-payments' list of the thin event types (checked against
 * the `stripe` package it is built with), since older `stripe` packages have no thin event types.
 */
export type StripeThinSignals = { [T in StripeThinEventType]: StripeRelatedObject };

/** The same maps as an interface, for `createRegistry<StripeSignalMap>()` and augmentation. */
export interface StripeSignalMap extends StripeSignals, StripeThinSignals {}

declare module '../../signals/types.js' {
  interface PaymentSignals extends StripeSignalMap {}
}
