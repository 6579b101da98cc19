/**
 * What a PayPal event is about, and the payment it reports.
 *
 * - Object: the event's `resource_type` (`capture`, `refund`, `checkout-order`, `subscription`,
 *   ...), id `resource.id`. Version: the resource's `update_time` (else its `create_time`, else
 *   the event's), in microseconds.
 * - Payments (Orders v2 captures): `PAYMENT.CAPTURE.COMPLETED` succeeds, `PAYMENT.CAPTURE.DENIED`
 *   fails, `PAYMENT.CAPTURE.REFUNDED` refunds (its resource is the refund; the capture is the
 *   refund's `up` link). PayPal sends amounts as decimal strings in major units
 *   (`{ currency_code: 'USD', value: '10.99' }`), converted exactly to minor units. The payment
 *   id is the capture id; the reference is yours: `custom_id`, else `invoice_id`, else the
 *   capture id. The order id, when PayPal names it, is in `metadata.order_id`.
 */
import {
  dateFromMicros,
  eventFacts,
  idOf,
  microsFromIso,
  objectRef,
  type PaymentReading,
  paymentFacts,
  readingFacts,
  record,
  text,
} from '../shared/facts.js';
import { toMinorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

const SIGNALS: Readonly<Record<string, PaymentReading['signal']>> = {
  'PAYMENT.CAPTURE.COMPLETED': 'payment:succeeded',
  'PAYMENT.CAPTURE.DENIED': 'payment:failed',
  'PAYMENT.CAPTURE.REFUNDED': 'payment:refunded',
};

/** The capture id a refund points `up` to (`.../v2/payments/captures/<id>`). */
function capturedBy(resource: Record<string, unknown>): string | undefined {
  const links = Array.isArray(resource.links) ? resource.links : [];
  for (const link of links) {
    const entry = record(link);
    const href = text(entry?.href);
    if (entry?.rel !== 'up' || href === undefined) continue;
    const match = /\/captures\/([^/?#]+)$/.exec(href);
    if (match !== null) return decodeURIComponent(match[1] as string);
  }
  return undefined;
}

/**
 * The facts of a stored PayPal event (`{ id, event_type, resource_type, create_time, resource }`).
 *
 * @example
 * paypalFacts('PAYMENT.CAPTURE.COMPLETED', body).payment?.facts.amount; // 1099 for '10.99' USD
 */
export const paypalFacts = readingFacts('paypal', (type, payload): EventFacts => {
  const resource = record(payload.resource);
  if (resource === undefined) return {};
  const micros =
    microsFromIso(resource.update_time) ??
    microsFromIso(resource.create_time) ??
    microsFromIso(payload.create_time);
  // Disputes are named by dispute_id.
  const object = objectRef(text(payload.resource_type), resource.id ?? resource.dispute_id, micros);
  const signal = SIGNALS[type];
  if (signal === undefined) return eventFacts(object);
  const amount = record(resource.amount);
  const related = record(record(resource.supplementary_data)?.related_ids);
  const refund = signal === 'payment:refunded';
  const orderId = idOf(related?.order_id);
  return eventFacts(
    object,
    paymentFacts({
      signal,
      paymentId: refund ? capturedBy(resource) : resource.id,
      reference: resource.custom_id ?? resource.invoice_id,
      currency: amount?.currency_code,
      amount: (currency) => toMinorUnits(amount?.value as string, currency),
      status: text(resource.status) ?? '',
      metadata: orderId === undefined ? {} : { order_id: orderId },
      occurredAt: dateFromMicros(micros),
      occurrence: refund ? idOf(resource.id) : undefined,
    }),
  );
});
