/**
 * Hand-written data types of Mollie's webhook events, as koa-payments stores them (`signal.data`
 * is the Mollie object itself). The fields follow Mollie's API reference (Get payment, Get
 * refund, Get chargeback); those koa-payments does not read are optional or reachable through
 * the index signature. The official `@mollie/api-client` has its own types, but the library does
 * not depend on it.
 */

/** An amount as Mollie writes it: a decimal string and an ISO 4217 code. */
export interface MollieAmountValue {
  /** `'10.00'`: as many decimals as the currency has. */
  value: string;
  currency: string;
}

/** A payment (`GET /v2/payments/:id`). */
export interface MolliePayment {
  resource: 'payment';
  /** `tr_…` */
  id: string;
  mode: 'live' | 'test';
  status: 'open' | 'pending' | 'authorized' | 'paid' | 'canceled' | 'expired' | 'failed';
  amount: MollieAmountValue;
  description?: string;
  method?: string | null;
  metadata?: unknown;
  createdAt: string;
  paidAt?: string;
  authorizedAt?: string;
  canceledAt?: string;
  expiredAt?: string;
  failedAt?: string;
  /** Present once refunds are possible; `'0.00'` until one is made. */
  amountRefunded?: MollieAmountValue;
  amountRemaining?: MollieAmountValue;
  amountChargedBack?: MollieAmountValue;
  customerId?: string;
  profileId?: string;
  orderId?: string;
  [field: string]: unknown;
}

/** A refund (next-gen `refund.*` webhooks). */
export interface MollieRefund {
  resource: 'refund';
  /** `re_…` */
  id: string;
  amount: MollieAmountValue;
  status: 'queued' | 'pending' | 'processing' | 'refunded' | 'failed' | 'canceled';
  paymentId: string;
  createdAt: string;
  metadata?: unknown;
  [field: string]: unknown;
}

/** A chargeback (next-gen `chargeback.*` webhooks). */
export interface MollieChargeback {
  resource: 'chargeback';
  /** `chb_…` */
  id: string;
  amount: MollieAmountValue;
  paymentId: string;
  createdAt: string;
  reversedAt?: string | null;
  [field: string]: unknown;
}

/**
 * Mollie's event types as koa-payments names them, with their `signal.data`: `payment.<status>`
 * (classic and next-gen), `payment.refunded` and `payment.charged_back` (classic, see
 * docs/providers/mollie.md), and the next-gen refund and chargeback events.
 *
 * @example
 * import { createRegistry, type MollieSignals } from 'koa-payments';
 * const registry = createRegistry<MollieSignals>();
 * registry.receiver('payment.paid', async ({ data }) => data.amount.value);
 */
export interface MollieSignals {
  'payment.open': MolliePayment;
  'payment.pending': MolliePayment;
  'payment.authorized': MolliePayment;
  'payment.paid': MolliePayment;
  'payment.canceled': MolliePayment;
  'payment.expired': MolliePayment;
  'payment.failed': MolliePayment;
  'payment.refunded': MolliePayment;
  'payment.charged_back': MolliePayment;
  'refund.queued': MollieRefund;
  'refund.pending': MollieRefund;
  'refund.processing': MollieRefund;
  'refund.refunded': MollieRefund;
  'refund.failed': MollieRefund;
  'refund.canceled': MollieRefund;
  'chargeback.received': MollieChargeback;
  'chargeback.reversed': MollieChargeback;
}
