/**
 * The ids koa-payments stores for Paystack events, which carry none of their own: derived from
 * the payload, the same way for a webhook and for a transaction fetched from the API.
 */
import { contentKey } from '../shared/content-key.js';

/** Where `signal.data` sits in a Paystack event: `data`. */
export const PAYSTACK_DATA_PATH = ['data'] as const;

/**
 * Events Paystack sends at most once per object (a creation or a final success), with the field
 * naming that object: for them the id is `<event>:<that field>`. Every other event can recur for
 * the same object (failures that are retried, reminders, updates, pending states) and is keyed by
 * its content instead.
 */
const ONCE_PER_OBJECT: ReadonlyMap<string, string> = new Map([
  ['charge.success', 'id'],
  ['charge.dispute.create', 'id'],
  ['charge.dispute.resolve', 'id'],
  ['transfer.success', 'id'],
  ['transfer.reversed', 'id'],
  ['refund.processed', 'refund_reference'],
  ['subscription.create', 'subscription_code'],
  ['subscription.disable', 'subscription_code'],
  ['invoice.create', 'invoice_code'],
  ['paymentrequest.success', 'id'],
]);

/** A field usable as an object key: a non-empty string or a finite number. */
function keyField(data: unknown, field: string): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const value = (data as Record<string, unknown>)[field];
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The id koa-payments stores for a Paystack event, which carries none:
 *
 * - `<event>:<object key>` for the events Paystack sends at most once per object, e.g.
 *   `charge.success:302961` (the transaction id), `refund.processed:<refund_reference>`,
 *   `subscription.create:<subscription_code>`;
 * - `<event>:sha256-<32 hex>` for every other event: a digest of the `data` object's content with
 *   its keys sorted, e.g. `refund.pending:sha256-…` or `invoice.update:sha256-…`.
 *
 * A redelivery carries the same content, so it derives the same id; two different events differ
 * in their type, their object or their content, so they never share one.
 */
export function paystackEventId(event: string, data: unknown): string {
  const field = ONCE_PER_OBJECT.get(event);
  const key = field === undefined ? undefined : keyField(data, field);
  return `${event}:${key ?? contentKey(data)}`;
}
