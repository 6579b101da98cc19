import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/**
 * The `Stripe-Signature` header for a body, as Stripe sends it (and as stripe-node's
 * `webhooks.generateTestHeaderString` builds it).
 *
 * @example
 * const header = stripeSignatureHeader(body, 'whsec_test', Math.floor(Date.now() / 1000));
 */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac('sha256', secret, [`${timestamp}.${body}`], 'hex')}`;
}

/** Headers Stripe sends with `body`. */
export function sign({ body, secret, timestamp }: SignerInput): Record<string, string> {
  return { 'stripe-signature': stripeSignatureHeader(body, secret, timestamp) };
}
