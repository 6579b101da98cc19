/**
 * standard: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'standard'` variant. */
export interface StandardOptions {
  secret: Secret;
  tolerance?: number;
}

/** Builds the standard provider for one variant; validates its options. */
export function standard(_options: StandardOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the standard provider is not implemented yet',
    context.variant,
  );
}

/** The standard provider's option keys and factory. */
export const definition: ProviderDefinition<StandardOptions> = {
  options: ['secret', 'tolerance'],
  create: standard,
};
