/**
 * payvost: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'payvost'` variant. */
export interface PayvostOptions {
  endpointSecret: Secret;
  tolerance?: number;
}

/** Builds the payvost provider for one variant; validates its options. */
export function payvost(_options: PayvostOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the payvost provider is not implemented yet',
    context.variant,
  );
}

/** The payvost provider's option keys and factory. */
export const definition: ProviderDefinition<PayvostOptions> = {
  options: ['endpointSecret', 'tolerance'],
  create: payvost,
};
