/** The `dummy` provider: development only, no signature. */
import { optionKeys } from '../shared/options.js';
import type { ProviderDefinition } from '../types.js';
import { type DummyOptions, dummy } from './verify.js';

export type { DummyOptions } from './verify.js';

/** The dummy provider's option keys and factory. */
export const definition: ProviderDefinition<DummyOptions> = {
  options: optionKeys<DummyOptions>({ allowInProduction: true }),
  create: dummy,
};
