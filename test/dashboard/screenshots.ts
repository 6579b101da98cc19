/**
 * `npm run screenshots`: fills a throwaway store with a day of webhooks (two providers, a few
 * refused requests, a receiver that fails now and then) and takes the pictures of
 * docs/dashboard.md with Debian's chromium: docs/images/dashboard-overview.png and
 * docs/images/dashboard-event.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Koa from 'koa';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { listen, tempDir } from '../helpers/server.js';
import { launchChromium } from './browser.js';

const IMAGES = join(import.meta.dirname, '../../docs/images');
const HOUR = 3_600_000;
const STRIPE_SECRET = 'whsec_screenshots';
const PAYSTACK_SECRET = 'sk_test_screenshots';

/** A deterministic pseudo-random sequence, so that the pictures change only with the code. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const STRIPE_TYPES = [
  'checkout.session.completed',
  'payment_intent.succeeded',
  'charge.succeeded',
  'charge.succeeded',
  'invoice.paid',
  'charge.refunded',
  'customer.created',
];
const PAYSTACK_TYPES = ['charge.success', 'charge.success', 'transfer.success', 'refund.processed'];

async function seed(pay: Payments, ledger: { down: boolean }): Promise<number> {
  const next = random(42);
  const now = Date.now();
  for (let hour = 23; hour >= 0; hour--) {
    // Busier in the (UTC) afternoon.
    const count = 6 + Math.round(10 * Math.sin(((24 - hour) / 24) * Math.PI) + next() * 4);
    for (let i = 0; i < count; i++) {
      const at = new Date(now - hour * HOUR - Math.floor(next() * HOUR));
      const stripe = next() < 0.7;
      const types = stripe ? STRIPE_TYPES : PAYSTACK_TYPES;
      const type = types[Math.floor(next() * types.length)] as string;
      const variant = stripe ? 'stripe' : 'paystack';
      const payload = samplePayload(stripe ? 'stripe' : 'paystack', type) as Record<
        string,
        unknown
      >;
      if (stripe) payload.created = Math.floor(at.getTime() / 1000) - 1;
      const { body, headers } = signWebhook(stripe ? 'stripe' : 'paystack', {
        payload,
        secret: stripe ? STRIPE_SECRET : PAYSTACK_SECRET,
        timestamp: Math.floor(at.getTime() / 1000),
      });
      ledger.down = next() < 0.12;
      const received = await pay.receive(variant, {
        headers: {
          ...headers,
          'user-agent': stripe ? 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' : 'Paystack',
        },
        rawBody: Buffer.from(body),
        url: `https://shop.example.com/payments/process/${variant}/`,
        receivedAt: at,
        remoteIp: stripe ? '3.18.12.63' : '52.31.139.75',
      } as Parameters<Payments['receive']>[1]);
      await received.dispatched;
      // Some failed twice, their last attempt: dead.
      if (ledger.down && type.startsWith('charge.') && next() < 0.4) {
        await pay.replay(received.event.id);
      }
    }
    if (next() < 0.35) {
      await pay.knex('payments_requests').insert({
        variant: next() < 0.6 ? 'stripe' : 'paystack',
        received_at: new Date(now - hour * HOUR - Math.floor(next() * HOUR)),
        remote_ip: '198.51.100.23',
        headers: JSON.stringify({
          'content-type': 'application/json',
          'stripe-signature': 't=1,v1=0',
        }),
        body: '{"id":"evt_test_webhook","object":"event"}',
        body_size: 41,
        valid: false,
        status_code: 400,
        error:
          next() < 0.5
            ? 'invalid_signature:timestamp_out_of_tolerance'
            : 'invalid_signature:no_matching_signature',
        event: null,
        duration_ms: 1,
      });
    }
  }
  // The event of the second picture: a charge of a minute ago the ledger failed to book.
  ledger.down = true;
  const at = new Date(now - 60_000);
  const payload = samplePayload('stripe', 'charge.succeeded') as Record<string, unknown>;
  payload.created = Math.floor(at.getTime() / 1000) - 1;
  const { body, headers } = signWebhook('stripe', {
    payload,
    secret: STRIPE_SECRET,
    timestamp: Math.floor(at.getTime() / 1000),
  });
  const spotlight = await pay.receive('stripe', {
    headers: { ...headers, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    rawBody: Buffer.from(body),
    url: 'https://shop.example.com/payments/process/stripe/',
    receivedAt: at,
    remoteIp: '3.18.12.63',
  } as Parameters<Payments['receive']>[1]);
  await spotlight.dispatched;
  ledger.down = false;
  // Received in the past, logged now: give the log lines the durations of real requests.
  await pay.knex('payments_requests').update({ duration_ms: pay.knex.raw('3 + (id % 5)') });
  return spotlight.event.id;
}

async function main(): Promise<void> {
  const tmp = tempDir();
  const ledger = { down: false };
  const registry = createRegistry();
  registry.receiver('checkout.session.completed', async () => {}, { name: 'orders.mark-paid' });
  registry.receiver('charge.success', async () => {}, { name: 'orders.mark-paid-paystack' });
  registry.receiver('invoice.paid', async () => {}, { name: 'emails.receipt' });
  registry.receiver(
    'charge.*',
    async () => {
      if (ledger.down)
        throw new Error('ledger API: 504 Gateway Timeout (POST /v2/journal-entries)');
    },
    { name: 'ledger.book-revenue', variants: ['stripe'] },
  );
  registry.receiver('*', async () => {}, { name: 'audit-log' });
  const pay = payments({
    database: tmp.file(),
    registry,
    worker: false,
    retry: { maxAttempts: 2 },
    variants: {
      stripe: { provider: 'stripe', endpointSecret: STRIPE_SECRET },
      paystack: { provider: 'paystack', secretKey: PAYSTACK_SECRET },
    },
  });
  await pay.migrate();
  const spotlight = await seed(pay, ledger);
  const app = new Koa();
  app.use(
    pay.dashboard({ path: '/admin/payments', authorize: () => true, title: 'Shop · payments' }),
  );
  const server = await listen(app);
  const chromium = await launchChromium({ viewport: { width: 1280, height: 900 } });
  try {
    mkdirSync(IMAGES, { recursive: true });
    const page = await chromium.context.newPage();
    await page.goto(`${server.origin}/admin/payments/`);
    await page.screenshot({ path: join(IMAGES, 'dashboard-overview.png'), fullPage: true });
    await page.goto(`${server.origin}/admin/payments/events/${spotlight}`);
    await page.screenshot({ path: join(IMAGES, 'dashboard-event.png'), fullPage: true });
    console.log(`wrote ${IMAGES}/dashboard-overview.png and dashboard-event.png`);
  } finally {
    await chromium.close();
    await server.close();
    await pay.close();
    tmp.remove();
  }
}

await main();
