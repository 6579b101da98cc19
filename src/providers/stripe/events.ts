/**
 * Stripe payloads as verified events, for the webhook path and the API path alike:
 *
 * - snapshot events (`object: 'event'`): `data.object` is the object as it was;
 * - thin events (`object: 'v2.core.event'`, sent to event destinations with thin payloads): no
 *   snapshot, only `related_object` (`{ id, type, url }`) naming the object to fetch.
 */
import { readAt } from '../shared/data-path.js';
import { isoDate } from '../shared/signature.js';
import type { VerifiedEvent } from '../types.js';

/** Where `signal.data` sits in a Stripe snapshot event: `data.object`. */
export const STRIPE_DATA_PATH = ['data', 'object'] as const;

/** Where `signal.data` sits in a Stripe thin event: `related_object`. */
export const STRIPE_THIN_DATA_PATH = ['related_object'] as const;

/** The `object` of a thin event. */
export const STRIPE_THIN_OBJECT = 'v2.core.event';

/** Whether a Stripe payload is a thin event. */
export function isThinEvent(payload: unknown): boolean {
  return (payload as { object?: unknown } | null)?.object === STRIPE_THIN_OBJECT;
}

/** `signal.data` of a Stripe payload of either kind (null when absent). */
export function stripeDataOf(payload: unknown): unknown {
  return readAt(payload, isThinEvent(payload) ? STRIPE_THIN_DATA_PATH : STRIPE_DATA_PATH) ?? null;
}

/**
 * The verified event of a Stripe payload whose `id` and `type` are known to be strings: `data` is
 * `data.object` (snapshot) or `related_object` (thin); `created` is Unix seconds (snapshot) or an
 * RFC 3339 string (thin).
 */
export function stripeEvent(payload: Record<string, unknown>): VerifiedEvent {
  const event: VerifiedEvent = {
    id: payload.id as string,
    type: payload.type as string,
    data: stripeDataOf(payload),
    payload,
  };
  if (typeof payload.livemode === 'boolean') event.livemode = payload.livemode;
  const created =
    typeof payload.created === 'number'
      ? new Date(payload.created * 1000)
      : isoDate(payload.created);
  if (created !== undefined) event.createdAt = created;
  return event;
}

/** The connected account of a Connect event (`account`), for API calls made on its behalf. */
export function stripeAccountOf(payload: unknown): string | undefined {
  const account = (payload as { account?: unknown } | null)?.account;
  return typeof account === 'string' && account !== '' ? account : undefined;
}

/** The Stripe context of a thin event (`context`), for API calls made in it. */
export function stripeContextOf(payload: unknown): string | undefined {
  const context = (payload as { context?: unknown } | null)?.context;
  return typeof context === 'string' && context !== '' ? context : undefined;
}
