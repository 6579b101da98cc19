/** The `paypal` provider: PayPal's webhooks, signed with PayPal's certificate (`paypal-transmission-sig`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type PayPalOptions, paypal } from './verify.js';

export type { PayPalEnvironment, PayPalOptions, PayPalVerification } from './verify.js';

/** The paypal provider's option keys and factory. */
export const definition: ProviderDefinition<PayPalOptions> = {
  options: optionKeys<PayPalOptions>({
    webhookId: true,
    verification: true,
    clientId: true,
    clientSecret: true,
    apiBase: true,
    tolerance: true,
  }),
  create: paypal,
};
