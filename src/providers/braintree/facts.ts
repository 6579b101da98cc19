/**
 * What a Braintree notification is about, and the payment it reports.
 *
 * - Object: the one element under `<subject>` (`transaction`, `dispute`, `subscription`, ...),
 *   id its `id`. Version: the notification's `timestamp` (when the webhook was triggered, to the
 *   second), which Braintree tells you to order notifications by. Subjects without an id
 *   (`check`, `account_updater_daily_report`, a `transaction_reviewed` review) name no object.
 * - Payments: Braintree sends transaction webhooks for ACH and SEPA Direct Debit only.
 *   `transaction_settled` of a sale succeeds, of a credit (a refund) refunds the transaction in
 *   `refundedTransactionId`; `transaction_settlement_declined` of a sale fails (it may come after
 *   `transaction_settled`, when the bank returns the payment). `subscription_charged_successfully`
 *   and `subscription_charged_unsuccessfully` report the newest transaction of the subscription.
 *   The payment id is the transaction id; the reference is its `orderId`, else the payment id.
 *   Amounts are decimal strings in major units (`'10.00'`), turned into minor units exactly.
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
import { toMinorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

/** The one element under a notification's `<subject>`: its (camelCase) name and value. */
export function subjectOf(
  notification: Record<string, unknown>,
): { name: string; value: unknown } | undefined {
  const subject = record(notification.subject);
  const [name] = Object.keys(subject ?? {});
  return subject === undefined || name === undefined ? undefined : { name, value: subject[name] };
}

function transactionReading(
  signal: PaymentReading['signal'],
  transaction: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading {
  const customer = record(transaction.customer);
  const reading: PaymentReading = {
    signal,
    paymentId: transaction.id,
    reference: transaction.orderId,
    currency: transaction.currencyIsoCode,
    amount: (currency) => toMinorUnits(transaction.amount as string, currency),
    status: text(transaction.status) ?? '',
    customer: customerOf(customer?.id, customer?.email),
    metadata: transaction.customFields,
    occurredAt,
  };
  if (signal === 'payment:refunded') {
    // A refund is a credit transaction of its own, pointing at the sale it refunds.
    reading.paymentId = transaction.refundedTransactionId;
    reading.occurrence = idOf(transaction.id);
  }
  return reading;
}

/** A settled or declined transaction: a sale or a credit (refund). */
function settlement(
  type: string,
  transaction: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const credit = transaction.type === 'credit';
  if (type === 'transaction_settled') {
    return transactionReading(
      credit ? 'payment:refunded' : 'payment:succeeded',
      transaction,
      occurredAt,
    );
  }
  // A declined refund is no payment event.
  return credit ? undefined : transactionReading('payment:failed', transaction, occurredAt);
}

function reading(
  type: string,
  subject: { name: string; value: unknown } | undefined,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const value = record(subject?.value);
  if (value === undefined) return undefined;
  switch (type) {
    case 'transaction_settled':
    case 'transaction_settlement_declined':
      return subject?.name === 'transaction' ? settlement(type, value, occurredAt) : undefined;
    case 'subscription_charged_successfully':
    case 'subscription_charged_unsuccessfully': {
      // Braintree lists a subscription's transactions newest first.
      const transactions = Array.isArray(value.transactions) ? value.transactions : [];
      const newest = record(transactions[0]);
      if (newest === undefined) return undefined;
      const signal =
        type === 'subscription_charged_successfully' ? 'payment:succeeded' : 'payment:failed';
      return transactionReading(signal, newest, occurredAt);
    }
    default:
      return undefined;
  }
}

/**
 * The facts of a stored Braintree notification (`{ timestamp, kind, subject }`, as parsed from
 * its XML).
 *
 * @example
 * braintreeFacts('transaction_settled', notification).payment?.facts.amount; // 1000 for '10.00'
 */
export const braintreeFacts = readingFacts('braintree', (type, payload): EventFacts => {
  const version = microsFromIso(payload.timestamp);
  const subject = subjectOf(payload);
  const object = subject && objectRef(subject.name, record(subject.value)?.id, version);
  const found = reading(type, subject, dateFromMicros(version));
  return eventFacts(object, found && paymentFacts(found));
});
