/**
 * Hand-written data types of Adyen's standard webhooks, as koa-payments stores them: `signal.data`
 * is one `NotificationRequestItem`. The fields follow Adyen's Notification API and the
 * `NotificationRequestItem` model of the official `@adyen/api-library` (a type test keeps them
 * assignable to it); additionalData carries many more optional keys than listed.
 */

/**
 * An amount: `value` in minor units as Adyen counts them, `currency` an ISO 4217 code. Payment
 * items carry both; the SDK's model marks them optional, and so does this type.
 */
export interface AdyenAmount {
  value?: number;
  currency?: string;
}

/** One notification item (`NotificationRequestItem`): the data of each Adyen event. */
export interface AdyenNotificationItem {
  /** Adyen's 16-character reference of the payment, or of the modification (refund, capture). */
  pspReference: string;
  /** For a modification: the pspReference of the payment it modifies; absent otherwise. */
  originalReference?: string;
  /** The event, e.g. `AUTHORISATION`, `CAPTURE`, `REFUND`, `CANCELLATION`, `CHARGEBACK`. */
  eventCode: string;
  /** When the event happened, e.g. `2025-01-01T01:00:00+01:00`. */
  eventDate: string;
  /** `"true"` when the event succeeded (an authorised payment), `"false"` otherwise. */
  success: 'true' | 'false';
  merchantAccountCode: string;
  /** Your reference of the payment, as sent when it was created. */
  merchantReference: string;
  amount: AdyenAmount;
  paymentMethod?: string;
  /** Why it failed (`success: "false"`), or the authorisation code and card summary. */
  reason?: string;
  /** What can still be done with the payment. */
  operations?: ('CANCEL' | 'CAPTURE' | 'REFUND')[];
  /** `hmacSignature`, and what the webhook's additional settings add (`shopperReference`, ...). */
  additionalData?: { hmacSignature?: string; [key: string]: string | undefined };
}

/**
 * The Adyen event codes most shops receive, each with its item as `signal.data`. Type your
 * receivers with it:
 *
 * @example
 * import { createRegistry, type AdyenSignals } from 'koa-payments';
 * const registry = createRegistry<AdyenSignals>();
 * registry.receiver('AUTHORISATION', async function markPaid({ data }) {
 *   if (data.success === 'true') await orders.markPaid(data.merchantReference);
 * });
 */
export interface AdyenSignals {
  AUTHORISATION: AdyenNotificationItem;
  AUTHORISATION_ADJUSTMENT: AdyenNotificationItem;
  CANCELLATION: AdyenNotificationItem;
  CANCEL_OR_REFUND: AdyenNotificationItem;
  CAPTURE: AdyenNotificationItem;
  CAPTURE_FAILED: AdyenNotificationItem;
  CHARGEBACK: AdyenNotificationItem;
  CHARGEBACK_REVERSED: AdyenNotificationItem;
  EXPIRE: AdyenNotificationItem;
  NOTIFICATION_OF_CHARGEBACK: AdyenNotificationItem;
  NOTIFICATION_OF_FRAUD: AdyenNotificationItem;
  OFFER_CLOSED: AdyenNotificationItem;
  ORDER_CLOSED: AdyenNotificationItem;
  ORDER_OPENED: AdyenNotificationItem;
  PENDING: AdyenNotificationItem;
  RECURRING_CONTRACT: AdyenNotificationItem;
  REFUND: AdyenNotificationItem;
  REFUND_FAILED: AdyenNotificationItem;
  REFUNDED_REVERSED: AdyenNotificationItem;
  REPORT_AVAILABLE: AdyenNotificationItem;
  REQUEST_FOR_INFORMATION: AdyenNotificationItem;
  SECOND_CHARGEBACK: AdyenNotificationItem;
  TECHNICAL_CANCEL: AdyenNotificationItem;
}
