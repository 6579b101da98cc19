/** The `square` provider: Square's signed webhooks (`x-square-hmacsha256-signature`). */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type SquareOptions, square } from './verify.js';

export type { SquareOptions } from './verify.js';

/** The square provider's option keys and factory. */
export const definition: ProviderDefinition<SquareOptions> = {
  options: optionKeys<SquareOptions>({ signatureKey: true, notificationUrl: true }),
  create: square,
  resolvableSecret: { option: 'signatureKey', placeholder: 'placeholder-secret' },
};
