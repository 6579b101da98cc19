/**
 * Helpers for each provider's `facts.ts`: reading a stored payload defensively (it is whatever
 * the provider sent), turning times into versions, and building a payment report that either
 * holds exact facts or says why there are none. Nothing here throws on a payload.
 */
import type { PaymentSignalName } from '../../objects/types.js';
import type { EventFacts, ObjectRef, PaymentReport, Provider } from '../types.js';
import { currencyCode, MoneyError } from './money.js';

/** A JSON object (not an array), or undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An id: a non-empty string, or a finite number written as a string (Paystack's `302961`). */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

/** The event type without its last segment: `transaction.payment_failed` → `transaction`. */
export function typePrefix(type: string): string | undefined {
  const dot = type.lastIndexOf('.');
  return dot > 0 ? type.slice(0, dot) : undefined;
}

/**
 * An object reference, when there is an id; a version only when it is a safe integer; `path`
 * where `signal.data` sits in the payload, for a provider whose data is a plain subtree of it
 * (see {@link ObjectRef.path}).
 */
export function objectRef(
  type: string | undefined,
  id: unknown,
  version?: number,
  path?: readonly string[],
): ObjectRef | undefined {
  const objectId = idOf(id);
  if (type === undefined || objectId === undefined) return undefined;
  const ref: ObjectRef = { type, id: objectId };
  if (version !== undefined && Number.isSafeInteger(version)) ref.version = version;
  if (path !== undefined) ref.path = path;
  return ref;
}

/** Unix seconds (or milliseconds) as integer microseconds; undefined unless a positive number. */
export function microsFromEpoch(
  value: unknown,
  unit: 'seconds' | 'milliseconds',
): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  return Math.round(value * (unit === 'seconds' ? 1e6 : 1e3));
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * An RFC 3339 time as integer microseconds since the epoch, keeping the digits a `Date` drops
 * (Paddle's `2024-04-12T10:18:49.621022Z` is 1712917129621022); digits past the microsecond are
 * cut. Undefined when absent or not a valid time.
 */
export function microsFromIso(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const [, date, time, fraction = '', zone = ''] = match;
  const offset = /^[Zz]$/.test(zone) ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const milliseconds = Date.parse(`${date}T${time}${offset}`);
  if (Number.isNaN(milliseconds)) return undefined;
  return milliseconds * 1000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}

/** Microseconds since the epoch as a Date (millisecond precision). */
export function dateFromMicros(micros: number | undefined): Date | undefined {
  return micros === undefined ? undefined : new Date(Math.floor(micros / 1000));
}

/** Metadata as an object; `{}` for anything else (Paystack sends `0` or `""` when there is none). */
export function metadataOf(value: unknown): Record<string, unknown> {
  return record(value) ?? {};
}

/** The customer from an id and an e-mail address, when either is known. */
export function customerOf(
  id: unknown,
  email: unknown,
): { id?: string; email?: string } | undefined {
  const customer: { id?: string; email?: string } = {};
  const customerId = idOf(id);
  const address = text(email);
  if (customerId !== undefined) customer.id = customerId;
  if (address !== undefined) customer.email = address;
  return customerId === undefined && address === undefined ? undefined : customer;
}

/** What a provider's facts function reads from an event that reports a payment. */
export interface PaymentReading {
  signal: PaymentSignalName;
  /** The provider's payment id; the report is refused without one. */
  paymentId: unknown;
  /** Your reference, when the provider carries one; else the payment id is used. */
  reference?: unknown;
  /** The currency as sent (`usd`, `NGN`). */
  currency: unknown;
  /** The amount in ISO minor units, given the checked upper-case currency code. */
  amount: (currency: string) => number;
  status: string;
  customer?: { id?: string; email?: string } | undefined;
  metadata?: unknown;
  /** When it happened; absent when the payload says nothing (the pipeline then uses the event's). */
  occurredAt?: Date | undefined;
  /** What tells this occurrence apart (see {@link PaymentReport.key}); default: the payment id. */
  occurrence?: string | undefined;
}

/**
 * A payment report, or the reason there is none. Exact or nothing: an unknown currency or an
 * amount that is not a whole number of minor units gives a `problem`, never a guess.
 */
export function paymentFacts(reading: PaymentReading): Pick<EventFacts, 'payment' | 'problem'> {
  const paymentId = idOf(reading.paymentId);
  if (paymentId === undefined) {
    return { problem: `${reading.signal} not reported: the event carries no payment id` };
  }
  let currency: string;
  let amount: number;
  try {
    currency = currencyCode(reading.currency);
    amount = reading.amount(currency);
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    return { problem: `${reading.signal} not reported for ${paymentId}: ${error.message}` };
  }
  const facts: PaymentReport['facts'] = {
    reference: idOf(reading.reference) ?? paymentId,
    paymentId,
    amount,
    currency,
    status: reading.status,
    metadata: metadataOf(reading.metadata),
  };
  if (reading.customer !== undefined) facts.customer = reading.customer;
  if (reading.occurredAt !== undefined) facts.occurredAt = reading.occurredAt;
  const key = `${reading.signal}:${reading.occurrence ?? paymentId}`;
  return { payment: { signal: reading.signal, facts, key } };
}

/** The facts of an event: its object, and its payment report or problem. */
export function eventFacts(
  object: ObjectRef | undefined,
  payment?: Pick<EventFacts, 'payment' | 'problem'>,
): EventFacts {
  return { ...(object === undefined ? {} : { object }), ...payment };
}

/**
 * A provider's facts function made total: a payload shaped in a way the reader did not expect
 * gives a `problem` instead of a throw, so that reading facts never stops an event being stored.
 */
export function readingFacts(
  provider: string,
  read: (type: string, payload: Record<string, unknown>) => EventFacts,
): NonNullable<Provider['facts']> {
  return function facts(type, payload) {
    const body = record(payload);
    if (body === undefined) return {};
    try {
      return read(type, body);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { problem: `${provider} facts of ${type} could not be read: ${message}` };
    }
  };
}
