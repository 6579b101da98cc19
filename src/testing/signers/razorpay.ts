import { createHash } from 'node:crypto';
import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/**
 * The `X-Razorpay-Signature` value for a body: hex HMAC-SHA256 of the body, as Razorpay sends it
 * (and as the razorpay SDK's `validateWebhookSignature` expects it).
 *
 * @example
 * const signature = razorpaySignature('{"event":"payment.captured"}', 'my-webhook-secret');
 */
export function razorpaySignature(body: string, secret: string): string {
  return hmac('sha256', secret, [body], 'hex');
}

/**
 * Headers Razorpay sends with `body`. Without `input.id`, the event id is derived from the body,
 * so signing the same body twice is a redelivery of the same event (as Razorpay retries are).
 */
export function sign({ body, secret, id }: SignerInput): Record<string, string> {
  const eventId = id ?? `evt_test_${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
  return {
    'x-razorpay-signature': razorpaySignature(body, secret),
    'x-razorpay-event-id': eventId,
  };
}
