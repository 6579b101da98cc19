import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/**
 * The `x-square-hmacsha256-signature` value: base64 HMAC-SHA256 of the notification URL followed
 * directly by the body, as Square sends it.
 *
 * @example
 * const signature = squareSignature(pay.webhookUrl('square'), body, 'my-signature-key');
 */
export function squareSignature(url: string, body: string, signatureKey: string): string {
  return hmac('sha256', signatureKey, [url, body], 'base64');
}

/** Headers Square sends with `body`; `input.url` is the notification URL Square signs. */
export function sign({ body, secret, url }: SignerInput): Record<string, string> {
  if (typeof url !== 'string' || url === '') {
    throw new TypeError(
      "koa-payments/testing: signing for 'square' needs `url`, the notification URL Square signs " +
        "(use pay.webhookUrl('<variant>'), or the variant's notificationUrl)",
    );
  }
  return { 'x-square-hmacsha256-signature': squareSignature(url, body, secret) };
}
