/**
 * Hand-written data types of Braintree's webhook notifications, as koa-payments parses them
 * (`signal.data` is the notification's `subject`, element names in camelCase, integers and
 * booleans typed, amounts and dates as the strings Braintree sends). The fields follow Braintree's
 * webhook reference and the official `braintree` package's sample notifications; Braintree's
 * Node SDK ships no types, so only the fields those show are listed, the others are optional or
 * reachable through the index signature.
 */

/** A transaction, as embedded in a notification. Amounts are decimal strings (`'10.00'`). */
export interface BraintreeTransaction {
  id: string;
  status: string;
  /** `sale`, or `credit` for a refund. */
  type?: 'sale' | 'credit';
  amount: string;
  currencyIsoCode?: string;
  merchantAccountId?: string;
  /** Your order id, when the transaction was created with one. */
  orderId?: string | null;
  /** For a refund: the sale it refunds. */
  refundedTransactionId?: string | null;
  paymentInstrumentType?: string;
  customer?: { id?: string | null; email?: string | null; [field: string]: unknown };
  /** Your custom fields, when the transaction has any. */
  customFields?: Record<string, unknown> | string;
  createdAt?: string;
  updatedAt?: string;
  [field: string]: unknown;
}

/** A subscription; `transactions` lists its charges, newest first. */
export interface BraintreeSubscription {
  id: string;
  status?: string;
  planId?: string;
  price?: string;
  balance?: string;
  currentBillingCycle?: number;
  failureCount?: number;
  nextBillingDate?: string;
  transactions: BraintreeTransaction[];
  addOns: unknown[];
  discounts: unknown[];
  [field: string]: unknown;
}

/** A dispute (chargeback, pre-arbitration, retrieval). */
export interface BraintreeDispute {
  id: string;
  amount?: string;
  amountDisputed?: string;
  amountWon?: string;
  currencyIsoCode?: string;
  kind?: string;
  reason?: string;
  status: string;
  receivedDate?: string;
  replyByDate?: string;
  dateOpened?: string;
  transaction: { id: string; amount?: string; orderId?: string | null; [field: string]: unknown };
  [field: string]: unknown;
}

/** A disbursement of settled funds to your bank account. */
export interface BraintreeDisbursement {
  id: string;
  amount?: string;
  disbursementDate?: string;
  transactionIds?: string[];
  success?: boolean;
  retry?: boolean;
  [field: string]: unknown;
}

/** Any other subject: one element, by its camelCase name. */
export type BraintreeSubject = Record<string, unknown>;

/**
 * Braintree notification kind → data type (`signal.data`, the notification's subject), for the
 * kinds of Braintree's webhook reference. Type your receivers with it:
 *
 * @example
 * import { createRegistry, type BraintreeSignals } from 'koa-payments';
 * const registry = createRegistry<BraintreeSignals>();
 * registry.receiver('transaction_settled', async function markSettled({ data }) {
 *   await orders.markPaid(data.transaction.orderId); // data.transaction: BraintreeTransaction
 * });
 */
export interface BraintreeSignals {
  check: { check: boolean };
  transaction_settled: { transaction: BraintreeTransaction };
  transaction_settlement_declined: { transaction: BraintreeTransaction };
  transaction_disbursed: { transaction: BraintreeTransaction };
  transaction_retried: { transaction: BraintreeTransaction };
  transaction_reviewed: { transactionReview: BraintreeSubject };
  refund_failed: { transaction: BraintreeTransaction };
  subscription_canceled: { subscription: BraintreeSubscription };
  subscription_charged_successfully: { subscription: BraintreeSubscription };
  subscription_charged_unsuccessfully: { subscription: BraintreeSubscription };
  subscription_expired: { subscription: BraintreeSubscription };
  subscription_trial_ended: { subscription: BraintreeSubscription };
  subscription_went_active: { subscription: BraintreeSubscription };
  subscription_went_past_due: { subscription: BraintreeSubscription };
  subscription_billing_skipped: { subscription: BraintreeSubscription };
  dispute_opened: { dispute: BraintreeDispute };
  dispute_under_review: { dispute: BraintreeDispute };
  dispute_won: { dispute: BraintreeDispute };
  dispute_lost: { dispute: BraintreeDispute };
  dispute_accepted: { dispute: BraintreeDispute };
  dispute_auto_accepted: { dispute: BraintreeDispute };
  dispute_disputed: { dispute: BraintreeDispute };
  dispute_expired: { dispute: BraintreeDispute };
  disbursement: { disbursement: BraintreeDisbursement };
  local_payment_completed: { localPayment: BraintreeSubject };
  local_payment_expired: { localPaymentExpired: BraintreeSubject };
  local_payment_funded: { localPaymentFunded: BraintreeSubject };
  local_payment_reversed: { localPaymentReversed: BraintreeSubject };
  payment_method_revoked_by_customer: BraintreeSubject;
  account_updater_daily_report: { accountUpdaterDailyReport: BraintreeSubject };
}
