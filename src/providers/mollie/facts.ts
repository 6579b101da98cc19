/**
 * What a Mollie event is about, and the payment it reports. The stored payload is the Mollie
 * object itself (a payment; a refund or a chargeback from a next-gen webhook), so its `resource`
 * says what it is.
 *
 * - Object: `payment` (`tr_…`), `refund` (`re_…`), `chargeback` (`chb_…`), by `resource` and
 *   `id`. A payment's version is when it reached its status (`paidAt`, `canceledAt`, ...,
 *   `createdAt` for `open` and `pending`); a refund or chargeback seen through the payment has no
 *   time of its own, so no version (never stale).
 * - Payments: `payment.paid` succeeds; `payment.failed`, `payment.expired` and
 *   `payment.canceled` fail (the facts' `status` says which); `payment.refunded` (a classic
 *   webhook of a paid payment with `amountRefunded`) is refunded for the refunded total so far,
 *   once per total; a next-gen `refund.refunded` is refunded for that refund's amount, once per
 *   refund. `open`, `pending`, `authorized` and chargebacks report nothing. Amounts are Mollie's
 *   decimal strings (`'10.00'`), converted exactly to minor units. The payment id is the
 *   reference: Mollie has no reference field of yours (put it in `metadata`).
 */
import {
  customerOf,
  dateFromMicros,
  eventFacts,
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
import { mollieChangeTime } from './events.js';

const FAILED = new Set(['payment.failed', 'payment.expired', 'payment.canceled']);

/** An amount `{ value, currency }` as minor units of `currency` (the checked code). */
function minor(amount: Record<string, unknown> | undefined) {
  return (currency: string) => toMinorUnits(amount?.value as string, currency);
}

function signalOf(type: string): PaymentReading['signal'] | undefined {
  if (type === 'payment.paid') return 'payment:succeeded';
  if (FAILED.has(type)) return 'payment:failed';
  if (type === 'payment.refunded') return 'payment:refunded';
  return undefined;
}

function paymentEventFacts(type: string, payment: Record<string, unknown>): EventFacts {
  const micros = microsFromIso(mollieChangeTime(payment, type));
  const object = objectRef('payment', payment.id, micros);
  const signal = signalOf(type);
  if (signal === undefined) return eventFacts(object);
  const refunded = signal === 'payment:refunded' ? record(payment.amountRefunded) : undefined;
  const amount = refunded ?? record(payment.amount);
  return eventFacts(
    object,
    paymentFacts({
      signal,
      paymentId: payment.id,
      currency: amount?.currency,
      amount: minor(amount),
      status: signal === 'payment:refunded' ? 'refunded' : String(payment.status),
      customer: customerOf(payment.customerId, undefined),
      metadata: payment.metadata,
      occurredAt: dateFromMicros(micros),
      occurrence:
        refunded === undefined ? undefined : `${String(payment.id)}:${String(refunded.value)}`,
    }),
  );
}

function refundFacts(type: string, refund: Record<string, unknown>): EventFacts {
  const micros = microsFromIso(refund.createdAt);
  const object = objectRef('refund', refund.id, micros);
  if (type !== 'refund.refunded') return eventFacts(object);
  const amount = record(refund.amount);
  return eventFacts(
    object,
    paymentFacts({
      signal: 'payment:refunded',
      paymentId: refund.paymentId,
      currency: amount?.currency,
      amount: minor(amount),
      status: String(refund.status),
      metadata: refund.metadata,
      occurrence: text(refund.id),
    }),
  );
}

/**
 * The facts of a stored Mollie event.
 *
 * @example
 * mollieFacts('payment.paid', payment).payment?.facts.amount; // 1000 for { value: '10.00', currency: 'EUR' }
 */
export const mollieFacts = readingFacts('mollie', (type, payload): EventFacts => {
  switch (payload.resource) {
    case 'payment':
      return paymentEventFacts(type, payload);
    case 'refund':
      return refundFacts(type, payload);
    case 'chargeback':
      return eventFacts(objectRef('chargeback', payload.id, microsFromIso(payload.createdAt)));
    default:
      return {};
  }
});
