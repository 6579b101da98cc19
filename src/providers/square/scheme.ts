/**
 * What Square signs: the notification URL followed directly by the raw body, HMAC-SHA256 in
 * base64, keyed by the subscription's signature key.
 */
import { hmac } from '../shared/signature.js';

/** The header Square signs webhooks in. */
export const SQUARE_SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

/**
 * The `x-square-hmacsha256-signature` value: base64 HMAC-SHA256 of the notification URL followed
 * directly by the body, as Square sends it.
 *
 * @example
 * const signature = squareSignature(pay.webhookUrl('square'), body, 'my-signature-key');
 */
export function squareSignature(url: string, body: string | Buffer, signatureKey: string): string {
  return hmac('sha256', signatureKey, [url, body], 'base64');
}
