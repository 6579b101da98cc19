/** The `lemonsqueezy` provider: Lemon Squeezy's signed webhooks (`X-Signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type LemonSqueezyOptions, lemonsqueezy } from './verify.js';

export { type LemonSqueezyOptions, lemonSqueezyEventId } from './verify.js';

/** The lemonsqueezy provider's option keys and factory. */
export const definition: ProviderDefinition<LemonSqueezyOptions> = {
  options: optionKeys<LemonSqueezyOptions>({ signingSecret: true }),
  create: lemonsqueezy,
  resolvableSecret: { option: 'signingSecret', placeholder: 'placeholder-secret' },
};
