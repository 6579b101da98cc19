import { stripeSignatureHeader } from './stripe.js';
import type { SignerInput } from './types.js';

/**
 * Headers Payvost sends with `body`: `payvost-signature: t=<unix>,v1=<hex>`, the Stripe scheme
 * (see docs/providers/payvost.md for why this is an assumption).
 */
export function sign({ body, secret, timestamp }: SignerInput): Record<string, string> {
  return { 'payvost-signature': stripeSignatureHeader(body, secret, timestamp) };
}
