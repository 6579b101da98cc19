export { type SignedWebhook, type SignOptions, signWebhook } from './sign.js';
export { stripeSignatureHeader } from './signers/stripe.js';
export type { SignerInput } from './signers/types.js';
export { standardSignatureHeader } from './signers/standard.js';
