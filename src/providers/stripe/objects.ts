/**
 * Where the object a Stripe event is about can be fetched, for `signal.fetch()`:
 *
 * - a thin event names it: `related_object.url` (`/v1/billing/meters/mtr_...`, `/v2/core/accounts/...`),
 *   fetched in the event's `context`;
 * - a snapshot event carries it in `data.object`, whose `object` names its kind: `payment_intent`
 *   is `/v1/payment_intents/:id`, `checkout.session` is `/v1/checkout/sessions/:id` (each dot a
 *   path segment, the last one plural), fetched on behalf of the event's connected `account`.
 *
 * Objects that Stripe serves only under a parent (a customer's card, an account's person) or as
 * a singleton (the balance) have no such path.
 */
import { PaymentsError } from '../../errors.js';
import { isRecord } from '../shared/data-path.js';
import { isThinEvent, stripeAccountOf, stripeContextOf, stripeDataOf } from './events.js';

/** Kinds of object with no `/v1/<kind>s/:id` of their own. */
const NOT_BY_ID = new Set([
  'balance',
  'balance_settings',
  'bank_account',
  'billing_portal.session',
  'capability',
  'card',
  'cash_balance',
  'customer_balance_transaction',
  'customer_cash_balance_transaction',
  'discount',
  'entitlements.active_entitlement_summary',
  'fee_refund',
  'line_item',
  'person',
  'tax.settings',
]);

/** Where to GET an event's object, and on whose behalf. */
export interface ObjectLocation {
  /** The API path (`/v1/payment_intents/pi_...`). */
  path: string;
  /** The connected account (`Stripe-Account`) of a Connect snapshot event. */
  account?: string;
  /** The context (`Stripe-Context`) of a thin event. */
  context?: string;
}

function cannotFetch(message: string): PaymentsError {
  return new PaymentsError('invalid_request', 400, `signal.fetch(): ${message}`);
}

/** The path of an object of kind `kind` with id `id`: `checkout.session` → `/v1/checkout/sessions/<id>`. */
export function stripeObjectPath(kind: string, id: string): string | undefined {
  if (NOT_BY_ID.has(kind) || !/^[a-z_]+(\.[a-z_]+)*$/.test(kind)) return undefined;
  return `/v1/${kind.split('.').join('/')}s/${encodeURIComponent(id)}`;
}

/** Where the object of a stored Stripe event is fetched from (see the module's comment). */
export function stripeObjectLocation(type: string, payload: unknown): ObjectLocation {
  const data = stripeDataOf(payload);
  if (isThinEvent(payload)) {
    const url = isRecord(data) ? data.url : undefined;
    if (typeof url !== 'string' || !url.startsWith('/v')) {
      throw cannotFetch(`the thin ${type} event names no related_object to fetch`);
    }
    const context = stripeContextOf(payload);
    return context === undefined ? { path: url } : { path: url, context };
  }
  const kind = isRecord(data) ? data.object : undefined;
  const id = isRecord(data) ? data.id : undefined;
  if (typeof kind !== 'string' || typeof id !== 'string' || id === '') {
    throw cannotFetch(`the ${type} event's data.object has no object kind and id to fetch`);
  }
  const path = stripeObjectPath(kind, id);
  if (path === undefined) {
    throw cannotFetch(
      `Stripe serves a ${kind} only through its parent object or as a singleton; fetch that one with the stripe package`,
    );
  }
  const account = stripeAccountOf(payload);
  return account === undefined ? { path } : { path, account };
}
