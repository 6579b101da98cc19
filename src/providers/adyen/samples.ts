/**
 * Adyen samples: notification items (`NotificationRequestItem`) as Adyen's standard webhooks carry
 * them and as koa-payments stores them, shaped after Adyen's webhook reference and the official
 * `@adyen/api-library` models. The signer wraps them in the notification Adyen posts
 * (`{ live, notificationItems }`) and signs each. Amounts are in minor units; `success` is a
 * string, as Adyen sends it.
 */
import { upperId } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { ADYEN_DATA_PATH } from './verify.js';

const MERCHANT_ACCOUNT = 'AcmeWidgetsECOM';

/** Now, as Adyen writes event dates: to the second, with the offset (UTC here). */
function eventDate(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** A pspReference: 16 upper-case letters and digits. */
function pspReference(): string {
  return upperId('', 16);
}

/** An item; an override of `undefined` removes the field. */
function item(eventCode: string, overrides: SamplePayload = {}): SamplePayload {
  const sample: SamplePayload = {
    additionalData: {
      authCode: '058705',
      cardSummary: '1111',
      expiryDate: '03/2030',
      shopperReference: `shopper-${upperId('', 8).toLowerCase()}`,
    },
    amount: { currency: 'EUR', value: 1000 },
    eventCode,
    eventDate: eventDate(),
    merchantAccountCode: MERCHANT_ACCOUNT,
    merchantReference: `order-${upperId('', 10).toLowerCase()}`,
    operations: ['CANCEL', 'CAPTURE', 'REFUND'],
    paymentMethod: 'visa',
    pspReference: pspReference(),
    reason: '058705:1111:03/2030',
    success: 'true',
    ...overrides,
  };
  for (const key of Object.keys(sample)) if (sample[key] === undefined) delete sample[key];
  return sample;
}

/** A modification of an earlier payment: its own pspReference, the payment's as originalReference. */
function modification(eventCode: string, overrides: SamplePayload = {}): SamplePayload {
  return item(eventCode, {
    additionalData: {},
    originalReference: pspReference(),
    operations: undefined,
    reason: '',
    ...overrides,
  });
}

/** Adyen's samples. `signal.data` is the notification item itself. */
export const adyenSamples: SampleCatalogue = {
  dataPath: ADYEN_DATA_PATH,
  events: {
    AUTHORISATION: () => item('AUTHORISATION'),
    CAPTURE: () => modification('CAPTURE'),
    CAPTURE_FAILED: () => modification('CAPTURE_FAILED', { success: 'false' }),
    CANCELLATION: () => modification('CANCELLATION'),
    REFUND: () => modification('REFUND'),
    REFUND_FAILED: () => modification('REFUND_FAILED'),
    CHARGEBACK: () =>
      modification('CHARGEBACK', {
        additionalData: { chargebackReasonCode: '10.4', modificationMerchantReference: '' },
      }),
    OFFER_CLOSED: () => item('OFFER_CLOSED', { operations: undefined, reason: '' }),
  },
};
