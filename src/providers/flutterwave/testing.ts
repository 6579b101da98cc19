/** Flutterwave in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting, SignerInput } from '../../testing/types.js';
import { flutterwaveSamples } from './samples.js';
import {
  FLUTTERWAVE_SIGNATURE_HEADER,
  FLUTTERWAVE_V3_HEADER,
  flutterwaveSignature,
} from './scheme.js';

export { flutterwaveSignature } from './scheme.js';

/**
 * Headers Flutterwave sends with `body`: `flutterwave-signature` by default, or, with
 * `options: { form: 'v3' }`, the v3 `verif-hash` header, which carries the secret hash itself.
 */
function sign({ body, secret, options }: SignerInput): Record<string, string> {
  const form = options?.form ?? 'signature';
  if (form === 'v3') return { [FLUTTERWAVE_V3_HEADER]: secret };
  if (form === 'signature') {
    return { [FLUTTERWAVE_SIGNATURE_HEADER]: flutterwaveSignature(body, secret) };
  }
  throw new TypeError(
    `koa-payments/testing: the flutterwave signer's options.form is 'signature' (default) or 'v3'`,
  );
}

/** The testing kit's view of the flutterwave provider. */
export const testing: ProviderTesting = {
  secretOption: 'secretHash',
  sign,
  samples: flutterwaveSamples,
};
