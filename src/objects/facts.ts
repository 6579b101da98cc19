/**
 * Reading a stored event's facts through its provider (`Provider.facts`), for the pipeline and
 * the dispatcher. The built-in providers' facts are total; a custom provider's may throw or
 * return something malformed: it is then logged and the event reports nothing (no mirror entry,
 * no payment signal), never failing the webhook.
 */
import type { EventFacts, ObjectRef, PaymentReport, Provider } from '../providers/types.js';
import type { Logger } from '../types.js';
import { isPaymentSignal } from './patterns.js';
import type { PaymentFacts, PaymentSignalName } from './types.js';

/** A normalized payment signal an event reports: its name and data. */
export interface PaymentSignal {
  signal: PaymentSignalName;
  data: PaymentFacts;
}

/** Longest object type, object id and report key the tables hold. */
const MAX_LENGTH = 255;

/** Most steps an object's path (`ObjectRef.path`) may have. */
const MAX_PATH = 16;

/** What {@link factsOf} found: the facts it can use, and why it dropped the rest. */
export interface FactsReading {
  facts: EventFacts;
  /** What was wrong with the provider's answer (a throw, a malformed field). */
  errors: { message: string; err?: unknown }[];
}

function shortText(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_LENGTH;
}

function validObject(value: unknown): value is ObjectRef {
  const ref = value as ObjectRef | null;
  return (
    typeof ref === 'object' &&
    ref !== null &&
    shortText(ref.type) &&
    shortText(ref.id) &&
    (ref.version === undefined || (Number.isSafeInteger(ref.version) && ref.version >= 0)) &&
    (ref.path === undefined ||
      (Array.isArray(ref.path) &&
        ref.path.length <= MAX_PATH &&
        // Array.from: a hole is undefined, where every() would skip it.
        Array.from(ref.path).every((key) => typeof key === 'string' && key.length <= MAX_LENGTH)))
  );
}

function validPayment(value: unknown): value is PaymentReport {
  const report = value as PaymentReport | null;
  if (typeof report !== 'object' || report === null) return false;
  const facts = report.facts as PaymentReport['facts'] | undefined;
  return (
    isPaymentSignal(report.signal) &&
    shortText(report.key) &&
    typeof facts === 'object' &&
    facts !== null &&
    typeof facts.reference === 'string' &&
    typeof facts.paymentId === 'string' &&
    Number.isSafeInteger(facts.amount) &&
    typeof facts.currency === 'string' &&
    /^[A-Z]{3}$/.test(facts.currency) &&
    typeof facts.status === 'string' &&
    typeof facts.metadata === 'object' &&
    facts.metadata !== null &&
    (facts.occurredAt === undefined || facts.occurredAt instanceof Date)
  );
}

/**
 * The facts of an event, without logging: what the provider reports that is well-formed, and
 * what was wrong with the rest. A provider without `facts()` reports nothing.
 */
export function factsOf(provider: Provider, type: string, payload: unknown): FactsReading {
  const errors: FactsReading['errors'] = [];
  if (typeof provider.facts !== 'function') return { facts: {}, errors };
  let raw: EventFacts;
  try {
    raw = provider.facts(type, payload);
  } catch (err) {
    return {
      facts: {},
      errors: [{ message: `the ${provider.name} provider's facts() threw`, err }],
    };
  }
  if (typeof raw !== 'object' || raw === null) {
    return {
      facts: {},
      errors: [{ message: `the ${provider.name} provider's facts() returned no object` }],
    };
  }
  const facts: EventFacts = {};
  if (raw.object !== undefined) {
    if (validObject(raw.object)) facts.object = raw.object;
    else
      errors.push({ message: `the ${provider.name} provider's facts() named a malformed object` });
  }
  if (raw.payment !== undefined) {
    if (validPayment(raw.payment)) facts.payment = raw.payment;
    else
      errors.push({
        message: `the ${provider.name} provider's facts() reported a malformed payment`,
      });
  }
  if (typeof raw.problem === 'string') facts.problem = raw.problem;
  return { facts, errors };
}

/** Where a stored or incoming event is, for log lines. */
export interface FactsContext {
  variant: string;
  eventId: string;
  type: string;
}

/**
 * The facts of an incoming event, as {@link factsOf} reads them, logging what the provider got
 * wrong (error) and why an event that looks like a payment reports none (its `problem`, warn).
 */
export function readFacts(
  provider: Provider,
  payload: unknown,
  context: FactsContext,
  logger: Logger,
): EventFacts {
  const { facts, errors } = factsOf(provider, context.type, payload);
  for (const { message, err } of errors) {
    logger.error(
      { ...context, ...(err === undefined ? {} : { err }) },
      `koa-payments: ${message}; the event is stored without facts (no objects entry, no payment signal)`,
    );
  }
  if (facts.problem !== undefined) {
    logger.warn(
      { ...context, problem: facts.problem },
      'koa-payments: the event reports no payment signal',
    );
  }
  return facts;
}

/**
 * The data of a normalized payment signal: the report's facts with the provider and variant, and
 * `occurredAt` from the payload, else the event's `createdAt`, else its receipt.
 */
export function paymentFactsOf(
  report: PaymentReport,
  event: { provider: string; variant: string; createdAt?: Date | null; receivedAt: Date },
): PaymentFacts {
  const { occurredAt, customer, ...rest } = report.facts;
  return {
    provider: event.provider,
    variant: event.variant,
    reference: rest.reference,
    paymentId: rest.paymentId,
    amount: rest.amount,
    currency: rest.currency,
    status: rest.status,
    ...(customer === undefined ? {} : { customer }),
    metadata: rest.metadata,
    occurredAt: occurredAt ?? event.createdAt ?? event.receivedAt,
  };
}

/**
 * The normalized payment signal a stored event reports, read again from its type and payload
 * (for a retry or a replay, which run from the database); undefined when it reports none.
 */
export function storedPaymentSignal(
  provider: Provider,
  event: {
    provider: string;
    variant: string;
    type: string;
    payload: unknown;
    createdAt: Date | null;
    receivedAt: Date;
  },
): PaymentSignal | undefined {
  const report = factsOf(provider, event.type, event.payload).facts.payment;
  return report === undefined
    ? undefined
    : { signal: report.signal, data: paymentFactsOf(report, event) };
}
