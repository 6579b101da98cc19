/** The `braintree` provider: Braintree's form-encoded, signed webhooks (`bt_signature`, `bt_payload`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type BraintreeOptions, braintree } from './verify.js';

export type { BraintreeOptions } from './verify.js';

/** The braintree provider's option keys and factory. */
export const definition: ProviderDefinition<BraintreeOptions> = {
  options: optionKeys<BraintreeOptions>({ publicKey: true, privateKey: true, tolerance: true }),
  create: braintree,
};
