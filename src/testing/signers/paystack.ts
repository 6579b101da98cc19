import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/**
 * The `x-paystack-signature` value for a body: the HMAC-SHA512, in hex, of the body keyed by the
 * secret key, as Paystack computes it.
 *
 * @example
 * const signature = paystackSignature(body, 'sk_test_xxx');
 */
export function paystackSignature(body: string | Buffer, secretKey: string): string {
  return hmac('sha512', secretKey, [body], 'hex');
}

/** Headers Paystack sends with `body`. Paystack signs no timestamp and sends no id header. */
export function sign({ body, secret }: SignerInput): Record<string, string> {
  return { 'x-paystack-signature': paystackSignature(body, secret) };
}
