/**
 * What a Stripe event is about, and the payment it reports.
 *
 * - Object: `data.object.object` / `data.object.id`, version the event's `created` in
 *   microseconds (one-second resolution: ties between events of one second are common).
 * - Payments are reported by three families of events, because a Stripe endpoint receives only
 *   the types it is subscribed to and integrations subscribe to different ones: PaymentIntent
 *   events (Elements, the API), Checkout Session events (Checkout) and Charge events (older
 *   integrations). Every event of one payment carries the same `paymentId`, the PaymentIntent's
 *   id (the charge's id for a charge made without one), and the same report key, so that a
 *   payment is signalled once however many of its events arrive.
 * - Amounts are Stripe's smallest unit, which is the ISO 4217 minor unit except for ISK (Stripe
 *   counts hundredths) and MGA (Stripe counts whole ariary); those two are rescaled.
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
import { minorUnits, rescaleMinorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';
import { STRIPE_DATA_PATH } from './events.js';

/** Currencies whose Stripe unit is not the ISO 4217 minor unit: Stripe's exponent for each. */
const STRIPE_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['ISK', 2], // Stripe keeps ISK two-decimal for backwards compatibility; ISO has no minor unit
  ['MGA', 0], // zero-decimal at Stripe; ISO gives the ariary two decimals
]);

/** A Stripe amount as ISO minor units of `currency` (already checked and upper case). */
function stripeAmount(amount: unknown): (currency: string) => number {
  return (currency) => {
    const exponent = STRIPE_EXPONENTS.get(currency);
    return exponent === undefined
      ? minorUnits(amount, currency)
      : rescaleMinorUnits(amount, exponent, currency);
  };
}

/** `value` when it is a positive number (an amount received or captured), else `otherwise`. */
function positive(value: unknown, otherwise: unknown): unknown {
  return typeof value === 'number' && value > 0 ? value : otherwise;
}

/** An expandable field: the id string, or the expanded object's id. */
function idOrExpanded(value: unknown): string | undefined {
  return text(value) ?? idOf(record(value)?.id);
}

function paymentIntent(
  signal: PaymentReading['signal'],
  intent: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading {
  const details = record(intent.payment_details);
  return {
    occurredAt,
    signal,
    paymentId: intent.id,
    reference: details?.order_reference,
    currency: intent.currency,
    amount: stripeAmount(
      signal === 'payment:succeeded'
        ? positive(intent.amount_received, intent.amount)
        : intent.amount,
    ),
    status: text(intent.status) ?? '',
    customer: customerOf(idOrExpanded(intent.customer), intent.receipt_email),
    metadata: intent.metadata,
  };
}

/**
 * A Checkout Session reports its payment only with a PaymentIntent (mode `payment`): in mode
 * `subscription` the first invoice's PaymentIntent reports it, with that PaymentIntent's id.
 */
function checkoutSession(
  signal: PaymentReading['signal'],
  session: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const paymentId = idOrExpanded(session.payment_intent);
  if (paymentId === undefined) return undefined;
  const details = record(session.customer_details);
  return {
    occurredAt,
    signal,
    paymentId,
    reference: session.client_reference_id,
    currency: session.currency,
    amount: stripeAmount(session.amount_total),
    status: text(session.payment_status) ?? '',
    customer: customerOf(idOrExpanded(session.customer), details?.email ?? session.customer_email),
    metadata: session.metadata,
  };
}

function charge(
  signal: PaymentReading['signal'],
  object: Record<string, unknown>,
  occurredAt: Date | undefined,
  amount: unknown,
): PaymentReading {
  const billing = record(object.billing_details);
  return {
    occurredAt,
    signal,
    paymentId: idOrExpanded(object.payment_intent) ?? object.id,
    currency: object.currency,
    amount: stripeAmount(amount),
    status: text(object.status) ?? '',
    customer: customerOf(idOrExpanded(object.customer), billing?.email ?? object.receipt_email),
    metadata: object.metadata,
  };
}

/**
 * `charge.refunded` fires for each refund, full or partial, with the charge's running total in
 * `amount_refunded`: this refund is the increase over `previous_attributes.amount_refunded` when
 * the event carries it, else (first refund, or an event without it) the running total.
 */
function chargeRefund(
  object: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  occurredAt: Date | undefined,
): PaymentReading {
  const total = object.amount_refunded;
  const before = previous?.amount_refunded;
  const refunded =
    typeof total === 'number' && typeof before === 'number' && before < total
      ? total - before
      : total;
  return {
    ...charge('payment:refunded', object, occurredAt, refunded),
    status: object.refunded === true ? 'refunded' : 'partially_refunded',
    occurrence: `${idOf(object.id)}:${String(total)}`,
  };
}

/** The payment an event reports, if it reports one. */
function reading(
  type: string,
  object: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  switch (type) {
    case 'payment_intent.succeeded':
      return paymentIntent('payment:succeeded', object, occurredAt);
    case 'payment_intent.payment_failed':
      return paymentIntent('payment:failed', object, occurredAt);
    case 'checkout.session.completed':
      // Paid at once (cards); an asynchronous method reports through async_payment_succeeded.
      return object.payment_status === 'paid'
        ? checkoutSession('payment:succeeded', object, occurredAt)
        : undefined;
    case 'checkout.session.async_payment_succeeded':
      return checkoutSession('payment:succeeded', object, occurredAt);
    case 'checkout.session.async_payment_failed':
      return checkoutSession('payment:failed', object, occurredAt);
    case 'charge.succeeded':
    case 'charge.captured':
      // An authorisation alone (capture_method manual) is not a payment yet.
      return object.captured === true
        ? charge(
            'payment:succeeded',
            object,
            occurredAt,
            positive(object.amount_captured, object.amount),
          )
        : undefined;
    case 'charge.failed':
      return charge('payment:failed', object, occurredAt, object.amount);
    case 'charge.refunded':
      return chargeRefund(object, previous, occurredAt);
    default:
      return undefined;
  }
}

/**
 * The facts of a stored Stripe event: the object in `data.object` and, for the PaymentIntent,
 * Checkout Session and Charge events of a payment, its normalized signal.
 *
 * @example
 * stripeFacts('payment_intent.succeeded', event).payment?.facts.paymentId; // 'pi_...'
 */
export const stripeFacts = readingFacts('stripe', (type, payload): EventFacts => {
  const data = record(payload.data);
  const object = record(data?.object);
  if (object === undefined) return {};
  const version = microsFromEpoch(payload.created, 'seconds');
  // A snapshot event's data is `data.object` as received: the mirror can refer to it.
  const ref = objectRef(text(object.object), object.id, version, STRIPE_DATA_PATH);
  const occurredAt = dateFromMicros(version);
  const found = reading(type, object, record(data?.previous_attributes), occurredAt);
  return eventFacts(ref, found && paymentFacts(found));
});
