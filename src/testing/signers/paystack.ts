import type { SignerInput } from './types.js';

/** Headers paystack sends with `body`. NOT IMPLEMENTED YET. */
export function sign(_input: SignerInput): Record<string, string> {
  throw new TypeError('koa-payments/testing: the paystack signer is not implemented yet');
}
