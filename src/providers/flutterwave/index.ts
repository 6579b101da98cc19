/** The `flutterwave` provider: Flutterwave's webhooks (`flutterwave-signature` or the v3 `verif-hash`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type FlutterwaveOptions, flutterwave } from './verify.js';

export type { FlutterwaveOptions } from './verify.js';

/** The flutterwave provider's option keys and factory. */
export const definition: ProviderDefinition<FlutterwaveOptions> = {
  options: optionKeys<FlutterwaveOptions>({
    secretHash: true,
    apiKey: true,
    apiBase: true,
    validation: true,
  }),
  create: flutterwave,
  resolvableSecret: { option: 'secretHash', placeholder: 'placeholder-secret' },
};
