/** Type-level tests: a provider's option list cannot drift from its options type. */
import type { StripeOptions } from '../../src/index.js';
import { optionKeys } from '../../src/providers/shared/options.js';

const all = { apiKey: true, apiBase: true, validation: true } as const;

optionKeys<StripeOptions>({ endpointSecret: true, tolerance: true, ...all });

// @ts-expect-error a missing key (tolerance) is refused
optionKeys<StripeOptions>({ endpointSecret: true, ...all });

// @ts-expect-error an unknown key is refused
optionKeys<StripeOptions>({ endpointSecret: true, tolerance: true, ...all, secretKey: true });
