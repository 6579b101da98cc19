/** Payvost in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting } from '../../testing/types.js';
import { payvostSamples } from './samples.js';
import { PAYVOST_SIGNATURE_HEADER, payvostSignatureHeader } from './scheme.js';

/** The testing kit's view of the payvost provider. */
export const testing: ProviderTesting = {
  secretOption: 'endpointSecret',
  sign: ({ body, secret, timestamp }) => ({
    [PAYVOST_SIGNATURE_HEADER]: payvostSignatureHeader(body, secret, timestamp),
  }),
  samples: payvostSamples,
};
