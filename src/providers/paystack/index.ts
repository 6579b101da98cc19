/** The `paystack` provider: Paystack's signed webhooks (`x-paystack-signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type PaystackOptions, paystack } from './verify.js';

export { PAYSTACK_IPS, type PaystackOptions } from './verify.js';

/** The paystack provider's option keys and factory. */
export const definition: ProviderDefinition<PaystackOptions> = {
  options: optionKeys<PaystackOptions>({
    secretKey: true,
    allowedIps: true,
    trustProxy: true,
    apiBase: true,
    validation: true,
  }),
  create: paystack,
};
