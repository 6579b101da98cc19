/**
 * Hand-written data types of the Flutterwave webhook events (Flutterwave publishes no typed SDK).
 * Flutterwave sends two payload generations: v3 (`{ event, data }`, numeric ids, `tx_ref`) and
 * v4 (`{ id, type, timestamp, data }`, string ids such as `chg_...`). The data of each event is
 * therefore a union; narrow it with `'tx_ref' in data` (v3 charge) or `'fullname' in data`
 * (v3 transfer). Fields follow the samples of developer.flutterwave.com; fields the samples do
 * not always carry are optional.
 */

/** A customer as embedded in v3 event data. */
export interface FlutterwaveV3Customer {
  id: number;
  name: string | null;
  phone_number: string | null;
  email: string;
  created_at: string;
}

/** Data of a v3 `charge.completed` (the transaction). */
export interface FlutterwaveV3Charge {
  /** The transaction id (verify it with `GET /v3/transactions/:id/verify`). */
  id: number;
  /** Your transaction reference. */
  tx_ref: string;
  flw_ref: string;
  device_fingerprint?: string;
  amount: number;
  currency: string;
  charged_amount: number;
  app_fee: number;
  merchant_fee: number;
  processor_response: string;
  auth_model: string;
  ip?: string;
  narration: string;
  /** `successful`, `failed` or `pending`. */
  status: string;
  payment_type: string;
  created_at: string;
  account_id: number;
  customer: FlutterwaveV3Customer;
  card?: {
    first_6digits: string;
    last_4digits: string;
    issuer: string;
    country: string;
    type: string;
    expiry: string;
  };
  meta?: Record<string, unknown> | null;
}

/** A customer as embedded in v4 event data. */
export interface FlutterwaveV4Customer {
  id: string;
  email: string;
  name?: { first?: string; middle?: string; last?: string } | string | null;
  phone?: { country_code?: string; number?: string } | string | null;
  address?: Record<string, unknown> | null;
  meta?: Record<string, unknown>;
  created_datetime?: string | number;
}

/** The payment method of a v4 charge. */
export interface FlutterwaveV4PaymentMethod {
  id?: string;
  /** `card`, `mobile_money`, `bank_account`, `ussd`, `opay`, ... */
  type: string;
  customer_id?: string;
  client_ip?: string | null;
  device_fingerprint?: string | null;
  card?: Record<string, unknown>;
  mobile_money?: { network?: string; country_code?: string; phone_number?: string };
  bank_account?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  created_datetime?: string | number;
}

/** Data of a v4 `charge.completed` (the charge). */
export interface FlutterwaveV4Charge {
  /** The charge id, `chg_...`. */
  id: string;
  amount: number;
  currency: string;
  /** `succeeded`, `failed`, `pending`, ... */
  status: string;
  /** Your charge reference. */
  reference: string;
  description?: string | null;
  customer: FlutterwaveV4Customer;
  payment_method: FlutterwaveV4PaymentMethod;
  processor_response?: { type: string; code: string };
  redirect_url?: string | null;
  meta?: Record<string, unknown>;
  /** ISO string or Unix seconds, depending on the sample. */
  created_datetime?: string | number;
}

/** Data of a v3 `transfer.completed`. */
export interface FlutterwaveV3Transfer {
  id: number;
  account_number: string;
  bank_name: string;
  bank_code: string;
  fullname: string;
  created_at: string;
  currency: string;
  debit_currency: string;
  amount: number;
  fee: number;
  /** `SUCCESSFUL` or `FAILED`. */
  status: string;
  /** Your transfer reference. */
  reference: string;
  meta: Record<string, unknown> | null;
  narration: string;
  approver: string | null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
}

/**
 * Data of a v4 `transfer.completed`. Only `id` and `status` are certain; the rest follows the v4
 * transfer object and is optional.
 */
export interface FlutterwaveV4Transfer {
  /** The transfer id, `trf_...`. */
  id: string;
  /** `SUCCESSFUL`, `FAILED`, ... */
  status: string;
  type?: string;
  action?: string;
  reference?: string;
  narration?: string | null;
  source_currency?: string;
  destination_currency?: string;
  amount?: { value: number; applies_to: string };
  fee?: { currency?: string; value?: number };
  debit_information?: Record<string, unknown>;
  payment_information?: Record<string, unknown>;
  recipient?: Record<string, unknown>;
  sender?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  created_datetime?: string;
}

/**
 * Flutterwave event type → data type (`signal.data`). Each entry is the union of the v3 and v4
 * shapes, since one account may receive either.
 *
 * @example
 * import { createRegistry } from 'koa-payments';
 * import type { FlutterwaveSignals } from 'koa-payments';
 * const registry = createRegistry<FlutterwaveSignals>();
 * registry.receiver('charge.completed', async function markPaid({ data }) {
 *   const reference = 'tx_ref' in data ? data.tx_ref : data.reference;
 *   await orders.markPaid(reference, data.amount);
 * });
 *
 * @example
 * // Or augment the module-level map once, anywhere in your app:
 * declare module 'koa-payments' {
 *   interface PaymentSignals extends FlutterwaveSignals {}
 * }
 */
export interface FlutterwaveSignals {
  'charge.completed': FlutterwaveV3Charge | FlutterwaveV4Charge;
  'transfer.completed': FlutterwaveV3Transfer | FlutterwaveV4Transfer;
}
