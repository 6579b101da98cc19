/**
 * What Adyen signs in a standard webhook, as the official `@adyen/api-library` checks it
 * (`HmacValidator.getDataToSign` and `calculateHmac`): each `NotificationRequestItem` carries its
 * own signature in `additionalData.hmacSignature`, the base64 HMAC-SHA256, keyed by the HMAC key
 * decoded from hex, of eight fields joined by colons:
 *
 * `pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success`
 *
 * An absent field (`originalReference` of a payment) is an empty string, and `value` is the
 * amount's integer written out. The values are joined as they are: the backslash and colon
 * escaping of Adyen's key-value signing (Hosted Payment Pages) does not apply to notifications,
 * neither in the SDK nor in Adyen's webhook documentation, so a `:` in a merchant reference is
 * signed as it is.
 */
import { hmac } from '../shared/signature.js';

/** The additionalData key holding an item's signature. */
export const ADYEN_SIGNATURE_FIELD = 'hmacSignature';

/** The answer Adyen expects to every notification it delivers (else it retries). */
export const ADYEN_ACCEPTED = '[accepted]';

/** The fields of a notification item its signature covers. */
export interface AdyenSignedFields {
  pspReference?: unknown;
  originalReference?: unknown;
  merchantAccountCode?: unknown;
  merchantReference?: unknown;
  amount?: { value?: unknown; currency?: unknown } | unknown;
  eventCode?: unknown;
  success?: unknown;
}

/** A signed field as the SDK's `Array.prototype.join` writes it: absent and null are empty. */
function field(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/**
 * The text an item's signature is computed over.
 *
 * @example
 * adyenSignedData({ pspReference: '7914073381342284', merchantAccountCode: 'TestMerchant',
 *   merchantReference: 'TestPayment-1407325143704', amount: { value: 1130, currency: 'EUR' },
 *   eventCode: 'AUTHORISATION', success: 'true' });
 * // '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true'
 */
export function adyenSignedData(item: AdyenSignedFields): string {
  const amount = (item.amount ?? {}) as { value?: unknown; currency?: unknown };
  return [
    item.pspReference,
    item.originalReference,
    item.merchantAccountCode,
    item.merchantReference,
    amount.value,
    amount.currency,
    item.eventCode,
    item.success,
  ]
    .map(field)
    .join(':');
}

/**
 * The base64 HMAC-SHA256 of an item under an HMAC key given in hex (as the Customer Area shows it).
 *
 * @example
 * adyenHmac('44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056', item); // 'coqC...='
 */
export function adyenHmac(hmacKey: string, item: AdyenSignedFields): string {
  return hmac('sha256', Buffer.from(hmacKey, 'hex'), [adyenSignedData(item)], 'base64');
}
