/**
 * What Braintree signs, as the official `braintree` package checks it
 * (`WebhookNotificationGateway.validateSignature` and `Digest`): the request is a form with
 * `bt_signature` and `bt_payload`; `bt_signature` holds `publicKey|hmac` pairs separated by `&`,
 * and the hmac is hex HMAC-SHA1 over `bt_payload` (base64 text, as received) keyed by the raw
 * SHA-1 digest of the private key. The SDK accepts a signature over the payload with one more
 * trailing newline too (a form handler may strip it), and so does {@link braintreeSignatureMatches}.
 */
import { createHash } from 'node:crypto';
import { anySignatureMatches, hmac } from '../shared/signature.js';

/** The form field holding the signature pairs. */
export const BRAINTREE_SIGNATURE_FIELD = 'bt_signature';
/** The form field holding the base64 notification XML. */
export const BRAINTREE_PAYLOAD_FIELD = 'bt_payload';

/** The content type Braintree posts with. */
export const BRAINTREE_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * Hex HMAC-SHA1 of `payload` keyed by the SHA-1 digest of `privateKey`, as the SDK's
 * `Digest.Sha1hexdigest` computes it (both read as `binary`, that is latin1, strings).
 *
 * @example
 * braintreeHmac('my-private-key', 'PG5vdGlmaWNhdGlvbj4...\n'); // '9c4f...' (40 hex digits)
 */
export function braintreeHmac(privateKey: string, payload: string): string {
  const key = createHash('sha1').update(privateKey, 'latin1').digest();
  return hmac('sha1', key, [Buffer.from(payload, 'latin1')], 'hex');
}

/**
 * A `bt_signature` value for one key pair: `publicKey|hmac`.
 *
 * @example
 * braintreeSignature('my-public-key', 'my-private-key', payload); // 'my-public-key|9c4f...'
 */
export function braintreeSignature(publicKey: string, privateKey: string, payload: string): string {
  return `${publicKey}|${braintreeHmac(privateKey, payload)}`;
}

/**
 * The hmac of the first pair in `bt_signature` whose public key is `publicKey`, as the SDK's
 * `matchingSignature` picks it; undefined when there is none. Pairs without a `|` are skipped.
 */
export function signatureFor(signature: string, publicKey: string): string | undefined {
  for (const pair of signature.split('&')) {
    if (!pair.includes('|')) continue;
    const [key, value] = pair.split('|');
    if (key === publicKey) return value ?? '';
  }
  return undefined;
}

/**
 * Whether `received` (an hmac from `bt_signature`) signs `payload`, or `payload` with a trailing
 * newline added, under `privateKey`. Both are compared in constant time, with no early exit.
 */
export function braintreeSignatureMatches(
  received: string,
  privateKey: string,
  payload: string,
): boolean {
  return anySignatureMatches(
    [payload, `${payload}\n`],
    (signed) => braintreeHmac(privateKey, signed),
    [received],
  );
}
