/** What Paystack signs: the raw body, HMAC-SHA512 in hex, keyed by the secret key. */
import { hmac } from '../shared/signature.js';

/** The header Paystack signs webhooks in. */
export const PAYSTACK_SIGNATURE_HEADER = 'x-paystack-signature';

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
