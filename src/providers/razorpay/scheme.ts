/** What Razorpay signs: the raw body, HMAC-SHA256 in hex, keyed by the webhook secret. */
import { hmac } from '../shared/signature.js';

/** The header Razorpay signs webhooks in. */
export const RAZORPAY_SIGNATURE_HEADER = 'x-razorpay-signature';

/**
 * The `X-Razorpay-Signature` value for a body: hex HMAC-SHA256 of the body, as Razorpay sends it
 * (and as the razorpay SDK's `validateWebhookSignature` expects it).
 *
 * @example
 * const signature = razorpaySignature('{"event":"payment.captured"}', 'my-webhook-secret');
 */
export function razorpaySignature(body: string | Buffer, secret: string): string {
  return hmac('sha256', secret, [body], 'hex');
}
