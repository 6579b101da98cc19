export { type SignedWebhook, type SignOptions, signWebhook, stripeSignatureHeader } from './sign.js';
