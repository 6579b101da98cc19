/**
 * What a Square event is about, and the payment it reports.
 *
 * - Object: the event type without its last segment (`payment.updated` → `payment`,
 *   `order.fulfillment.updated` → `order.fulfillment`), id `data.id`. Version: the event's
 *   `created_at` in microseconds.
 * - Payments: `payment.created` / `payment.updated` with status `COMPLETED` succeed, with `FAILED`
 *   fail; `refund.created` / `refund.updated` with status `COMPLETED` refund. Square sends
 *   `payment.updated` again while a payment stays COMPLETED (a refund, a fee): each reports the
 *   same key, so the payment is signalled once. The payment id is the payment's id (a refund's
 *   `payment_id`); the reference is the payment's `reference_id` when you set one. Money is
 *   `{ amount, currency }` in the smallest unit; a payment's amount is `total_money` (with tip).
 */
import {
  customerOf,
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
  typePrefix,
} from '../shared/facts.js';
import { minorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

/** `{ amount, currency }` as a reading's amount and currency. */
function money(value: unknown): Pick<PaymentReading, 'amount' | 'currency'> {
  const found = record(value);
  return {
    currency: found?.currency,
    amount: (currency) => minorUnits(found?.amount, currency),
  };
}

function reading(
  type: string,
  data: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const object = record(data.object);
  if (type === 'payment.created' || type === 'payment.updated') {
    const payment = record(object?.payment);
    const status = text(payment?.status);
    if (payment === undefined || (status !== 'COMPLETED' && status !== 'FAILED')) return undefined;
    return {
      signal: status === 'COMPLETED' ? 'payment:succeeded' : 'payment:failed',
      paymentId: payment.id,
      reference: payment.reference_id,
      ...money(payment.total_money ?? payment.amount_money),
      status,
      customer: customerOf(payment.customer_id, payment.buyer_email_address),
      occurredAt,
    };
  }
  if (type === 'refund.created' || type === 'refund.updated') {
    const refund = record(object?.refund);
    if (refund === undefined || refund.status !== 'COMPLETED') return undefined;
    return {
      signal: 'payment:refunded',
      paymentId: refund.payment_id,
      ...money(refund.amount_money),
      status: 'COMPLETED',
      occurredAt,
      occurrence: idOf(refund.id),
    };
  }
  return undefined;
}

/**
 * The facts of a stored Square event (`{ type, event_id, created_at, data: { type, id, object } }`).
 *
 * @example
 * squareFacts('payment.updated', body).payment?.signal; // 'payment:succeeded' when COMPLETED
 */
export const squareFacts = readingFacts('square', (type, payload): EventFacts => {
  const data = record(payload.data);
  if (data === undefined) return {};
  const version = microsFromIso(payload.created_at);
  const object = objectRef(typePrefix(type), data.id, version);
  const found = reading(type, data, dateFromMicros(version));
  return eventFacts(object, found && paymentFacts(found));
});
