/**
 * What Flutterwave signs: the raw body, HMAC-SHA256 in base64, keyed by the secret hash
 * (`flutterwave-signature`); the v3 form sends the secret hash itself (`verif-hash`).
 */
import { hmac } from '../shared/signature.js';

/** The header of the current form: a signature of the body. */
export const FLUTTERWAVE_SIGNATURE_HEADER = 'flutterwave-signature';
/** The header of the v3 form: the secret hash itself. */
export const FLUTTERWAVE_V3_HEADER = 'verif-hash';

/**
 * The `flutterwave-signature` value for a body: the HMAC-SHA256, in base64, of the body keyed by
 * the secret hash, as Flutterwave computes it.
 *
 * @example
 * const signature = flutterwaveSignature(body, process.env.FLW_SECRET_HASH!);
 */
export function flutterwaveSignature(body: string | Buffer, secretHash: string): string {
  return hmac('sha256', secretHash, [body], 'base64');
}
