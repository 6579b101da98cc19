/** Square in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting, SignerInput } from '../../testing/types.js';
import { squareSamples } from './samples.js';
import { SQUARE_SIGNATURE_HEADER, squareSignature } from './scheme.js';

export { squareSignature } from './scheme.js';

/** Headers Square sends with `body`; `input.url` is the notification URL Square signs. */
function sign({ body, secret, url }: SignerInput): Record<string, string> {
  if (typeof url !== 'string' || url === '') {
    throw new TypeError(
      "koa-payments/testing: signing for 'square' needs `url`, the notification URL Square signs " +
        "(use pay.webhookUrl('<variant>'), or the variant's notificationUrl)",
    );
  }
  return { [SQUARE_SIGNATURE_HEADER]: squareSignature(url, body, secret) };
}

/** The testing kit's view of the square provider. */
export const testing: ProviderTesting = {
  secretOption: 'signatureKey',
  signedUrlOption: 'notificationUrl',
  sign,
  samples: squareSamples,
};
