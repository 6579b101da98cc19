/**
 * Sends a correctly signed Stripe test event to the example shop, as Stripe would:
 *
 *   npx tsx example-app/send.ts checkout.session.completed --order 1 [--url http://localhost:3000]
 *
 * Types: checkout.session.completed, payment_intent.succeeded, charge.refunded.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { signWebhook } from 'koa-payments/testing';
import { DEFAULT_SECRET } from './config.js';

const TYPES: Record<string, (order: string) => unknown> = {
  'checkout.session.completed': (order) => ({
    id: `cs_test_${randomBytes(8).toString('hex')}`,
    object: 'checkout.session',
    mode: 'payment',
    client_reference_id: order,
    payment_intent: `pi_${randomBytes(8).toString('hex')}`,
    payment_status: 'paid',
    status: 'complete',
    amount_total: 2500,
    currency: 'eur',
  }),
  'payment_intent.succeeded': (order) => ({
    id: `pi_${randomBytes(8).toString('hex')}`,
    object: 'payment_intent',
    amount: 2500,
    amount_received: 2500,
    currency: 'eur',
    status: 'succeeded',
    metadata: { order_id: order },
  }),
  'charge.refunded': (order) => ({
    id: `ch_${randomBytes(8).toString('hex')}`,
    object: 'charge',
    payment_intent: `pi_${randomBytes(8).toString('hex')}`,
    amount: 2500,
    amount_captured: 2500,
    amount_refunded: 2500,
    captured: true,
    currency: 'eur',
    refunded: true,
    status: 'succeeded',
    metadata: { order_id: order },
  }),
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    order: { type: 'string', default: '1' },
    url: { type: 'string', default: `http://localhost:${process.env.PORT ?? 3000}` },
  },
});
const type = positionals[0] ?? 'checkout.session.completed';
const make = TYPES[type];
if (make === undefined) {
  console.error(`Unknown type ${type}; one of: ${Object.keys(TYPES).join(', ')}`);
  process.exit(2);
}
const event = {
  id: `evt_${randomBytes(12).toString('hex')}`,
  object: 'event',
  api_version: '2024-06-20',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  type,
  data: { object: make(values.order) },
};
const secret = process.env.STRIPE_WEBHOOK_SECRET || DEFAULT_SECRET;
const { body, headers } = signWebhook('stripe', { payload: event, secret });
const url = `${values.url.replace(/\/$/, '')}/payments/process/stripe/`;
const response = await fetch(url, { method: 'POST', body, headers });
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
