import type { SignerInput } from './types.js';

/** Headers payvost sends with `body`. NOT IMPLEMENTED YET. */
export function sign(_input: SignerInput): Record<string, string> {
  throw new TypeError('koa-payments/testing: the payvost signer is not implemented yet');
}
