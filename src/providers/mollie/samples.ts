/**
 * Mollie samples: payments as `GET /v2/payments/:id` returns them (HAL JSON, amounts as decimal
 * strings, times as `2024-03-20T09:13:37+00:00`), one per event type koa-payments names, and a
 * refund and a chargeback as next-gen webhooks embed them. Every sample has a fresh id. The
 * classic webhook carries only the id: a test that sends one needs an API (a fake) that holds
 * the payment; a signed next-gen webhook carries the object itself.
 */
import { id } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { MOLLIE_DATA_PATH, MOLLIE_PAYMENT_STATUSES } from './events.js';

const API = 'https://api.mollie.com/v2';

/** Now (or `offsetSeconds` from now) as Mollie writes times. */
function mollieTime(offsetSeconds = 0): string {
  const date = new Date(Date.now() + offsetSeconds * 1000);
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

function link(href: string, type = 'application/hal+json') {
  return { href, type };
}

/** A payment in `status`, with the time fields Mollie sets for it. */
function payment(status: string, extra: SamplePayload = {}): SamplePayload {
  const paymentId = id('tr_', 10);
  const times: SamplePayload = { createdAt: mollieTime(-600) };
  if (status === 'open' || status === 'pending') times.expiresAt = mollieTime(900);
  if (status === 'authorized') times.authorizedAt = mollieTime(-60);
  if (status === 'paid') times.paidAt = mollieTime(-60);
  if (status === 'canceled') times.canceledAt = mollieTime(-60);
  if (status === 'expired') times.expiredAt = mollieTime(-60);
  if (status === 'failed') times.failedAt = mollieTime(-60);
  const amount = { value: '10.00', currency: 'EUR' };
  return {
    resource: 'payment',
    id: paymentId,
    mode: 'test',
    amount,
    description: 'Order #12345',
    method: status === 'open' ? null : 'ideal',
    metadata: { order_id: '12345' },
    status,
    isCancelable: status === 'open',
    ...times,
    profileId: id('pfl_', 10),
    sequenceType: 'oneoff',
    redirectUrl: 'https://shop.example.com/orders/12345/',
    webhookUrl: 'https://shop.example.com/payments/process/mollie/',
    ...(status === 'paid'
      ? {
          amountRefunded: { value: '0.00', currency: 'EUR' },
          amountRemaining: { value: '35.00', currency: 'EUR' },
          settlementAmount: amount,
        }
      : {}),
    ...extra,
    _links: {
      self: link(`${API}/payments/${paymentId}`),
      dashboard: link(`https://my.mollie.com/dashboard/payments/${paymentId}`, 'text/html'),
      documentation: link('https://docs.mollie.com/reference/get-payment', 'text/html'),
    },
  };
}

function refund(status: string): SamplePayload {
  const refundId = id('re_', 10);
  const paymentId = id('tr_', 10);
  return {
    resource: 'refund',
    id: refundId,
    mode: 'test',
    amount: { value: '5.95', currency: 'EUR' },
    description: 'Order #12345',
    metadata: null,
    status,
    paymentId,
    createdAt: mollieTime(-60),
    _links: {
      self: link(`${API}/payments/${paymentId}/refunds/${refundId}`),
      payment: link(`${API}/payments/${paymentId}`),
    },
  };
}

function chargeback(): SamplePayload {
  const chargebackId = id('chb_', 10);
  const paymentId = id('tr_', 10);
  return {
    resource: 'chargeback',
    id: chargebackId,
    amount: { value: '10.00', currency: 'EUR' },
    reason: null,
    paymentId,
    createdAt: mollieTime(-60),
    reversedAt: null,
    _links: {
      self: link(`${API}/payments/${paymentId}/chargebacks/${chargebackId}`),
      payment: link(`${API}/payments/${paymentId}`),
    },
  };
}

const events: Record<string, () => SamplePayload> = Object.fromEntries(
  MOLLIE_PAYMENT_STATUSES.map((status) => [`payment.${status}`, () => payment(status)]),
);
events['payment.refunded'] = () =>
  payment('paid', {
    amountRefunded: { value: '10.00', currency: 'EUR' },
    amountRemaining: { value: '25.00', currency: 'EUR' },
  });
events['payment.charged_back'] = () =>
  payment('paid', { amountChargedBack: { value: '10.00', currency: 'EUR' } });
events['refund.refunded'] = () => refund('refunded');
events['refund.failed'] = () => refund('failed');
events['chargeback.received'] = chargeback;

/** The Mollie samples. */
export const mollieSamples: SampleCatalogue = { dataPath: MOLLIE_DATA_PATH, events };
