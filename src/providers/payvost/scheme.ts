/**
 * What Payvost signs: the Stripe scheme under `payvost-signature` (see docs/providers/payvost.md
 * for why this is an assumption).
 */
import { stripeSchemeHeader } from '../shared/stripe-scheme.js';

/** The header Payvost signs webhooks in. */
export const PAYVOST_SIGNATURE_HEADER = 'payvost-signature';

/** The `payvost-signature` value for a body: `t=<unix>,v1=<hex>`. */
export function payvostSignatureHeader(body: string, secret: string, timestamp: number): string {
  return stripeSchemeHeader(body, secret, timestamp);
}
