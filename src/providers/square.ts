/**
 * square: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'square'` variant. */
export interface SquareOptions {
  signatureKey: Secret;
  notificationUrl?: string;
}

/** Builds the square provider for one variant; validates its options. */
export function square(_options: SquareOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the square provider is not implemented yet',
    context.variant,
  );
}

/** The square provider's option keys and factory. */
export const definition: ProviderDefinition<SquareOptions> = {
  options: ['signatureKey', 'notificationUrl'],
  create: square,
};
