/**
 * What a Standard Webhooks (or Svix) sender signs: `${webhook-id}.${webhook-timestamp}.${rawBody}`,
 * HMAC-SHA256 in base64, keyed by the base64-decoded `whsec_` secret.
 */
import { hmac } from '../shared/signature.js';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of a Standard Webhooks secret: the base64 after an optional `whsec_` prefix,
 * decoded. Returns undefined when that part is not (padded, standard-alphabet) base64.
 *
 * @example
 * standardSecretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')?.length; // 24
 */
export function standardSecretKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64');
}

/** The `v1,<base64>` signature of a message, as a Standard Webhooks sender computes it. */
export function standardSignature(
  key: Buffer,
  id: string,
  timestamp: number,
  body: string | Buffer,
): string {
  return `v1,${hmac('sha256', key, [`${id}.${timestamp}.`, body], 'base64')}`;
}

/**
 * The `webhook-signature` value for a message (`v1,<base64>`), as a Standard Webhooks or Svix
 * sender computes it and as `new Webhook(secret).sign(id, date, body)` returns it.
 *
 * @example
 * standardSignatureHeader('{"test": 2432232314}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
 *   'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330);
 * // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
 */
export function standardSignatureHeader(
  body: string,
  secret: string,
  id: string,
  timestamp: number,
): string {
  const key = standardSecretKey(secret);
  if (key === undefined) {
    throw new TypeError(
      'koa-payments/testing: a Standard Webhooks secret is whsec_ followed by base64',
    );
  }
  return standardSignature(key, id, timestamp, body);
}
