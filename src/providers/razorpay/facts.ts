/**
 * What a Razorpay event is about, and the payment it reports.
 *
 * - Object: the entity the event is named after, from `payload.<name>.entity`: `payment` for
 *   `payment.captured`, `refund` for `refund.processed`, `dispute` for `payment.dispute.created`,
 *   `order` for `order.paid`, ...; type its `entity` field, id its `id`. Version: the event's
 *   `created_at` in microseconds (one-second resolution).
 * - Payments: `payment.captured` and `order.paid` succeed (one key: an endpoint subscribed to
 *   both signals the payment once), `payment.failed` fails, `refund.processed` refunds. The payment
 *   id is the payment's `pay_...` id; the reference is its Razorpay order (`order_...`), which your
 *   checkout created, else the payment id. Amounts are in the currency subunit already.
 */
import {
  customerOf,
  dateFromMicros,
  eventFacts,
  idOf,
  microsFromEpoch,
  objectRef,
  type PaymentReading,
  paymentFacts,
  readingFacts,
  record,
  text,
} from '../shared/facts.js';
import { minorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

/** `payload.<name>.entity`, when it is an object. */
function entity(
  payload: Record<string, unknown>,
  name: string,
): Record<string, unknown> | undefined {
  return record(record(record(payload.payload)?.[name])?.entity);
}

/** The entity an event is named after: `payment.dispute.created` → dispute, else payment. */
function subjectOf(type: string, payload: Record<string, unknown>) {
  const names = type.split('.').slice(0, -1).reverse();
  for (const name of names) {
    const found = entity(payload, name);
    if (found !== undefined) return { name, entity: found };
  }
  return undefined;
}

/** Razorpay sends `notes: []` when there are none. */
function notesOf(value: unknown): Record<string, unknown> {
  return record(value) ?? {};
}

function paymentReading(
  signal: PaymentReading['signal'],
  payment: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading {
  return {
    signal,
    paymentId: payment.id,
    reference: payment.order_id,
    currency: payment.currency,
    amount: (currency) => minorUnits(payment.amount, currency),
    status: text(payment.status) ?? '',
    customer: customerOf(payment.customer_id, payment.email),
    metadata: notesOf(payment.notes),
    occurredAt,
  };
}

function reading(
  type: string,
  payload: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const payment = entity(payload, 'payment');
  switch (type) {
    case 'payment.captured':
    case 'order.paid':
      return payment && paymentReading('payment:succeeded', payment, occurredAt);
    case 'payment.failed':
      return payment && paymentReading('payment:failed', payment, occurredAt);
    case 'refund.processed': {
      const refund = entity(payload, 'refund');
      if (refund === undefined) return undefined;
      return {
        signal: 'payment:refunded',
        paymentId: refund.payment_id,
        reference: payment?.order_id,
        currency: refund.currency,
        amount: (currency) => minorUnits(refund.amount, currency),
        status: text(refund.status) ?? '',
        customer: payment && customerOf(payment.customer_id, payment.email),
        metadata: notesOf(refund.notes),
        occurredAt,
        occurrence: idOf(refund.id),
      };
    }
    default:
      return undefined;
  }
}

/**
 * The facts of a stored Razorpay event (`{ entity: 'event', event, payload, created_at }`).
 *
 * @example
 * razorpayFacts('payment.captured', body).payment?.facts.paymentId; // 'pay_...'
 */
export const razorpayFacts = readingFacts('razorpay', (type, payload): EventFacts => {
  const version = microsFromEpoch(payload.created_at, 'seconds');
  const subject = subjectOf(type, payload);
  const object =
    subject && objectRef(text(subject.entity.entity) ?? subject.name, subject.entity.id, version);
  const found = reading(type, payload, dateFromMicros(version));
  return eventFacts(object, found && paymentFacts(found));
});
