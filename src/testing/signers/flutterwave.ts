import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

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

/**
 * Headers Flutterwave sends with `body`: `flutterwave-signature` by default, or, with
 * `options: { form: 'v3' }`, the v3 `verif-hash` header, which carries the secret hash itself.
 */
export function sign({ body, secret, options }: SignerInput): Record<string, string> {
  const form = options?.form ?? 'signature';
  if (form === 'v3') return { 'verif-hash': secret };
  if (form === 'signature') return { 'flutterwave-signature': flutterwaveSignature(body, secret) };
  throw new TypeError(
    `koa-payments/testing: the flutterwave signer's options.form is 'signature' (default) or 'v3'`,
  );
}
