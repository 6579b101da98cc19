/** Paddle in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting } from '../../testing/types.js';
import { paddleSamples } from './samples.js';
import { PADDLE_SIGNATURE_HEADER, paddleSignatureHeader } from './scheme.js';

export { paddleSignatureHeader } from './scheme.js';

/** The testing kit's view of the paddle provider. */
export const testing: ProviderTesting = {
  secretOption: 'secretKey',
  sign: ({ body, secret, timestamp }) => ({
    [PADDLE_SIGNATURE_HEADER]: paddleSignatureHeader(body, secret, timestamp),
  }),
  samples: paddleSamples,
};
