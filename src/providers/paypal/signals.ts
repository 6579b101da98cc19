/**
 * Hand-written data types of the common PayPal webhook events (PayPal publishes an OpenAPI
 * description, no typed webhook SDK). `signal.data` is the event's `resource`. Fields follow the
 * samples of developer.paypal.com; fields PayPal leaves out in some cases are optional, and each
 * resource keeps the rest as `unknown`.
 */

/** PayPal money: a currency code and a decimal string in major units (`'10.99'`). */
export interface PayPalMoney {
  currency_code: string;
  value: string;
}

/** A HATEOAS link of a PayPal resource. */
export interface PayPalLink {
  href: string;
  rel: string;
  method?: string;
}

/** An Orders v2 capture (`PAYMENT.CAPTURE.*`). */
export interface PayPalCapture {
  /** The capture id (the payment id of `payment:*` signals). */
  id: string;
  /** `COMPLETED`, `DECLINED`, `PENDING`, `REFUNDED`, `PARTIALLY_REFUNDED`, ... */
  status: string;
  amount: PayPalMoney;
  final_capture?: boolean;
  /** The id you set on the purchase unit. */
  custom_id?: string;
  /** The invoice number you set on the purchase unit. */
  invoice_id?: string;
  seller_protection?: { status: string; dispute_categories?: string[] };
  seller_receivable_breakdown?: {
    gross_amount: PayPalMoney;
    paypal_fee?: PayPalMoney;
    net_amount?: PayPalMoney;
  };
  status_details?: { reason: string };
  supplementary_data?: { related_ids?: { order_id?: string; authorization_id?: string } };
  create_time: string;
  update_time: string;
  links: PayPalLink[];
  [field: string]: unknown;
}

/** An Orders v2 refund (`PAYMENT.CAPTURE.REFUNDED`); its `up` link is the capture. */
export interface PayPalRefund {
  id: string;
  /** `COMPLETED`, `PENDING`, `CANCELLED`, `FAILED`. */
  status: string;
  amount: PayPalMoney;
  custom_id?: string;
  invoice_id?: string;
  note_to_payer?: string;
  seller_payable_breakdown?: Record<string, unknown>;
  create_time: string;
  update_time: string;
  links: PayPalLink[];
  [field: string]: unknown;
}

/** A checkout order (`CHECKOUT.ORDER.*`). */
export interface PayPalOrder {
  id: string;
  intent: 'CAPTURE' | 'AUTHORIZE';
  /** `CREATED`, `APPROVED`, `COMPLETED`, ... */
  status: string;
  purchase_units: {
    reference_id?: string;
    amount: PayPalMoney;
    custom_id?: string;
    invoice_id?: string;
    [field: string]: unknown;
  }[];
  payer?: {
    name?: { given_name?: string; surname?: string };
    email_address?: string;
    payer_id?: string;
  };
  create_time?: string;
  update_time?: string;
  links: PayPalLink[];
  [field: string]: unknown;
}

/** A subscription (`BILLING.SUBSCRIPTION.*`). */
export interface PayPalSubscription {
  /** `I-…` */
  id: string;
  /** `P-…` */
  plan_id: string;
  /** `APPROVAL_PENDING`, `APPROVED`, `ACTIVE`, `SUSPENDED`, `CANCELLED`, `EXPIRED`. */
  status: string;
  custom_id?: string;
  start_time?: string;
  subscriber?: {
    name?: { given_name?: string; surname?: string };
    email_address?: string;
    payer_id?: string;
  };
  billing_info?: Record<string, unknown>;
  create_time?: string;
  update_time?: string;
  links: PayPalLink[];
  [field: string]: unknown;
}

/** A dispute (`CUSTOMER.DISPUTE.*`), named by `dispute_id`. */
export interface PayPalDispute {
  /** `PP-D-…` */
  dispute_id: string;
  reason: string;
  status: string;
  dispute_amount: PayPalMoney;
  disputed_transactions?: Record<string, unknown>[];
  dispute_life_cycle_stage?: string;
  create_time: string;
  update_time: string;
  links: PayPalLink[];
  [field: string]: unknown;
}

/**
 * PayPal event type → data type (`signal.data`, the event's `resource`).
 *
 * @example
 * import { createRegistry, type PayPalSignals } from 'koa-payments';
 * const registry = createRegistry<PayPalSignals>();
 * registry.receiver('PAYMENT.CAPTURE.COMPLETED', async function markPaid({ data }) {
 *   await orders.markPaid(data.custom_id, data.amount.value);
 * });
 */
export interface PayPalSignals {
  'PAYMENT.CAPTURE.COMPLETED': PayPalCapture;
  'PAYMENT.CAPTURE.DENIED': PayPalCapture;
  'PAYMENT.CAPTURE.PENDING': PayPalCapture;
  'PAYMENT.CAPTURE.REVERSED': PayPalCapture;
  'PAYMENT.CAPTURE.REFUNDED': PayPalRefund;
  'CHECKOUT.ORDER.APPROVED': PayPalOrder;
  'CHECKOUT.ORDER.COMPLETED': PayPalOrder;
  'BILLING.SUBSCRIPTION.CREATED': PayPalSubscription;
  'BILLING.SUBSCRIPTION.ACTIVATED': PayPalSubscription;
  'BILLING.SUBSCRIPTION.UPDATED': PayPalSubscription;
  'BILLING.SUBSCRIPTION.SUSPENDED': PayPalSubscription;
  'BILLING.SUBSCRIPTION.CANCELLED': PayPalSubscription;
  'BILLING.SUBSCRIPTION.EXPIRED': PayPalSubscription;
  'CUSTOMER.DISPUTE.CREATED': PayPalDispute;
  'CUSTOMER.DISPUTE.UPDATED': PayPalDispute;
  'CUSTOMER.DISPUTE.RESOLVED': PayPalDispute;
}
