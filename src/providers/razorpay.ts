/**
 * razorpay: NOT IMPLEMENTED YET (stub so that the provider table compiles).
 */
import { ConfigurationError } from '../errors.js';
import type { Provider, ProviderContext, ProviderDefinition, Secret } from './types.js';

/** Options of a `provider: 'razorpay'` variant. */
export interface RazorpayOptions {
  webhookSecret: Secret;
}

/** Builds the razorpay provider for one variant; validates its options. */
export function razorpay(_options: RazorpayOptions, context: ProviderContext): Provider {
  throw new ConfigurationError(
    `variants.${context.variant}.provider`,
    'the razorpay provider is not implemented yet',
    context.variant,
  );
}

/** The razorpay provider's option keys and factory. */
export const definition: ProviderDefinition<RazorpayOptions> = {
  options: ['webhookSecret'],
  create: razorpay,
};
