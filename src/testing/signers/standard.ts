import { randomBytes } from 'node:crypto';
import { standardSecretKey, standardSignature } from '../../providers/standard.js';
import type { SignerInput } from './types.js';

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

/**
 * Headers a Standard Webhooks sender sends with `body`: `webhook-id` (`input.id`, else a fresh
 * `msg_...`), `webhook-timestamp`, `webhook-signature`; the `svix-*` names instead when
 * `options.svix` is true.
 */
export function sign({
  body,
  secret,
  timestamp,
  id,
  options,
}: SignerInput): Record<string, string> {
  const messageId = id ?? `msg_${randomBytes(16).toString('hex')}`;
  const prefix = options?.svix === true ? 'svix' : 'webhook';
  return {
    [`${prefix}-id`]: messageId,
    [`${prefix}-timestamp`]: String(timestamp),
    [`${prefix}-signature`]: standardSignatureHeader(body, secret, messageId, timestamp),
  };
}
