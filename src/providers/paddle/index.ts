/** The `paddle` provider: Paddle Billing's signed webhooks (`Paddle-Signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type PaddleOptions, paddle } from './verify.js';

export type { PaddleOptions } from './verify.js';

/** The paddle provider's option keys and factory. */
export const definition: ProviderDefinition<PaddleOptions> = {
  options: optionKeys<PaddleOptions>({ secretKey: true, tolerance: true }),
  create: paddle,
  resolvableSecret: { option: 'secretKey', placeholder: 'placeholder-secret' },
};
