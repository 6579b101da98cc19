/** What Stripe signs: `${t}.${rawBody}` (the Stripe scheme, in ../shared/stripe-scheme.ts). */
import { stripeSchemeHeader } from '../shared/stripe-scheme.js';

/** The header Stripe signs webhooks in. */
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

/**
 * The `Stripe-Signature` header for a body, as Stripe sends it (and as stripe-node's
 * `webhooks.generateTestHeaderString` builds it).
 *
 * @example
 * const header = stripeSignatureHeader(body, 'whsec_test', Math.floor(Date.now() / 1000));
 */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  return stripeSchemeHeader(body, secret, timestamp);
}
