/**
 * What a Paystack event is about, and the payment it reports.
 *
 * - Objects: the transaction of `charge.success` (its numeric `id`), a dispute, a transfer, a
 *   refund (once it has a `refund_reference`), a subscription (`subscription_code`), an invoice
 *   (`invoice_code`), a payment request. Paystack sends no event time; only transfers carry an
 *   update time (`updated_at`), which versions them. The others have no version (never stale).
 * - Payments: `charge.success` succeeds, `refund.processed` refunds. The payment id is the
 *   transaction `reference`: unique per integration, what Paystack's verify endpoint takes, and
 *   the only identifier its refund events carry. Amounts are already in the subunit (kobo,
 *   pesewas, cents); refunds send them as a number or a numeric string.
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
import type { EventFacts, ObjectRef } from '../types.js';

/** The object type and the field holding its id, by the event's first segment. */
const OBJECTS: ReadonlyMap<string, readonly [type: string, field: string]> = new Map([
  ['charge.success', ['transaction', 'id']],
  ['charge.dispute', ['dispute', 'id']],
  ['transfer', ['transfer', 'id']],
  ['refund', ['refund', 'refund_reference']],
  ['subscription', ['subscription', 'subscription_code']],
  ['invoice', ['invoice', 'invoice_code']],
  ['paymentrequest', ['paymentrequest', 'id']],
]);

function objectOf(type: string, data: Record<string, unknown>): ObjectRef | undefined {
  const prefix = [...OBJECTS.keys()].find((key) => type === key || type.startsWith(`${key}.`));
  if (prefix === undefined) return undefined;
  const [objectType, field] = OBJECTS.get(prefix) as readonly [string, string];
  const version = objectType === 'transfer' ? microsFromIso(data.updated_at) : undefined;
  return objectRef(objectType, data[field], version);
}

function dateOf(...values: unknown[]): Date | undefined {
  return dateFromMicros(values.map(microsFromIso).find((value) => value !== undefined));
}

/** The payment an event reports, if it reports one. */
function reading(type: string, data: Record<string, unknown>): PaymentReading | undefined {
  const customer = record(data.customer);
  const amount = (currency: string) => minorUnits(data.amount, currency);
  switch (type) {
    case 'charge.success':
      return {
        signal: 'payment:succeeded',
        paymentId: data.reference,
        currency: data.currency,
        amount,
        status: text(data.status) ?? 'success',
        customer: customerOf(customer?.customer_code ?? customer?.id, customer?.email),
        metadata: data.metadata,
        occurredAt: dateOf(data.paid_at, data.paidAt, data.created_at),
      };
    case 'refund.processed':
      return {
        signal: 'payment:refunded',
        paymentId: data.transaction_reference,
        currency: data.currency,
        amount,
        status: text(data.status) ?? 'processed',
        customer: customerOf(undefined, customer?.email),
        // A processed refund has its reference; two refunds of one transaction differ in it.
        occurrence:
          idOf(data.refund_reference) ?? `${idOf(data.transaction_reference)}:${data.amount}`,
      };
    default:
      return undefined;
  }
}

/**
 * The facts of a stored Paystack event (`{ event, data }`).
 *
 * @example
 * paystackFacts('charge.success', body).payment?.facts.reference; // 'T123...'
 */
export const paystackFacts = readingFacts('paystack', (type, payload): EventFacts => {
  const data = record(payload.data);
  if (data === undefined) return {};
  const found = reading(type, data);
  return eventFacts(objectOf(type, data), found && paymentFacts(found));
});
