/**
 * What a Flutterwave event is about, and the payment it reports.
 *
 * - Object: named by the event's first segment (`charge`, `transfer`, `subscription`, ...), id
 *   `data.id`. Version: the v4 body's `timestamp` (milliseconds; seconds accepted, as the verifier
 *   reads it). v3 bodies carry no event time and no update time: no version, never stale.
 * - Payments: `charge.completed` with status `successful` (v3) or `succeeded` (v4) succeeds, with
 *   `failed` fails; `pending` reports nothing. Flutterwave sends amounts in major units (5000 NGN
 *   is 5000 naira), converted exactly to minor units. The payment id is `data.id` (the id the
 *   verify endpoint takes); the reference is yours, `tx_ref` (v3) or `reference` (v4).
 */
import {
  customerOf,
  dateFromMicros,
  eventFacts,
  microsFromEpoch,
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
  successful: 'payment:succeeded',
  succeeded: 'payment:succeeded',
  failed: 'payment:failed',
};

/** The v4 `timestamp` as microseconds: milliseconds, or seconds below 10^11. */
function versionOf(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'number') return undefined;
  return microsFromEpoch(timestamp, timestamp < 1e11 ? 'seconds' : 'milliseconds');
}

/**
 * The facts of a stored Flutterwave event (v3 `{ event, data }` or v4 `{ type, data, timestamp }`).
 *
 * @example
 * flutterwaveFacts('charge.completed', body).payment?.facts.reference; // your tx_ref
 */
export const flutterwaveFacts = readingFacts('flutterwave', (type, payload): EventFacts => {
  const data = record(payload.data);
  if (data === undefined) return {};
  const version = versionOf(payload.timestamp);
  const object = objectRef(type.split('.')[0], data.id, version);
  const status = text(data.status);
  const signal = status === undefined ? undefined : SIGNALS[status.toLowerCase()];
  if (type !== 'charge.completed' || signal === undefined) return eventFacts(object);
  const customer = record(data.customer);
  const v3 = 'tx_ref' in data;
  const micros = version ?? microsFromIso(data.created_at) ?? microsFromIso(data.created_datetime);
  return eventFacts(
    object,
    paymentFacts({
      signal,
      paymentId: data.id,
      reference: v3 ? data.tx_ref : data.reference,
      currency: data.currency,
      amount: (currency) => toMinorUnits(data.amount as number | string, currency),
      status: status as string,
      customer: customerOf(customer?.id, customer?.email),
      // v3 puts the meta given at checkout in the body's meta_data; v4 in data.meta.
      metadata: record(payload.meta_data) ?? data.meta,
      occurredAt: dateFromMicros(micros),
    }),
  );
});
