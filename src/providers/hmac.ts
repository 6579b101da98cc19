/**
 * hmac: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'hmac'` variant. */
export interface HmacOptions {
  secret: Secret;
  header: string;
}

/** Builds the hmac provider for one variant; validates its options. */
export function hmac(_options: HmacOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the hmac provider is not implemented yet',
    context.variant,
  );
}

/** The hmac provider's option keys and factory. */
export const definition: ProviderDefinition<HmacOptions> = {
  options: ['secret', 'header'],
  create: hmac,
};
