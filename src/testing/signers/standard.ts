import type { SignerInput } from './types.js';

/** Headers standard sends with `body`. NOT IMPLEMENTED YET. */
export function sign(_input: SignerInput): Record<string, string> {
  throw new TypeError('koa-payments/testing: the standard signer is not implemented yet');
}
