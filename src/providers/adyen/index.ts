/** The `adyen` provider: Adyen's standard webhooks, a batch of HMAC-signed notification items. */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type AdyenOptions, adyen } from './verify.js';

export type { AdyenOptions } from './verify.js';
export { adyenEventId } from './verify.js';

/** The adyen provider's option keys and factory. */
export const definition: ProviderDefinition<AdyenOptions> = {
  options: optionKeys<AdyenOptions>({ hmacKey: true, username: true, password: true }),
  create: adyen,
};
