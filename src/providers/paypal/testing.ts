/**
 * PayPal in the testing kit: signs with the verifier's scheme and a test key; samples in
 * ./samples.ts, test certificates in ./test-certificate.ts.
 *
 * The "secret" a PayPal test webhook is signed with is the variant's `webhookId` (it is part of
 * the signed string); the key is `signOptions.privateKey`, whose certificate the app must be able
 * to download from `signOptions.certUrl`, on the variant's `apiBase`.
 */
import { KeyObject, randomUUID } from 'node:crypto';
import type { ProviderTesting, SignerInput, VariantOptions } from '../../testing/types.js';
import { paypalSamples } from './samples.js';
import {
  PAYPAL_AUTH_ALGO,
  PAYPAL_HEADERS,
  paypalSignature,
  paypalSignedContent,
} from './scheme.js';

export { type PayPalTestCertificate, paypalTestCertificate } from './test-certificate.js';

/** Where the kit puts the test certificate under a variant's `apiBase`. */
export const PAYPAL_TEST_CERT_PATH = '/v1/notifications/certs/CERT-koa-payments-test';

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: the paypal signer ${message}`);
}

/**
 * The five headers PayPal sends with `body`: `secret` is the webhook id, `timestamp` the
 * transmission time, `id` the transmission id (default: a new UUID); `options.privateKey` (PEM
 * or KeyObject) signs, `options.certUrl` names its certificate.
 */
function sign({ body, secret, timestamp, id, options }: SignerInput): Record<string, string> {
  const privateKey = options?.privateKey;
  const certUrl = options?.certUrl;
  if (typeof privateKey !== 'string' && !(privateKey instanceof KeyObject)) {
    throw fail(
      'needs options.privateKey: the PEM key of a certificate the app can download ' +
        '(see paypalTestCertificate() and docs/providers/paypal.md)',
    );
  }
  if (typeof certUrl !== 'string' || certUrl === '') {
    throw fail(
      "needs options.certUrl, the certificate's URL on the variant's apiBase " +
        `(e.g. <apiBase>${PAYPAL_TEST_CERT_PATH})`,
    );
  }
  const transmissionId = id ?? randomUUID();
  // PayPal sends whole seconds: 2016-02-18T20:01:35Z.
  const transmissionTime = new Date(timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const content = paypalSignedContent(
    { transmissionId, transmissionTime, webhookId: secret },
    body,
  );
  return {
    [PAYPAL_HEADERS.transmissionId]: transmissionId,
    [PAYPAL_HEADERS.transmissionTime]: transmissionTime,
    [PAYPAL_HEADERS.transmissionSig]: paypalSignature(content, privateKey),
    [PAYPAL_HEADERS.certUrl]: certUrl,
    [PAYPAL_HEADERS.authAlgo]: PAYPAL_AUTH_ALGO,
  };
}

/** The certificate URL under the variant's `apiBase`, when it sets one. */
function signOptionsOf(settings: VariantOptions): Record<string, unknown> {
  const { apiBase } = settings;
  if (typeof apiBase !== 'string' || apiBase === '') return {};
  return { certUrl: `${apiBase.replace(/\/+$/, '')}${PAYPAL_TEST_CERT_PATH}` };
}

/** The testing kit's view of the paypal provider. */
export const testing: ProviderTesting = {
  secretOption: 'webhookId',
  sign,
  samples: paypalSamples,
  signOptionsOf,
};
