/**
 * Paystack samples: `{ event, data }`, shaped after the sample payloads of Paystack's webhook docs
 * (and the `PaystackSignals` types). Amounts are in kobo. Paystack sends no event id: koa-payments
 * derives it from `data` (see docs/providers/paystack.md), and every sample carries fresh object
 * ids, references and codes, so two samples are two events.
 */
import { id, isoNow, lowerId, numericId } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { PAYSTACK_DATA_PATH } from './verify.js';

const AMOUNT = 10_000;
const CURRENCY = 'NGN';

function customer(): SamplePayload {
  return {
    id: numericId(),
    first_name: 'Ada',
    last_name: 'Obi',
    email: 'ada.obi@example.com',
    customer_code: lowerId('CUS_', 15),
    phone: null,
    metadata: null,
    risk_action: 'default',
    international_format_phone: null,
  };
}

function authorization(): SamplePayload {
  return {
    authorization_code: lowerId('AUTH_', 10),
    bin: '408408',
    last4: '4081',
    exp_month: '12',
    exp_year: String(new Date().getUTCFullYear() + 3),
    channel: 'card',
    card_type: 'visa ',
    bank: 'TEST BANK',
    country_code: 'NG',
    brand: 'visa',
    reusable: true,
    signature: lowerId('SIG_', 20),
    account_name: null,
  };
}

function plan(): SamplePayload {
  return {
    id: numericId(),
    name: 'Monthly retainer',
    plan_code: lowerId('PLN_', 15),
    description: null,
    amount: 50_000,
    interval: 'monthly',
    send_invoices: true,
    send_sms: true,
    currency: CURRENCY,
  };
}

function charge(): SamplePayload {
  const paidAt = isoNow();
  return {
    id: numericId(),
    domain: 'test',
    status: 'success',
    reference: id('T', 15).toLowerCase(),
    amount: AMOUNT,
    message: null,
    gateway_response: 'Successful',
    paid_at: paidAt,
    created_at: isoNow(-5),
    channel: 'card',
    currency: CURRENCY,
    ip_address: '102.89.32.10',
    metadata: 0,
    fees_breakdown: null,
    log: null,
    fees: 250,
    fees_split: null,
    authorization: authorization(),
    customer: customer(),
    plan: {},
    subaccount: {},
    split: {},
    order_id: null,
    paidAt,
    requested_amount: AMOUNT,
    pos_transaction_data: null,
    source: {
      type: 'api',
      source: 'merchant_api',
      entry_point: 'transaction_initialize',
      identifier: null,
    },
  };
}

function transfer(status: 'success' | 'failed' | 'reversed'): SamplePayload {
  const now = isoNow();
  return {
    id: numericId(),
    amount: 30_000,
    currency: CURRENCY,
    domain: 'test',
    failures: null,
    integration: { id: 463_433, is_live: false, business_name: 'Koa Shop' },
    reason: 'Payout for order 1042',
    reference: id('trf-', 20).toLowerCase(),
    source: 'balance',
    source_details: null,
    status,
    titan_code: null,
    transfer_code: lowerId('TRF_', 16),
    transferred_at: status === 'success' ? now : null,
    recipient: {
      id: numericId(),
      active: true,
      currency: CURRENCY,
      description: null,
      domain: 'test',
      email: null,
      integration: 463_433,
      metadata: null,
      name: 'Chidi Okeke',
      recipient_code: lowerId('RCP_', 15),
      type: 'nuban',
      is_deleted: false,
      details: {
        authorization_code: null,
        account_number: '0123456789',
        account_name: 'CHIDI OKEKE',
        bank_code: '058',
        bank_name: 'Guaranty Trust Bank',
      },
      created_at: isoNow(-86_400),
      updated_at: isoNow(-86_400),
    },
    session: {
      provider: status === 'success' ? 'nip' : null,
      id: status === 'success' ? id('', 30) : null,
    },
    fee_charged: 1000,
    gateway_response: status === 'failed' ? 'Beneficiary bank unavailable' : null,
    created_at: isoNow(-10),
    updated_at: now,
  };
}

function refund(status: 'pending' | 'processed' | 'failed'): SamplePayload {
  const customerData = customer();
  return {
    status,
    transaction_reference: id('T', 15).toLowerCase(),
    refund_reference: status === 'processed' ? id('', 16).toUpperCase() : null,
    amount: AMOUNT,
    currency: CURRENCY,
    processor: 'mastercard',
    customer: {
      first_name: customerData.first_name,
      last_name: customerData.last_name,
      email: customerData.email,
    },
    integration: 463_433,
    domain: 'test',
  };
}

function subscription(status: 'active' | 'cancelled'): SamplePayload {
  return {
    id: numericId(),
    domain: 'test',
    status,
    subscription_code: lowerId('SUB_', 15),
    email_token: id('', 15).toLowerCase(),
    amount: 50_000,
    cron_expression: '0 0 28 * *',
    next_payment_date: status === 'active' ? isoNow(30 * 86_400) : null,
    open_invoice: null,
    integration: 463_433,
    plan: plan(),
    authorization: authorization(),
    customer: customer(),
    invoices: [],
    invoices_history: [],
    invoice_limit: 0,
    split_code: null,
    most_recent_invoice: null,
    created_at: isoNow(-86_400),
  };
}

function invoice(): SamplePayload {
  const sub = subscription('active');
  return {
    domain: 'test',
    invoice_code: lowerId('INV_', 15),
    amount: 50_000,
    period_start: isoNow(-30 * 86_400),
    period_end: isoNow(),
    status: 'failed',
    paid: false,
    paid_at: null,
    description: null,
    authorization: sub.authorization,
    subscription: {
      status: 'attention',
      subscription_code: sub.subscription_code,
      email_token: sub.email_token,
      amount: sub.amount,
      cron_expression: sub.cron_expression,
      next_payment_date: sub.next_payment_date,
      open_invoice: null,
    },
    customer: sub.customer,
    transaction: {},
    created_at: isoNow(),
  };
}

/** Paystack's samples. `signal.data` is `data`. */
export const paystackSamples: SampleCatalogue = {
  dataPath: PAYSTACK_DATA_PATH,
  events: {
    'charge.success': () => ({ event: 'charge.success', data: charge() }),
    'transfer.success': () => ({ event: 'transfer.success', data: transfer('success') }),
    'transfer.failed': () => ({ event: 'transfer.failed', data: transfer('failed') }),
    'transfer.reversed': () => ({ event: 'transfer.reversed', data: transfer('reversed') }),
    'refund.pending': () => ({ event: 'refund.pending', data: refund('pending') }),
    'refund.processed': () => ({ event: 'refund.processed', data: refund('processed') }),
    'refund.failed': () => ({ event: 'refund.failed', data: refund('failed') }),
    'subscription.create': () => ({ event: 'subscription.create', data: subscription('active') }),
    'subscription.disable': () => ({
      event: 'subscription.disable',
      data: subscription('cancelled'),
    }),
    'invoice.payment_failed': () => ({ event: 'invoice.payment_failed', data: invoice() }),
  },
};
