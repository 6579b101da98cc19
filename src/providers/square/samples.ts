/**
 * Square samples: `{ merchant_id, type, event_id, created_at, data: { type, id, object } }`,
 * shaped after developer.squareup.com/reference/square/webhooks. Money is `{ amount, currency }`
 * in cents. `event_id` is a fresh UUID in every sample.
 */
import { id, isoNow, upperId, uuid } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { SQUARE_DATA_PATH } from './verify.js';

const MONEY = { amount: 2000, currency: 'USD' };
const LOCATION = 'L88917AVBK2S5';

function event(type: string, objectType: string, objectId: string, object: SamplePayload) {
  return {
    merchant_id: upperId('', 13),
    type,
    event_id: uuid(),
    created_at: isoNow(),
    data: { type: objectType, id: objectId, object: { [objectType]: object } },
  };
}

function payment(status: 'APPROVED' | 'COMPLETED'): SamplePayload {
  const paymentId = id('', 29);
  const completed = status === 'COMPLETED';
  return {
    id: paymentId,
    created_at: isoNow(-2),
    updated_at: isoNow(),
    amount_money: { ...MONEY },
    total_money: { ...MONEY },
    approved_money: { ...MONEY },
    status,
    delay_duration: 'PT168H',
    delay_action: 'CANCEL',
    source_type: 'CARD',
    card_details: {
      status: completed ? 'CAPTURED' : 'AUTHORIZED',
      card: {
        card_brand: 'VISA',
        last_4: '1111',
        exp_month: 11,
        exp_year: new Date().getUTCFullYear() + 3,
        fingerprint: `sq-1-${id('', 40)}`,
        card_type: 'DEBIT',
        prepaid_type: 'NOT_PREPAID',
        bin: '411111',
      },
      entry_method: 'KEYED',
      cvv_status: 'CVV_ACCEPTED',
      avs_status: 'AVS_ACCEPTED',
      statement_description: 'SQ *DEFAULT TEST ACCOUNT',
    },
    location_id: LOCATION,
    order_id: id('', 29),
    risk_evaluation: { created_at: isoNow(-2), risk_level: 'NORMAL' },
    receipt_number: paymentId.slice(0, 4),
    receipt_url: completed ? `https://squareupsandbox.com/receipt/preview/${paymentId}` : undefined,
    application_details: { square_product: 'ECOMMERCE_API', application_id: 'sandbox-sq0idb-test' },
    version_token: id('', 36),
    version: completed ? 3 : 1,
  };
}

function refund(status: 'PENDING' | 'COMPLETED'): SamplePayload {
  const paymentId = id('', 29);
  return {
    id: `${paymentId}_${id('', 36)}`,
    status,
    amount_money: { ...MONEY },
    payment_id: paymentId,
    order_id: id('', 29),
    location_id: LOCATION,
    reason: 'Returned goods',
    processing_fee:
      status === 'COMPLETED' ? [{ amount_money: { amount: -59, currency: 'USD' } }] : [],
    created_at: isoNow(-2),
    updated_at: isoNow(),
    version: status === 'COMPLETED' ? 2 : 1,
  };
}

function invoice(): SamplePayload {
  return {
    id: `inv:0-${id('', 22)}`,
    version: 2,
    location_id: LOCATION,
    order_id: id('', 29),
    payment_requests: [
      {
        uid: uuid(),
        request_type: 'BALANCE',
        due_date: isoNow().slice(0, 10),
        computed_amount_money: { ...MONEY },
        total_completed_amount_money: { ...MONEY },
        automatic_payment_source: 'NONE',
      },
    ],
    invoice_number: '000042',
    title: 'Order 1042',
    status: 'PAID',
    timezone: 'Etc/UTC',
    public_url: `https://squareupsandbox.com/pay-invoice/${id('', 24)}`,
    delivery_method: 'EMAIL',
    created_at: isoNow(-86_400),
    updated_at: isoNow(),
  };
}

function sampleFor(type: string, objectType: string, object: SamplePayload): SamplePayload {
  return event(type, objectType, String(object.id), object);
}

/** Square's samples. `signal.data` is `data` (`{ type, id, object }`). */
export const squareSamples: SampleCatalogue = {
  dataPath: SQUARE_DATA_PATH,
  events: {
    'payment.created': () => sampleFor('payment.created', 'payment', payment('APPROVED')),
    'payment.updated': () => sampleFor('payment.updated', 'payment', payment('COMPLETED')),
    'refund.created': () => sampleFor('refund.created', 'refund', refund('PENDING')),
    'refund.updated': () => sampleFor('refund.updated', 'refund', refund('COMPLETED')),
    'invoice.payment_made': () => sampleFor('invoice.payment_made', 'invoice', invoice()),
  },
};
