/**
 * What a Paddle Billing event is about, and the payment it reports.
 *
 * - Object: the entity the event type names (`transaction.completed` → `transaction`,
 *   `subscription.updated` → `subscription`), id `data.id`. Version: `occurred_at`, which Paddle
 *   sends with microseconds (`2024-04-12T10:18:49.621022Z`), kept to the microsecond.
 * - Payments: `transaction.completed` succeeds (not `transaction.paid`, which comes first for the
 *   same transaction while Paddle is still processing it), `transaction.payment_failed` fails, and
 *   an approved refund adjustment (`adjustment.created` / `.updated` with action `refund`)
 *   refunds. The payment id and the reference are the transaction id (`txn_...`), which Paddle.js
 *   hands your checkout. Totals are strings in the lowest denomination: minor units already.
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
} from '../shared/facts.js';
import { minorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

function transaction(
  signal: PaymentReading['signal'],
  data: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading {
  const totals = record(record(data.details)?.totals);
  return {
    signal,
    paymentId: data.id,
    currency: data.currency_code,
    // What the customer pays: the total after credits from the balance.
    amount: (currency) => minorUnits(totals?.grand_total ?? totals?.total, currency),
    status: text(data.status) ?? '',
    customer: customerOf(data.customer_id, undefined),
    metadata: data.custom_data,
    occurredAt,
  };
}

function refund(
  data: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  if (data.action !== 'refund' || data.status !== 'approved') return undefined;
  const totals = record(data.totals);
  return {
    signal: 'payment:refunded',
    paymentId: data.transaction_id,
    currency: data.currency_code ?? totals?.currency_code,
    amount: (currency) => minorUnits(totals?.total, currency),
    status: 'approved',
    customer: customerOf(data.customer_id, undefined),
    occurredAt,
    occurrence: idOf(data.id),
  };
}

function reading(
  type: string,
  data: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  switch (type) {
    case 'transaction.completed':
      return transaction('payment:succeeded', data, occurredAt);
    case 'transaction.payment_failed':
      return transaction('payment:failed', data, occurredAt);
    case 'adjustment.created':
    case 'adjustment.updated':
      return refund(data, occurredAt);
    default:
      return undefined;
  }
}

/**
 * The facts of a stored Paddle Billing event (`{ event_id, event_type, occurred_at, data }`).
 *
 * @example
 * paddleFacts('transaction.completed', body).object?.version; // 1712917129621022
 */
export const paddleFacts = readingFacts('paddle', (type, payload): EventFacts => {
  const data = record(payload.data);
  if (data === undefined) return {};
  const version = microsFromIso(payload.occurred_at);
  const object = objectRef(type.split('.')[0], data.id, version);
  const found = reading(type, data, dateFromMicros(version));
  return eventFacts(object, found && paymentFacts(found));
});
