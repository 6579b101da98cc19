export {
  adyenHmac,
  adyenSignedData,
  signedItem as adyenSignedItem,
} from '../providers/adyen/testing.js';
export { braintreeSignature, notificationXml } from '../providers/braintree/testing.js';
export { flutterwaveSignature } from '../providers/flutterwave/testing.js';
export {
  mollieClassicBody,
  mollieEvent,
  mollieSignature,
} from '../providers/mollie/testing.js';
export { paddleSignatureHeader } from '../providers/paddle/testing.js';
export {
  type PayPalTestCertificate,
  paypalTestCertificate,
} from '../providers/paypal/testing.js';
export { paystackSignature } from '../providers/paystack/testing.js';
export { razorpaySignature } from '../providers/razorpay/testing.js';
export { squareSignature } from '../providers/square/testing.js';
export { standardSignatureHeader } from '../providers/standard/testing.js';
export { stripeSignatureHeader } from '../providers/stripe/testing.js';
export { mergeDeep } from './paths.js';
export { samplePayload, sampleTypes, UnknownSampleTypeError } from './samples.js';
export {
  type SendWebhookOptions,
  type SentWebhook,
  sendWebhook,
  type WebhookTarget,
} from './send.js';
export { type SignedWebhook, type SignOptions, signWebhook } from './sign.js';
export type { SamplePayload, SignerInput } from './types.js';
