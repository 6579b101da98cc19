/**
 * paystack: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'paystack'` variant. */
export interface PaystackOptions {
  secretKey: Secret;
  allowedIps?: readonly string[] | boolean;
  trustProxy?: boolean;
}

/** Builds the paystack provider for one variant; validates its options. */
export function paystack(_options: PaystackOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the paystack provider is not implemented yet',
    context.variant,
  );
}

/** The paystack provider's option keys and factory. */
export const definition: ProviderDefinition<PaystackOptions> = {
  options: ['secretKey', 'allowedIps', 'trustProxy'],
  create: paystack,
};
