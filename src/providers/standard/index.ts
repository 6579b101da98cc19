/** The `standard` provider: Standard Webhooks and Svix (`webhook-signature`, `svix-signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type StandardOptions, standard } from './verify.js';

export type { StandardOptions } from './verify.js';

/** The standard provider's option keys and factory. */
export const definition: ProviderDefinition<StandardOptions> = {
  options: optionKeys<StandardOptions>({ secret: true, tolerance: true }),
  create: standard,
  resolvableSecret: {
    option: 'secret',
    placeholder: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  },
};
