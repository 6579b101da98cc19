/**
 * Mollie's two webhook forms. Classic webhooks (a payment's `webhookUrl`) post the form
 * `id=tr_…` and carry no signature: the payment is fetched from the API. Next-gen webhooks (the
 * Webhooks API and the dashboard's Developers → Webhooks) post a JSON event signed in
 * `X-Mollie-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the webhook's signing secret.
 * Verifier (./verify.ts) and signer (./testing.ts) both build on this file.
 */
import { hmac } from '../shared/signature.js';

/** The header of a next-gen webhook's signature (lower case, as Node gives headers). */
export const MOLLIE_SIGNATURE_HEADER = 'x-mollie-signature';

/** The form field of a classic webhook. */
export const MOLLIE_ID_FIELD = 'id';

/** The content type of a classic webhook. */
export const MOLLIE_FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * A Mollie payment id: `tr_` and letters and digits (`tr_5B8cwPMGnU6qLbRvo7qEZo`). Checked before
 * any API call, so that a forged body costs nothing beyond its parse.
 */
export const MOLLIE_PAYMENT_ID = /^tr_[A-Za-z0-9]{1,64}$/;

/**
 * The `X-Mollie-Signature` value of `body` under `secret`: `sha256=` and the hex HMAC-SHA256.
 *
 * @example
 * mollieSignature('{"resource":"event"}', 'whsec_…'); // 'sha256=5f1c…'
 */
export function mollieSignature(body: string | Buffer, secret: string): string {
  return `sha256=${hmac('sha256', secret, [body], 'hex')}`;
}

/** The classic webhook's body for a payment id: `id=tr_…`. */
export function mollieClassicBody(paymentId: string): string {
  return new URLSearchParams({ [MOLLIE_ID_FIELD]: paymentId }).toString();
}
