/**
 * The event a Mollie payment's state makes. Mollie's classic webhook says only "payment tr_… has
 * changed"; koa-payments fetches the payment and names the change after what it finds:
 *
 * - `payment.<status>` (`open`, `pending`, `authorized`, `paid`, `canceled`, `expired`, `failed`),
 *   id `<payment id>:<status>`: each status a payment reaches is one event, however often Mollie
 *   calls.
 * - A paid payment that has since been refunded or charged back keeps the status `paid`; Mollie
 *   calls the same webhook. Then the type is `payment.refunded` (id
 *   `<payment id>:paid:refunded:<amountRefunded>`) or `payment.charged_back` (id `…:charged_back:
 *   <amountChargedBack>`, and `:refunded:<amount>` too when both): each new refunded or charged
 *   back total is one event. When both are present the type is `payment.charged_back`.
 */
import { isRecord } from '../shared/data-path.js';
import { fetchedEvent } from '../shared/retrieve.js';
import type { VerifiedEvent } from '../types.js';

/** The payment statuses Mollie documents. */
export const MOLLIE_PAYMENT_STATUSES = [
  'open',
  'pending',
  'authorized',
  'paid',
  'canceled',
  'expired',
  'failed',
] as const;

/** Where `signal.data` sits in a stored Mollie payload: it is the object itself. */
export const MOLLIE_DATA_PATH = [] as const;

/** `{ value: '10.00', currency: 'EUR' }`, as Mollie writes amounts. */
export interface MollieAmount {
  value: string;
  currency: string;
}

/** A payment as the API returns it; the fields koa-payments reads are typed. */
export interface MolliePaymentObject {
  resource: 'payment';
  id: string;
  mode: 'live' | 'test';
  status: string;
  amount: MollieAmount;
  createdAt: string;
  amountRefunded?: MollieAmount;
  amountChargedBack?: MollieAmount;
  [field: string]: unknown;
}

/** Whether an amount is present and not zero (`'0.00'` is what Mollie sends before a refund). */
export function nonZero(amount: unknown): amount is MollieAmount {
  return isRecord(amount) && typeof amount.value === 'string' && /[1-9]/.test(amount.value);
}

/** Whether a value has the fields of a payment koa-payments relies on. */
export function isMolliePayment(value: unknown): value is MolliePaymentObject {
  return (
    isRecord(value) &&
    value.resource === 'payment' &&
    typeof value.id === 'string' &&
    typeof value.status === 'string' &&
    /^[a-z_]{1,32}$/.test(value.status)
  );
}

/** The type and id of the event a payment's current state makes (see the module comment). */
export function molliePaymentChange(payment: MolliePaymentObject): { type: string; id: string } {
  const parts = [payment.id, payment.status];
  let type = `payment.${payment.status}`;
  if (nonZero(payment.amountRefunded)) {
    parts.push('refunded', payment.amountRefunded.value);
    type = 'payment.refunded';
  }
  if (nonZero(payment.amountChargedBack)) {
    parts.push('charged_back', payment.amountChargedBack.value);
    type = 'payment.charged_back';
  }
  return { type, id: parts.join(':') };
}

/** The field holding when a payment reached each status (`open` and `pending`: `createdAt`). */
export const MOLLIE_STATUS_TIME: Readonly<Record<string, string>> = {
  open: 'createdAt',
  pending: 'createdAt',
  authorized: 'authorizedAt',
  paid: 'paidAt',
  canceled: 'canceledAt',
  expired: 'expiredAt',
  failed: 'failedAt',
};

/**
 * When a payment reached its status, as Mollie says; undefined for a refund or a chargeback,
 * whose time the payment does not carry.
 */
export function mollieChangeTime(payment: Record<string, unknown>, type: string): unknown {
  const status = type.startsWith('payment.') ? type.slice('payment.'.length) : '';
  const field = MOLLIE_STATUS_TIME[status];
  return field === undefined ? undefined : payment[field];
}

/** The event a payment makes, storing the payment as fetched. */
export function molliePaymentEvent(payment: MolliePaymentObject): VerifiedEvent {
  const { type, id } = molliePaymentChange(payment);
  const time = mollieChangeTime(payment, type);
  const createdAt = new Date(typeof time === 'string' ? time : Number.NaN);
  return fetchedEvent(
    {
      id,
      type,
      payload: payment,
      livemode: payment.mode === 'live' ? true : payment.mode === 'test' ? false : undefined,
      createdAt: Number.isNaN(createdAt.getTime()) ? undefined : createdAt,
    },
    (payload) => payload,
  );
}
