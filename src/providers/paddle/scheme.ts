/** What Paddle signs: `${ts}:${rawBody}`, HMAC-SHA256 in hex, keyed by the destination's secret key. */
import { hmac } from '../shared/signature.js';

/** The header Paddle signs webhooks in. */
export const PADDLE_SIGNATURE_HEADER = 'paddle-signature';

/** The hex `h1` signature of a body signed at `timestamp` (Unix seconds). */
export function paddleSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return hmac('sha256', secret, [`${timestamp}:`, body], 'hex');
}

/**
 * The `Paddle-Signature` header for a body, as Paddle sends it: `ts=<unix>;h1=<hex>`, the hex
 * HMAC-SHA256 of `${ts}:${body}`.
 *
 * @example
 * const header = paddleSignatureHeader(body, 'pdl_ntfset_test', Math.floor(Date.now() / 1000));
 */
export function paddleSignatureHeader(body: string, secret: string, timestamp: number): string {
  return `ts=${timestamp};h1=${paddleSignature(secret, timestamp, body)}`;
}
