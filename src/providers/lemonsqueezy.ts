/**
 * lemonsqueezy: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'lemonsqueezy'` variant. */
export interface LemonSqueezyOptions {
  signingSecret: Secret;
}

/** Builds the lemonsqueezy provider for one variant; validates its options. */
export function lemonsqueezy(_options: LemonSqueezyOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the lemonsqueezy provider is not implemented yet',
    context.variant,
  );
}

/** The lemonsqueezy provider's option keys and factory. */
export const definition: ProviderDefinition<LemonSqueezyOptions> = {
  options: ['signingSecret'],
  create: lemonsqueezy,
};
