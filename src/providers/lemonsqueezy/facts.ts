/**
 * What a Lemon Squeezy event is about, and the payment it reports.
 *
 * - Object: the JSON:API resource in `data` (`orders`, `subscriptions`, `subscription-invoices`,
 *   `license-keys`, ...), id `data.id`. Lemon Squeezy sends no event time; the version is the
 *   resource's `attributes.updated_at`, which carries microseconds
 *   (`2024-05-01T10:00:00.123456Z`). Without it, no version.
 * - Payments: `order_created` with status `paid` succeeds, with `failed` fails; `order_refunded`
 *   refunds. Renewals are subscription invoices: `subscription_payment_success`,
 *   `subscription_payment_failed` and `subscription_payment_refunded` report them, except the
 *   `initial` invoice, which is the order's payment and reported by the order's events. The
 *   payment id and reference are the resource id; your checkout's `custom_data` (in `meta`) is the
 *   metadata. Amounts are integers in cents (minor units). A refund reports `refunded_amount`, the
 *   total refunded so far: Lemon Squeezy gives no amount per refund.
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

const ORDER_EVENTS = new Set(['order_created', 'order_refunded']);
const INVOICE_EVENTS = new Set([
  'subscription_payment_success',
  'subscription_payment_failed',
  'subscription_payment_refunded',
]);

/** The signal of a resource's event: from its status, or the refund event itself. */
function signalOf(type: string, status: string | undefined): PaymentReading['signal'] | undefined {
  if (type.endsWith('_refunded')) return 'payment:refunded';
  if (type === 'subscription_payment_failed') return 'payment:failed';
  if (type === 'subscription_payment_success') return 'payment:succeeded';
  if (status === 'paid') return 'payment:succeeded';
  return status === 'failed' ? 'payment:failed' : undefined;
}

function reading(
  type: string,
  data: Record<string, unknown>,
  meta: Record<string, unknown> | undefined,
): PaymentReading | undefined {
  const isOrder = ORDER_EVENTS.has(type);
  if (!isOrder && !INVOICE_EVENTS.has(type)) return undefined;
  const attributes = record(data.attributes) ?? {};
  if (!isOrder && attributes.billing_reason === 'initial') return undefined;
  const status = text(attributes.status);
  const signal = signalOf(type, status);
  if (signal === undefined) return undefined;
  const refunded = signal === 'payment:refunded';
  const amount = refunded ? (attributes.refunded_amount ?? attributes.total) : attributes.total;
  const when = refunded ? attributes.refunded_at : attributes.created_at;
  return {
    signal,
    paymentId: data.id,
    currency: attributes.currency,
    amount: (currency) => minorUnits(amount, currency),
    status: status ?? '',
    customer: customerOf(attributes.customer_id, attributes.user_email),
    metadata: meta?.custom_data,
    occurredAt: dateFromMicros(microsFromIso(when) ?? microsFromIso(attributes.updated_at)),
    // Each partial refund raises the total refunded.
    occurrence: refunded ? `${idOf(data.id)}:${String(amount)}` : undefined,
  };
}

/**
 * The facts of a stored Lemon Squeezy event (`{ meta: { event_name, custom_data }, data }`).
 *
 * @example
 * lemonSqueezyFacts('order_created', body).payment?.facts.paymentId; // the order id
 */
export const lemonSqueezyFacts = readingFacts('lemonsqueezy', (type, payload): EventFacts => {
  const data = record(payload.data);
  if (data === undefined) return {};
  const attributes = record(data.attributes);
  const object = objectRef(text(data.type), data.id, microsFromIso(attributes?.updated_at));
  const found = reading(type, data, record(payload.meta));
  return eventFacts(object, found && paymentFacts(found));
});
