import type { SignerInput } from './types.js';

/** Headers hmac sends with `body`. NOT IMPLEMENTED YET. */
export function sign(_input: SignerInput): Record<string, string> {
  throw new TypeError('koa-payments/testing: the hmac signer is not implemented yet');
}
