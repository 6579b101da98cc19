/** The `hmac` provider: any gateway that signs with an HMAC, configured with settings. */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type HmacOptions, hmac } from './verify.js';

export type { HmacOptions } from './verify.js';

/** The hmac provider's option keys and factory. */
export const definition: ProviderDefinition<HmacOptions> = {
  options: optionKeys<HmacOptions>({
    secret: true,
    header: true,
    algorithm: true,
    encoding: true,
    prefix: true,
    timestampHeader: true,
    tolerance: true,
    signedContent: true,
    idHeader: true,
    idPath: true,
    typePath: true,
    typeHeader: true,
    dataPath: true,
    url: true,
  }),
  create: hmac,
  resolvableSecret: { option: 'secret', placeholder: 'placeholder-secret' },
};
