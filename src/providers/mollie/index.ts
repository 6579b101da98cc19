/**
 * The `mollie` provider: Mollie's classic webhooks (`id=tr_…`, verified by fetching the payment)
 * and its signed next-gen webhooks (`X-Mollie-Signature`).
 */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type MollieOptions, mollie } from './verify.js';

export { MOLLIE_CLASSIC_BODY_LIMIT, type MollieOptions } from './verify.js';

/** The mollie provider's option keys and factory. */
export const definition: ProviderDefinition<MollieOptions> = {
  options: optionKeys<MollieOptions>({
    apiKey: true,
    apiBase: true,
    validation: true,
    signingSecret: true,
  }),
  create: mollie,
  resolvableSecret: { option: 'signingSecret', placeholder: 'placeholder-secret' },
};
