/**
 * Hand-written data types of the Paystack webhook events (Paystack publishes no typed SDK). The
 * fields follow the sample payloads of Paystack's webhook docs (paystack.com/docs/payments/webhooks,
 * also published in github.com/PaystackOSS/doc-code-snippets); fields the samples do not always
 * carry are optional, and free-form ones are `unknown`.
 */

/** `test` or `live`: which mode of the integration the object belongs to. */
export type PaystackDomain = 'test' | 'live';

/**
 * Free-form metadata as given when the transaction was initialised. Paystack sends an object
 * when one was given, and otherwise sometimes `""`, `0` or `null`.
 */
export type PaystackMetadata = Record<string, unknown> | string | number | null;

/** A customer as embedded in event data. */
export interface PaystackCustomer {
  id?: number;
  first_name: string | null;
  last_name: string | null;
  email: string;
  customer_code?: string;
  phone?: string | null;
  metadata?: Record<string, unknown> | null;
  risk_action?: string;
  international_format_phone?: string | null;
}

/** A reusable payment authorization (card, bank, ...). */
export interface PaystackAuthorization {
  authorization_code: string;
  bin?: string | null;
  last4?: string;
  exp_month?: string;
  exp_year?: string;
  channel?: string;
  card_type?: string;
  bank?: string | null;
  country_code?: string;
  brand?: string;
  reusable?: boolean;
  signature?: string | null;
  account_name?: string | null;
}

/** A subscription plan. */
export interface PaystackPlan {
  id?: number;
  name: string;
  plan_code: string;
  description: string | null;
  amount: number;
  interval: string;
  send_invoices?: boolean;
  send_sms?: boolean;
  currency: string;
}

/** Data of `charge.success`: the transaction. Amounts are in the currency's subunit (kobo, ...). */
export interface PaystackCharge {
  id: number;
  domain: PaystackDomain;
  status: 'success';
  /** Your transaction reference. */
  reference: string;
  amount: number;
  message: string | null;
  gateway_response: string;
  paid_at: string | null;
  created_at: string;
  channel: string;
  currency: string;
  ip_address: string | null;
  metadata: PaystackMetadata;
  log?: unknown;
  fees: number | null;
  fees_split?: unknown;
  customer: PaystackCustomer;
  authorization: PaystackAuthorization;
  /** The plan for a subscription payment; `{}` otherwise. */
  plan: Partial<PaystackPlan>;
  subaccount?: unknown;
  split?: unknown;
  order_id?: string | null;
  paidAt?: string;
  requested_amount?: number;
  pos_transaction_data?: unknown;
  source?: unknown;
}

/** The recipient of a transfer. */
export interface PaystackTransferRecipient {
  id: number;
  active: boolean;
  currency: string;
  description: string | null;
  domain: PaystackDomain;
  email: string | null;
  integration: number;
  metadata: Record<string, unknown> | null;
  name: string;
  recipient_code: string;
  type: string;
  is_deleted: boolean;
  details: {
    authorization_code?: string | null;
    account_number: string;
    account_name: string | null;
    bank_code: string;
    bank_name: string;
  };
  created_at: string;
  updated_at: string;
}

/** Data of `transfer.success`, `transfer.failed` and `transfer.reversed`. */
export interface PaystackTransfer {
  id: number;
  amount: number;
  currency: string;
  domain: PaystackDomain;
  failures: unknown;
  integration: { id: number; is_live: boolean; business_name: string };
  reason: string | null;
  /** Your transfer reference. */
  reference: string;
  source: string;
  source_details: unknown;
  status: string;
  titan_code: string | null;
  transfer_code: string;
  transferred_at: string | null;
  recipient: PaystackTransferRecipient;
  session: { provider: string | null; id: string | null };
  fee_charged?: number;
  gateway_response?: string | null;
  created_at: string;
  updated_at: string;
}

/** Data of the `refund.*` events. */
export interface PaystackRefund {
  /** `pending`, `processing`, `processed`, `failed` or `needs-attention`. */
  status: string;
  /** Reference of the refunded transaction. */
  transaction_reference: string;
  /** The refund's own reference; `null` while it is pending or processing. */
  refund_reference: string | null;
  /** Paystack's samples send it as a number or as a numeric string. */
  amount: number | string;
  currency: string;
  processor: string;
  customer: { first_name: string | null; last_name: string | null; email: string };
  integration: number;
  domain: PaystackDomain;
}

/** Data of `subscription.create`, `subscription.disable` and `subscription.not_renew`. */
export interface PaystackSubscription {
  id?: number;
  domain: PaystackDomain;
  /** `active`, `non-renewing`, `attention`, `completed` or `cancelled` (`complete` in some samples). */
  status: string;
  subscription_code: string;
  email_token?: string;
  amount: number;
  cron_expression: string;
  next_payment_date: string | null;
  open_invoice: string | null;
  integration?: number;
  plan: PaystackPlan;
  authorization: PaystackAuthorization;
  customer: PaystackCustomer;
  invoices?: unknown[];
  invoices_history?: unknown[];
  invoice_limit?: number;
  split_code?: string | null;
  most_recent_invoice?: unknown;
  createdAt?: string;
  created_at: string;
}

/** One card of `subscription.expiring_cards` (whose data is an array of them). */
export interface PaystackExpiringCard {
  /** `MM/YYYY`. */
  expiry_date: string;
  description: string;
  brand: string;
  subscription: {
    id: number;
    subscription_code: string;
    amount: number;
    next_payment_date: string | null;
    plan: { id: number; name: string; plan_code: string; interval: string };
  };
  customer: PaystackCustomer;
}

/** Data of `invoice.create`, `invoice.update` and `invoice.payment_failed`. */
export interface PaystackInvoice {
  domain: PaystackDomain;
  invoice_code: string;
  amount: number;
  period_start: string;
  period_end: string;
  status: string;
  paid: boolean;
  paid_at: string | null;
  description: string | null;
  authorization: PaystackAuthorization;
  subscription: {
    status: string;
    subscription_code: string;
    email_token?: string;
    amount: number;
    cron_expression: string;
    next_payment_date: string | null;
    open_invoice: string | null;
  };
  customer: PaystackCustomer;
  /** The charge that paid the invoice; `{}` when there is none yet. */
  transaction: { reference?: string; status?: string; amount?: number; currency?: string };
  created_at: string;
}

/** Data of `charge.dispute.create`, `charge.dispute.remind` and `charge.dispute.resolve`. */
export interface PaystackDispute {
  id: number;
  refund_amount: number;
  currency: string;
  status: string;
  resolution: string | null;
  domain: PaystackDomain;
  /** The disputed transaction. */
  transaction: Partial<PaystackCharge> & { id: number; reference: string };
  transaction_reference: string | null;
  category: string;
  customer: PaystackCustomer;
  bin: string | null;
  last4: string | null;
  dueAt: string | null;
  resolvedAt: string | null;
  evidence: unknown;
  attachments: unknown;
  note: string | null;
  history: { status: string; by: string; createdAt: string }[];
  messages: { sender: string; body: string; createdAt: string }[];
  created_at: string;
  updated_at: string;
}

/**
 * Paystack event type → data type (`signal.data`), for the events in Paystack's webhook docs.
 * Type your receivers with it, either for one registry or for the module-level `receiver`:
 *
 * @example
 * import { createRegistry } from 'koa-payments';
 * import type { PaystackSignals } from 'koa-payments';
 * const registry = createRegistry<PaystackSignals>();
 * registry.receiver('charge.success', async function markPaid({ data }) {
 *   await orders.markPaid(data.reference, data.amount); // data: PaystackCharge
 * });
 *
 * @example
 * // Or augment the module-level map once, anywhere in your app:
 * declare module 'koa-payments' {
 *   interface PaymentSignals extends PaystackSignals {}
 * }
 */
export interface PaystackSignals {
  'charge.success': PaystackCharge;
  'charge.dispute.create': PaystackDispute;
  'charge.dispute.remind': PaystackDispute;
  'charge.dispute.resolve': PaystackDispute;
  'transfer.success': PaystackTransfer;
  'transfer.failed': PaystackTransfer;
  'transfer.reversed': PaystackTransfer;
  'refund.pending': PaystackRefund;
  'refund.processing': PaystackRefund;
  'refund.needs-attention': PaystackRefund;
  'refund.processed': PaystackRefund;
  'refund.failed': PaystackRefund;
  'subscription.create': PaystackSubscription;
  'subscription.disable': PaystackSubscription;
  'subscription.not_renew': PaystackSubscription;
  'subscription.expiring_cards': PaystackExpiringCard[];
  'invoice.create': PaystackInvoice;
  'invoice.update': PaystackInvoice;
  'invoice.payment_failed': PaystackInvoice;
}
