/**
 * A PayPal webhook body (`{ id: 'WH-…', event_version, create_time, resource_type, event_type,
 * summary, resource, links }`) as a verified event: PayPal's own `id`, the `event_type`, and the
 * `resource` as `signal.data`.
 */
import { SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import { isoDate, requireString } from '../shared/signature.js';
import type { VerifiedEvent } from '../types.js';

/** Where `signal.data` sits in a PayPal event: `resource`. */
export const PAYPAL_DATA_PATH = ['resource'] as const;

/** `signal.data` of a stored PayPal event. */
export const paypalDataOf = dataAt(PAYPAL_DATA_PATH);

/** The event of a parsed PayPal body; throws `invalid_payload` when a field is missing. */
export function paypalEvent(
  payload: Record<string, unknown>,
  livemode: boolean | undefined,
): VerifiedEvent {
  const id = requireString(payload, 'id', 'PayPal');
  const type = requireString(payload, 'event_type', 'PayPal');
  const resource = payload.resource;
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    throw new SignatureVerificationError(
      'invalid_payload',
      'The PayPal payload has no "resource" object.',
    );
  }
  const event: VerifiedEvent = { id, type, data: resource, payload };
  if (livemode !== undefined) event.livemode = livemode;
  const createdAt = isoDate(payload.create_time);
  if (createdAt !== undefined) event.createdAt = createdAt;
  return event;
}
