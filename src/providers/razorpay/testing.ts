/** Razorpay in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import { createHash } from 'node:crypto';
import type { ProviderTesting, SignerInput } from '../../testing/types.js';
import { razorpaySamples } from './samples.js';
import { RAZORPAY_SIGNATURE_HEADER, razorpaySignature } from './scheme.js';
import { RAZORPAY_EVENT_ID_HEADER } from './verify.js';

export { razorpaySignature } from './scheme.js';

/**
 * Headers Razorpay sends with `body`. Without `input.id`, the event id is derived from the body,
 * so signing the same body twice is a redelivery of the same event (as Razorpay retries are).
 */
function sign({ body, secret, id }: SignerInput): Record<string, string> {
  const eventId = id ?? `evt_test_${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
  return {
    [RAZORPAY_SIGNATURE_HEADER]: razorpaySignature(body, secret),
    [RAZORPAY_EVENT_ID_HEADER]: eventId,
  };
}

/** The testing kit's view of the razorpay provider. */
export const testing: ProviderTesting = {
  secretOption: 'webhookSecret',
  sign,
  samples: razorpaySamples,
};
