/** Events built from API objects: stored as fetched, filtered by type. */
import { matches } from '../../signals/registry.js';
import type { VerifiedEvent } from '../types.js';

/** JSON of values the API may return as bigints (the Stripe SDK's v2 coercion). */
function bigintsAsStrings(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * An event built from an API object, stored as fetched: `payloadText` is its JSON, and `payload`
 * a plain copy of it (no SDK methods or hidden fields), with `data` read from that copy.
 */
export function fetchedEvent(
  fields: Omit<VerifiedEvent, 'data' | 'payloadText'>,
  dataOf: (payload: unknown) => unknown,
): VerifiedEvent {
  const payloadText = JSON.stringify(fields.payload, bigintsAsStrings);
  const payload: unknown = JSON.parse(payloadText);
  const event: VerifiedEvent = {
    id: fields.id,
    type: fields.type,
    data: dataOf(payload),
    payload,
    payloadText,
  };
  if (fields.livemode !== undefined) event.livemode = fields.livemode;
  if (fields.createdAt !== undefined) event.createdAt = fields.createdAt;
  return event;
}

/** Whether `type` passes a `types` filter (receiver patterns: exact, `prefix.*`, `*`). */
export function typeWanted(type: string, types: readonly string[] | undefined): boolean {
  return types === undefined || types.some((pattern) => matches(pattern, type));
}
