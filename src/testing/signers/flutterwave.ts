import type { SignerInput } from './types.js';

/** Headers flutterwave sends with `body`. NOT IMPLEMENTED YET. */
export function sign(_input: SignerInput): Record<string, string> {
  throw new TypeError('koa-payments/testing: the flutterwave signer is not implemented yet');
}
