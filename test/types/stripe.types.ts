/**
 * Type-level tests of `koa-payments/stripe` (checked by `npm run typecheck`, never executed).
 */
import 'koa-payments/stripe';
import { createRegistry, receiver, type Signal } from 'koa-payments';
import type { StripeRelatedObject, StripeSignalMap } from 'koa-payments/stripe';
import type Stripe from 'stripe';
import type { StripeEventType } from '../../src/providers/stripe/event-types.js';
import type { StripeThinEventType } from '../../src/providers/stripe/thin-event-types.js';

// The module-level receiver is typed by importing koa-payments/stripe.
receiver('charge.succeeded', async function bookCharge({ data }) {
  const charge: Stripe.Charge = data;
  const amount: number = data.amount;
  return [charge, amount];
});

receiver('checkout.session.completed', async function checkout({ data }) {
  const session: Stripe.Checkout.Session = data;
  return session.client_reference_id;
});

receiver('charge.refunded', async function wrongField({ data }) {
  // @ts-expect-error: a Stripe.Charge has no `amount_totally` field.
  return data.amount_totally;
});

// A prefix gets the union of the matching objects.
receiver('customer.subscription.*', async function subscriptions({ data }) {
  const subscription: Stripe.Subscription = data;
  return subscription.status;
});

export class Billing {
  @receiver('invoice.paid', { name: 'billing.invoice-paid' })
  static async paid({ data }: Signal<'invoice.paid'>) {
    const invoice: Stripe.Invoice = data;
    return invoice.id;
  }
}

// A thin event's data is its related_object; the object itself comes from signal.fetch().
receiver('v1.billing.meter.error_report_triggered', async function meterError({ data, fetch }) {
  const url: string = data.url;
  const meter = await fetch<Stripe.Billing.Meter>();
  return [url, meter.id];
});
receiver('v2.core.account.*', async function accounts({ data }) {
  const related: StripeRelatedObject = data;
  // @ts-expect-error: a related_object carries no snapshot of the object.
  return [related, data.status];
});

// A strict registry on the Stripe map refuses event types Stripe does not have.
const strict = createRegistry<StripeSignalMap>();
strict.receiver('payment_intent.succeeded', async function intent({ data }) {
  const intent: Stripe.PaymentIntent = data;
  return intent.status;
});
// @ts-expect-error: not a Stripe event type.
strict.receiver('payment_intent.succeded', async function typo() {});
strict.receiver('v2.core.event_destination.ping', async function ping({ data }) {
  return data.id;
});

// The runtime list `endpoints create` widens wildcards with is exactly the types the installed
// stripe package lets an endpoint enable (besides '*').
type EnabledEvent = Exclude<Stripe.WebhookEndpointCreateParams.EnabledEvent, '*'>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const eventTypesAgree: Same<StripeEventType, EnabledEvent> = true;

// And the list `endpoints create --thin` widens wildcards with is exactly the thin event types of
// the installed stripe package.
type ThinType = Stripe.V2.Core.EventNotification['type'];
export const thinEventTypesAgree: Same<StripeThinEventType, ThinType> = true;
