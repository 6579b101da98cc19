export {
  mergeDeep,
  type SamplePayload,
  samplePayload,
  sampleTypes,
  UnknownSampleTypeError,
} from './samples/index.js';
export {
  type SendWebhookOptions,
  type SentWebhook,
  sendWebhook,
  type WebhookTarget,
} from './send.js';
export { type SignedWebhook, type SignOptions, signWebhook } from './sign.js';
export { flutterwaveSignature } from './signers/flutterwave.js';
export { paddleSignatureHeader } from './signers/paddle.js';
export { paystackSignature } from './signers/paystack.js';
export { razorpaySignature } from './signers/razorpay.js';
export { squareSignature } from './signers/square.js';
export { standardSignatureHeader } from './signers/standard.js';
export { stripeSignatureHeader } from './signers/stripe.js';
export type { SignerInput } from './signers/types.js';
