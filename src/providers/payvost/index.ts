/** The `payvost` provider: Payvost's signed webhooks (`payvost-signature`, the Stripe scheme). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type PayvostOptions, payvost } from './verify.js';

export type { PayvostOptions } from './verify.js';

/** The payvost provider's option keys and factory. */
export const definition: ProviderDefinition<PayvostOptions> = {
  options: optionKeys<PayvostOptions>({ endpointSecret: true, tolerance: true }),
  create: payvost,
  resolvableSecret: { option: 'endpointSecret', placeholder: 'whsec_placeholder' },
};
