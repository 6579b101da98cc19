/**
 * Flutterwave samples, in the v3 form most accounts receive (`{ event, data, 'event.type' }`,
 * numeric ids, `tx_ref`), shaped after the samples of developer.flutterwave.com. The stored id is
 * `<type>:<data.id>:<data.status>`; every sample has a fresh `data.id`. A failed charge or transfer
 * is the same event with another status: override `data.status` (`failed`, `FAILED`).
 */
import { id, isoNow, numericId } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { FLUTTERWAVE_DATA_PATH } from './verify.js';

function customer(): SamplePayload {
  return {
    id: numericId(),
    name: 'Yemi Desola',
    phone_number: null,
    email: 'yemi.desola@example.com',
    created_at: isoNow(-60),
  };
}

function charge(): SamplePayload {
  return {
    id: numericId(),
    tx_ref: id('order-', 12).toLowerCase(),
    flw_ref: `FLW-MOCK-${id('', 32).toLowerCase()}`,
    device_fingerprint: id('', 32).toLowerCase(),
    amount: 5000,
    currency: 'NGN',
    charged_amount: 5000,
    app_fee: 70,
    merchant_fee: 0,
    processor_response: 'Approved by Financial Institution',
    auth_model: 'PIN',
    ip: '197.210.64.96',
    narration: 'CARD Transaction ',
    status: 'successful',
    payment_type: 'card',
    created_at: isoNow(),
    account_id: 17_321,
    customer: customer(),
    card: {
      first_6digits: '553188',
      last_4digits: '2950',
      issuer: 'MASTERCARD  CREDIT',
      country: 'NG',
      type: 'MASTERCARD',
      expiry: `09/${String(new Date().getUTCFullYear() + 3).slice(2)}`,
    },
    meta: null,
  };
}

function transfer(): SamplePayload {
  return {
    id: numericId(),
    account_number: '0690000040',
    bank_name: 'ACCESS BANK NIGERIA',
    bank_code: '044',
    fullname: 'Bale Gary',
    created_at: isoNow(),
    currency: 'NGN',
    debit_currency: 'NGN',
    amount: 30_000,
    fee: 26.875,
    status: 'SUCCESSFUL',
    reference: id('payout-', 16).toLowerCase(),
    meta: null,
    narration: 'Payout for order 1042',
    approver: null,
    complete_message: 'Successful',
    requires_approval: 0,
    is_approved: 1,
  };
}

function subscription(): SamplePayload {
  return {
    id: numericId(),
    amount: 5000,
    currency: 'NGN',
    status: 'cancelled',
    plan: { id: numericId(), name: 'Monthly plan', interval: 'monthly' },
    customer: customer(),
    created_at: isoNow(-30 * 86_400),
  };
}

/** Flutterwave's samples. `signal.data` is `data`. */
export const flutterwaveSamples: SampleCatalogue = {
  dataPath: FLUTTERWAVE_DATA_PATH,
  events: {
    'charge.completed': () => ({
      event: 'charge.completed',
      data: charge(),
      'event.type': 'CARD_TRANSACTION',
    }),
    'transfer.completed': () => ({
      event: 'transfer.completed',
      data: transfer(),
      'event.type': 'Transfer',
    }),
    'subscription.cancelled': () => ({
      event: 'subscription.cancelled',
      data: subscription(),
      'event.type': 'Subscription_Cancelled',
    }),
  },
};
