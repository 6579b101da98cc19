/**
 * flutterwave: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'flutterwave'` variant. */
export interface FlutterwaveOptions {
  secretHash: Secret;
}

/** Builds the flutterwave provider for one variant; validates its options. */
export function flutterwave(_options: FlutterwaveOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the flutterwave provider is not implemented yet',
    context.variant,
  );
}

/** The flutterwave provider's option keys and factory. */
export const definition: ProviderDefinition<FlutterwaveOptions> = {
  options: ['secretHash'],
  create: flutterwave,
};
