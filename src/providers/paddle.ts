/**
 * paddle: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'paddle'` variant. */
export interface PaddleOptions {
  secretKey: Secret;
  tolerance?: number;
}

/** Builds the paddle provider for one variant; validates its options. */
export function paddle(_options: PaddleOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the paddle provider is not implemented yet',
    context.variant,
  );
}

/** The paddle provider's option keys and factory. */
export const definition: ProviderDefinition<PaddleOptions> = {
  options: ['secretKey', 'tolerance'],
  create: paddle,
};
