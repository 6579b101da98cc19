/**
 * What a Payvost event is about, and the payment it reports. Payvost publishes no object schema
 * (docs/providers/payvost.md): this follows the two payload shapes its guides show, and is an
 * assumption in the same way.
 *
 * - Object: in the Stripe-style envelope, `data.object` (type its `object` field, else the event
 *   type's first segment; id its `id`); in the flat shape, `data` itself. Version: the event's
 *   `created` (Unix seconds, or milliseconds from 10^11) or `createdAt` (ISO), in microseconds.
 * - Payments: `payment.succeeded`, `payment.failed` and `payment.refunded`. The envelope's amounts
 *   are integers in the smallest unit (its guide: `5000` for 50.00 USD, as Stripe); the flat
 *   shape's are decimal strings in major units (its guide: `"99.99"` USD), converted exactly.
 *   `payment.refunded` reports `amount_refunded`, the total refunded so far.
 */
import {
  customerOf,
  dateFromMicros,
  eventFacts,
  idOf,
  microsFromEpoch,
  microsFromIso,
  objectRef,
  type PaymentReading,
  paymentFacts,
  readingFacts,
  record,
  text,
} from '../shared/facts.js';
import { minorUnits, toMinorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

const SIGNALS: Readonly<Record<string, PaymentReading['signal']>> = {
  'payment.succeeded': 'payment:succeeded',
  'payment.failed': 'payment:failed',
  'payment.refunded': 'payment:refunded',
};

/** `created` in seconds (or milliseconds, as one Payvost example sends), else `createdAt`. */
function versionOf(payload: Record<string, unknown>): number | undefined {
  const { created } = payload;
  if (typeof created === 'number') {
    return microsFromEpoch(created, created >= 1e11 ? 'milliseconds' : 'seconds');
  }
  return microsFromIso(payload.createdAt);
}

/**
 * The facts of a stored Payvost event (`{ id, type, created, data: { object } }`, or flat).
 *
 * @example
 * payvostFacts('payment.succeeded', body).payment?.facts.amount; // 5000 for 50.00 USD
 */
export const payvostFacts = readingFacts('payvost', (type, payload): EventFacts => {
  const data = record(payload.data);
  const enveloped = record(data?.object);
  const object = enveloped ?? data;
  if (object === undefined) return {};
  const version = versionOf(payload);
  const ref = objectRef(text(object.object) ?? type.split('.')[0], object.id, version);
  const signal = SIGNALS[type];
  if (signal === undefined) return eventFacts(ref);
  const refunded = signal === 'payment:refunded';
  const amount = refunded ? (object.amount_refunded ?? object.amount) : object.amount;
  const customer = record(object.customer);
  return eventFacts(
    ref,
    paymentFacts({
      signal,
      paymentId: object.id,
      reference: object.reference,
      currency: object.currency,
      amount: (currency) =>
        enveloped === undefined
          ? toMinorUnits(amount as number | string, currency)
          : minorUnits(amount, currency),
      status: text(object.status) ?? '',
      customer: customerOf(
        customer === undefined ? object.customer : customer.id,
        customer?.email ?? object.email,
      ),
      metadata: object.metadata,
      occurredAt: dateFromMicros(version),
      occurrence: refunded ? `${idOf(object.id)}:${String(amount)}` : undefined,
    }),
  );
});
