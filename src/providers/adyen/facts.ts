/**
 * What an Adyen notification item is about, and the payment it reports.
 *
 * - Object: the payment, `{ type: 'payment', id }`, its pspReference: the item's own for an
 *   AUTHORISATION, its `originalReference` for a modification (CAPTURE, REFUND, CANCELLATION,
 *   ...). Version: the item's `eventDate`, to the second.
 * - Payments: AUTHORISATION with `success: "true"` succeeds and with `"false"` fails (the payment
 *   id is its pspReference); REFUND with `"true"` refunds the payment in `originalReference`
 *   (the occurrence is the refund's own pspReference). AUTHORISATION, not CAPTURE, is the
 *   success signal: with automatic capture (Adyen's default) an authorised payment is captured
 *   without a further decision, and CAPTURE notifications are only sent for separate (manual or
 *   delayed) capture, if at all. With separate capture, listen to `CAPTURE` itself.
 * - Amounts: `amount.value` is in minor units as Adyen counts them, which differ from ISO 4217
 *   for four currencies (CLP and ISK with two decimals, CVE and IDR with none); they are rescaled
 *   to ISO minor units, and refused when that would need rounding.
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
import { currencyExponent, rescaleMinorUnits } from '../shared/money.js';
import type { EventFacts } from '../types.js';

/**
 * Adyen's minor-unit exponents where they differ from ISO 4217 (its "Currency codes" page: CLP,
 * CVE, IDR, ISK).
 */
const ADYEN_EXPONENTS: Readonly<Record<string, number>> = { CLP: 2, CVE: 0, IDR: 0, ISK: 2 };

/**
 * An Adyen `amount.value` of `currency` (upper case, checked) in ISO 4217 minor units.
 *
 * @example
 * adyenMinorUnits(150000, 'ISK'); // 1500: Adyen counts ISK in hundredths, ISO in whole krónur
 */
export function adyenMinorUnits(value: unknown, currency: string): number {
  const exponent = ADYEN_EXPONENTS[currency] ?? (currencyExponent(currency) as number);
  return rescaleMinorUnits(value, exponent, currency);
}

function reading(
  type: string,
  item: Record<string, unknown>,
  occurredAt: Date | undefined,
): PaymentReading | undefined {
  const success = item.success === 'true';
  const amount = record(item.amount);
  const additional = record(item.additionalData) ?? {};
  const base = {
    reference: item.merchantReference,
    currency: amount?.currency,
    amount: (currency: string) => adyenMinorUnits(amount?.value, currency),
    customer: customerOf(additional.shopperReference, additional.shopperEmail),
    metadata: metadataOf(additional),
    occurredAt,
  };
  if (type === 'AUTHORISATION') {
    return {
      ...base,
      signal: success ? 'payment:succeeded' : 'payment:failed',
      paymentId: item.pspReference,
      status: success ? 'authorised' : (text(item.reason) ?? 'refused'),
    };
  }
  if (type === 'REFUND' && success) {
    return {
      ...base,
      signal: 'payment:refunded',
      paymentId: item.originalReference,
      occurrence: idOf(item.pspReference),
      status: 'refunded',
    };
  }
  return undefined;
}

/** The `metadata.*` entries of additionalData (your checkout metadata), without the prefix. */
function metadataOf(additional: Record<string, unknown>): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(additional)) {
    if (key.startsWith('metadata.') && key.length > 9) metadata[key.slice(9)] = value;
  }
  return metadata;
}

/**
 * The facts of a stored Adyen notification item.
 *
 * @example
 * adyenFacts('AUTHORISATION', item).payment?.signal; // 'payment:succeeded' when success is "true"
 */
export const adyenFacts = readingFacts('adyen', (type, item): EventFacts => {
  const version = microsFromIso(item.eventDate);
  const paymentId = text(item.originalReference) ?? item.pspReference;
  const object = objectRef('payment', paymentId, version);
  const found = reading(type, item, dateFromMicros(version));
  return eventFacts(object, found && paymentFacts(found));
});
