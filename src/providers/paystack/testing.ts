/** Paystack in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting } from '../../testing/types.js';
import { paystackSamples } from './samples.js';
import { PAYSTACK_SIGNATURE_HEADER, paystackSignature } from './scheme.js';

export { paystackSignature } from './scheme.js';

/** The testing kit's view of the paystack provider. Paystack signs no timestamp, sends no id. */
export const testing: ProviderTesting = {
  secretOption: 'secretKey',
  sign: ({ body, secret }) => ({ [PAYSTACK_SIGNATURE_HEADER]: paystackSignature(body, secret) }),
  samples: paystackSamples,
};
