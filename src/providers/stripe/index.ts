/** The `stripe` provider: Stripe's signed webhooks (`Stripe-Signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type StripeOptions, stripe } from './verify.js';

export type { StripeOptions } from './verify.js';

/** The stripe provider's option keys and factory. */
export const definition: ProviderDefinition<StripeOptions> = {
  options: optionKeys<StripeOptions>({
    endpointSecret: true,
    tolerance: true,
    apiKey: true,
    apiBase: true,
    validation: true,
  }),
  create: stripe,
  resolvableSecret: { option: 'endpointSecret', placeholder: 'whsec_placeholder' },
};
