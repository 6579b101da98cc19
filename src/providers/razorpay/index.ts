/** The `razorpay` provider: Razorpay's signed webhooks (`X-Razorpay-Signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type RazorpayOptions, razorpay } from './verify.js';

export type { RazorpayOptions } from './verify.js';

/** The razorpay provider's option keys and factory. */
export const definition: ProviderDefinition<RazorpayOptions> = {
  options: optionKeys<RazorpayOptions>({ webhookSecret: true }),
  create: razorpay,
  resolvableSecret: { option: 'webhookSecret', placeholder: 'placeholder-secret' },
};
