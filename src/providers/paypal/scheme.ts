/**
 * What PayPal signs (developer.paypal.com, "Integrate webhooks", self verification):
 * `<transmission id>|<transmission time>|<webhook id>|<CRC-32 of the raw body, unsigned decimal>`,
 * RSA-SHA256 (PKCS #1 v1.5, `paypal-auth-algo: SHA256withRSA`) with the key of the certificate at
 * `paypal-cert-url`, base64 in `paypal-transmission-sig`. The verifier and the test signer both
 * build the signed string here.
 */
import { createSign, createVerify, type KeyObject } from 'node:crypto';
import { crc32 } from './crc32.js';

/** The headers of a PayPal webhook, lower case. */
export const PAYPAL_HEADERS = {
  transmissionId: 'paypal-transmission-id',
  transmissionTime: 'paypal-transmission-time',
  transmissionSig: 'paypal-transmission-sig',
  certUrl: 'paypal-cert-url',
  authAlgo: 'paypal-auth-algo',
} as const;

/** The only `paypal-auth-algo` PayPal sends, and the one koa-payments accepts. */
export const PAYPAL_AUTH_ALGO = 'SHA256withRSA';

/** The fields of one transmission that are signed besides the body. */
export interface PayPalTransmission {
  /** `paypal-transmission-id`. */
  transmissionId: string;
  /** `paypal-transmission-time`, exactly as sent. */
  transmissionTime: string;
  /** The webhook's id (from the developer dashboard; `WEBHOOK_ID` for the simulator's mocks). */
  webhookId: string;
}

/**
 * The string PayPal signs for a transmission of `body`.
 *
 * @example
 * paypalSignedContent({ transmissionId, transmissionTime, webhookId }, rawBody);
 * // '69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|1JE4291016473214C|3405478232'
 */
export function paypalSignedContent(
  transmission: PayPalTransmission,
  body: string | Buffer,
): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return [
    transmission.transmissionId,
    transmission.transmissionTime,
    transmission.webhookId,
    String(crc32(bytes)),
  ].join('|');
}

/** The `paypal-transmission-sig` of a signed string: RSA-SHA256 with `privateKey`, base64. */
export function paypalSignature(content: string, privateKey: string | KeyObject): string {
  return createSign('sha256').update(content, 'utf8').sign(privateKey, 'base64');
}

/** Whether `signature` (base64) is the RSA-SHA256 of `content` under `publicKey`. */
export function paypalSignatureMatches(
  content: string,
  signature: Buffer,
  publicKey: KeyObject,
): boolean {
  return createVerify('sha256').update(content, 'utf8').verify(publicKey, signature);
}
