/** Stripe in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting } from '../../testing/types.js';
import { stripeSamples } from './samples.js';
import { STRIPE_SIGNATURE_HEADER, stripeSignatureHeader } from './scheme.js';

export { stripeSignatureHeader } from './scheme.js';

/** The testing kit's view of the stripe provider. */
export const testing: ProviderTesting = {
  secretOption: 'endpointSecret',
  sign: ({ body, secret, timestamp }) => ({
    [STRIPE_SIGNATURE_HEADER]: stripeSignatureHeader(body, secret, timestamp),
  }),
  samples: stripeSamples,
};
