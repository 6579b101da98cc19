/**
 * PayPal samples, shaped after the event samples of developer.paypal.com (Orders v2 captures and
 * refunds, checkout orders, subscriptions, disputes). Every call has a fresh event id
 * (`WH-…-…`) and fresh resource ids; override `id` to send the same event twice.
 */
import { isoNow, numericId, upperId } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { PAYPAL_DATA_PATH } from './events.js';

const API = 'https://api.sandbox.paypal.com';

function link(href: string, rel: string, method = 'GET') {
  return { href, rel, method };
}

function money(value = '10.99') {
  return { currency_code: 'USD', value };
}

function envelope(
  type: string,
  resourceType: string,
  summary: string,
  resource: SamplePayload,
  resourceVersion = '2.0',
): SamplePayload {
  const id = `WH-${upperId('', 17)}-${upperId('', 17)}`;
  return {
    id,
    event_version: '1.0',
    create_time: isoNow(),
    resource_type: resourceType,
    resource_version: resourceVersion,
    event_type: type,
    summary,
    resource,
    links: [
      link(`${API}/v1/notifications/webhooks-events/${id}`, 'self'),
      link(`${API}/v1/notifications/webhooks-events/${id}/resend`, 'resend', 'POST'),
    ],
  };
}

function capture(status: 'COMPLETED' | 'DECLINED'): SamplePayload {
  const id = upperId('', 17);
  const orderId = upperId('', 17);
  const resource: SamplePayload = {
    id,
    amount: money(),
    final_capture: true,
    seller_protection: {
      status: 'ELIGIBLE',
      dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'],
    },
    custom_id: `order-${upperId('', 8).toLowerCase()}`,
    status,
    supplementary_data: { related_ids: { order_id: orderId } },
    create_time: isoNow(-5),
    update_time: isoNow(),
    links: [
      link(`${API}/v2/payments/captures/${id}`, 'self'),
      link(`${API}/v2/payments/captures/${id}/refund`, 'refund', 'POST'),
      link(`${API}/v2/checkout/orders/${orderId}`, 'up'),
    ],
  };
  if (status === 'COMPLETED') {
    resource.seller_receivable_breakdown = {
      gross_amount: money(),
      paypal_fee: money('0.67'),
      net_amount: money('10.32'),
    };
  }
  return resource;
}

function refund(): SamplePayload {
  const id = upperId('', 17);
  const captureId = upperId('', 17);
  return {
    id,
    amount: money(),
    seller_payable_breakdown: {
      gross_amount: money(),
      paypal_fee: money('0.00'),
      net_amount: money(),
      total_refunded_amount: money(),
    },
    custom_id: `order-${upperId('', 8).toLowerCase()}`,
    status: 'COMPLETED',
    create_time: isoNow(-5),
    update_time: isoNow(),
    links: [
      link(`${API}/v2/payments/refunds/${id}`, 'self'),
      link(`${API}/v2/payments/captures/${captureId}`, 'up'),
    ],
  };
}

function order(): SamplePayload {
  const id = upperId('', 17);
  return {
    id,
    intent: 'CAPTURE',
    status: 'APPROVED',
    purchase_units: [
      {
        reference_id: 'default',
        amount: money(),
        payee: { email_address: 'merchant@example.com', merchant_id: upperId('', 13) },
        custom_id: `order-${upperId('', 8).toLowerCase()}`,
      },
    ],
    payer: {
      name: { given_name: 'John', surname: 'Doe' },
      email_address: 'buyer@example.com',
      payer_id: upperId('', 13),
    },
    create_time: isoNow(-60),
    links: [
      link(`${API}/v2/checkout/orders/${id}`, 'self'),
      link(`${API}/v2/checkout/orders/${id}/capture`, 'capture', 'POST'),
    ],
  };
}

function subscription(status: 'ACTIVE' | 'CANCELLED'): SamplePayload {
  const id = `I-${upperId('', 12)}`;
  return {
    id,
    plan_id: `P-${upperId('', 24)}`,
    status,
    status_update_time: isoNow(),
    start_time: isoNow(-60),
    quantity: '1',
    subscriber: {
      name: { given_name: 'John', surname: 'Doe' },
      email_address: 'buyer@example.com',
      payer_id: upperId('', 13),
    },
    billing_info: {
      outstanding_balance: money('0.00'),
      cycle_executions: [
        { tenure_type: 'REGULAR', sequence: 1, cycles_completed: 1, total_cycles: 0 },
      ],
      failed_payments_count: 0,
    },
    create_time: isoNow(-60),
    update_time: isoNow(),
    links: [link(`${API}/v1/billing/subscriptions/${id}`, 'self')],
  };
}

function dispute(): SamplePayload {
  const id = `PP-D-${String(numericId()).slice(-5)}`;
  return {
    dispute_id: id,
    create_time: isoNow(),
    update_time: isoNow(),
    disputed_transactions: [
      { seller_transaction_id: upperId('', 17), seller: { merchant_id: upperId('', 13) } },
    ],
    reason: 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED',
    status: 'OPEN',
    dispute_amount: money(),
    dispute_life_cycle_stage: 'INQUIRY',
    dispute_channel: 'INTERNAL',
    links: [link(`${API}/v1/customer/disputes/${id}`, 'self')],
  };
}

/** PayPal's samples. `signal.data` is `resource`. */
export const paypalSamples: SampleCatalogue = {
  dataPath: PAYPAL_DATA_PATH,
  events: {
    'PAYMENT.CAPTURE.COMPLETED': () =>
      envelope(
        'PAYMENT.CAPTURE.COMPLETED',
        'capture',
        'Payment completed for $ 10.99 USD',
        capture('COMPLETED'),
      ),
    'PAYMENT.CAPTURE.DENIED': () =>
      envelope(
        'PAYMENT.CAPTURE.DENIED',
        'capture',
        'A payment capture for $ 10.99 USD was denied',
        capture('DECLINED'),
      ),
    'PAYMENT.CAPTURE.REFUNDED': () =>
      envelope(
        'PAYMENT.CAPTURE.REFUNDED',
        'refund',
        'A $ 10.99 USD capture payment was refunded',
        refund(),
      ),
    'CHECKOUT.ORDER.APPROVED': () =>
      envelope(
        'CHECKOUT.ORDER.APPROVED',
        'checkout-order',
        'An order has been approved by buyer',
        order(),
      ),
    'BILLING.SUBSCRIPTION.ACTIVATED': () =>
      envelope(
        'BILLING.SUBSCRIPTION.ACTIVATED',
        'subscription',
        'Subscription activated',
        subscription('ACTIVE'),
      ),
    'BILLING.SUBSCRIPTION.CANCELLED': () =>
      envelope(
        'BILLING.SUBSCRIPTION.CANCELLED',
        'subscription',
        'Subscription cancelled',
        subscription('CANCELLED'),
      ),
    'CUSTOMER.DISPUTE.CREATED': () =>
      envelope(
        'CUSTOMER.DISPUTE.CREATED',
        'dispute',
        'A new dispute opened with Case # PP-D-1',
        dispute(),
        '1.0',
      ),
  },
};
