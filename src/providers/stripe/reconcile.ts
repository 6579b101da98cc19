/**
 * Reconciling a Stripe payment by its PaymentIntent (`pi_...`) or Checkout Session (`cs_...`)
 * id. The object's state decides the event: a PaymentIntent that `succeeded` is
 * `payment_intent.succeeded`, one `canceled` is `payment_intent.canceled`; a Checkout Session
 * `complete` is `checkout.session.completed`, one `expired` is `checkout.session.expired`; any
 * other state is still pending.
 *
 * That event is then looked for among Stripe's own events (`GET /v1/events?type=`, newest
 * first, from the object's creation on, at most {@link SEARCH_PAGES} pages): found, it is stored
 * with its `evt_` id, so that its webhook, before or after, is the same event. Stripe keeps
 * events for 30 days; when it is not found, the event is built from the object as fetched, with
 * the id `<type>:<object id>` (`payment_intent.succeeded:pi_3Pz...`): a second reconcile is a
 * duplicate of it, but the webhook, should it still come, has its `evt_` id and runs the
 * receivers again (make them idempotent on the object id, as for any Stripe event).
 */
import type Stripe from 'stripe';
import { fetchedEvent } from '../shared/retrieve.js';
import type { ReconcileFinding, VerifiedEvent } from '../types.js';
import { stripeDataOf } from './events.js';

/** Pages of events (100 each) searched for an object's event. */
export const SEARCH_PAGES = 10;

/** How long Stripe keeps events. */
const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** What reconcile needs of the Stripe API. */
export interface StripeReconcileApi {
  retrievePaymentIntent(id: string): Promise<Stripe.PaymentIntent>;
  retrieveCheckoutSession(id: string): Promise<Stripe.Checkout.Session>;
  events(options: { since?: Date; types?: readonly string[] }): AsyncIterable<Stripe.Event[]>;
}

/** A payment's object and the event type its state makes, if it has settled. */
interface Settled {
  object: { id: string; created: number; livemode: boolean };
  type: string | undefined;
  paymentStatus: string;
}

async function paymentState(api: StripeReconcileApi, reference: string): Promise<Settled> {
  if (reference.startsWith('pi_')) {
    const intent = await api.retrievePaymentIntent(reference);
    const type =
      intent.status === 'succeeded'
        ? 'payment_intent.succeeded'
        : intent.status === 'canceled'
          ? 'payment_intent.canceled'
          : undefined;
    return { object: intent, type, paymentStatus: intent.status };
  }
  if (reference.startsWith('cs_')) {
    const session = await api.retrieveCheckoutSession(reference);
    const type =
      session.status === 'complete'
        ? 'checkout.session.completed'
        : session.status === 'expired'
          ? 'checkout.session.expired'
          : undefined;
    // A complete session's payment may still be on its way (an async payment method): its
    // payment_status says so.
    const paymentStatus =
      session.status === 'complete' ? session.payment_status : String(session.status);
    return { object: session, type, paymentStatus };
  }
  throw new TypeError(
    `koa-payments: reconcile(): a Stripe reference is a PaymentIntent id (pi_...) or a Checkout Session id (cs_...), got '${reference}'`,
  );
}

/** Stripe's own event of `type` about `objectId`, among the recent events of that type. */
async function findEvent(
  api: StripeReconcileApi,
  type: string,
  object: Settled['object'],
  now: number,
): Promise<Stripe.Event | undefined> {
  const since = new Date(Math.max(object.created * 1000, now - EVENT_RETENTION_MS));
  let pages = 0;
  for await (const page of api.events({ since, types: [type] })) {
    const found = page.find((event) => (event.data.object as { id?: unknown }).id === object.id);
    if (found !== undefined) return found;
    if (++pages >= SEARCH_PAGES) return undefined;
  }
  return undefined;
}

/**
 * The event Stripe sent about an object: built from the object as fetched, with the id
 * `<type>:<object id>`, for when Stripe's own is not found.
 */
export function stripeObjectEvent(
  type: string,
  object: { id: string; livemode: boolean },
  now: Date,
): VerifiedEvent {
  const id = `${type}:${object.id}`;
  return fetchedEvent(
    {
      id,
      type,
      payload: {
        id,
        object: 'event',
        type,
        created: Math.floor(now.getTime() / 1000),
        livemode: object.livemode,
        pending_webhooks: 0,
        request: null,
        data: { object },
      },
      livemode: object.livemode,
      createdAt: now,
    },
    stripeDataOf,
  );
}

/** Reconciles one Stripe payment (see the module's comment). */
export async function reconcileStripe(
  api: StripeReconcileApi,
  reference: string,
  toEvent: (event: Stripe.Event) => VerifiedEvent,
  now: Date = new Date(),
): Promise<ReconcileFinding> {
  const { object, type, paymentStatus } = await paymentState(api, reference);
  if (type === undefined) return { status: 'pending', paymentStatus };
  const own = await findEvent(api, type, object, now.getTime());
  const event = own === undefined ? stripeObjectEvent(type, object, now) : toEvent(own);
  return { status: 'settled', event, paymentStatus };
}
