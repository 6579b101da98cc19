/**
 * What Lemon Squeezy signs: the raw body, HMAC-SHA256 in hex, keyed by the signing secret. The
 * `X-Event-Name` header is not signed.
 */
import { hmac } from '../shared/signature.js';

/** The header Lemon Squeezy signs webhooks in. */
export const LEMONSQUEEZY_SIGNATURE_HEADER = 'x-signature';
/** The (unsigned) header naming the event. */
export const LEMONSQUEEZY_EVENT_NAME_HEADER = 'x-event-name';

/** The `X-Signature` value for a body: hex HMAC-SHA256 of the body under the signing secret. */
export function lemonSqueezySignature(body: string | Buffer, secret: string): string {
  return hmac('sha256', secret, [body], 'hex');
}
