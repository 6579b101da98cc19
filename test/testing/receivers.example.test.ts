/**
 * How a host app tests its receivers with `koa-payments/testing`. docs/testing.md shows this
 * file; it runs in the suite so that the guide stays true. It imports the package names a host
 * app uses ('koa-payments', 'koa-payments/testing'); tsconfig maps them to src/.
 */
import { expect } from 'chai';
import Koa from 'koa';
import { createRegistry, type PaymentsSettings, payments } from 'koa-payments';
import type { StripeSignalMap } from 'koa-payments/stripe';
import { samplePayload, sendWebhook } from 'koa-payments/testing';
import { tempDir } from '../helpers/server.js';

// ---- The app under test. In a real app: src/receivers.ts and src/app.ts. ----

const orders = new Map<string, 'open' | 'paid' | 'refunded'>();

const registry = createRegistry<StripeSignalMap>();
registry.receiver('checkout.session.completed', async function markPaid({ data }) {
  if (data.client_reference_id !== null) orders.set(data.client_reference_id, 'paid');
});
registry.receiver('charge.refunded', async function markRefunded({ data }) {
  const orderId = data.metadata.order_id;
  if (orderId !== undefined) orders.set(orderId, 'refunded');
});

function createApp(settings: PaymentsSettings) {
  const pay = payments(settings);
  const app = new Koa();
  app.use(pay.middleware); // before any body parser
  return { app, pay };
}

// ---- The tests. ----

describe('example: testing your receivers', () => {
  const tmp = tempDir();
  const stripe = { provider: 'stripe', endpointSecret: 'whsec_test_only' } as const;
  const { app, pay } = createApp({
    registry,
    database: tmp.file(), // a throwaway SQLite file per test run
    worker: false, // no retry worker in unit tests
    variants: { stripe },
  });

  before(() => pay.migrate());
  after(async () => {
    await pay.close();
    tmp.remove();
  });
  beforeEach(() => orders.set('order-42', 'open'));

  it('marks the order paid when the checkout completes', async () => {
    const sent = await sendWebhook(app, 'stripe', 'checkout.session.completed', {
      settings: stripe,
      data: { client_reference_id: 'order-42' },
    });

    expect(sent.status).to.equal(200);
    expect(orders.get('order-42')).to.equal('paid');
  });

  it('marks it refunded on charge.refunded, without HTTP', async () => {
    // A payments() instance as the target: pay.receive() directly, receivers awaited.
    const sent = await sendWebhook(pay, 'stripe', 'charge.refunded', {
      settings: stripe,
      data: { metadata: { order_id: 'order-42' } },
    });

    expect(sent.event?.type).to.equal('charge.refunded');
    expect(orders.get('order-42')).to.equal('refunded');
  });

  it('runs a receiver once when Stripe redelivers the event', async () => {
    const event = samplePayload('stripe', 'checkout.session.completed', {
      data: { object: { client_reference_id: 'order-42' } },
    });
    await sendWebhook(app, 'stripe', event, { settings: stripe });
    orders.set('order-42', 'open'); // were the receiver to run again, it would mark it paid again

    const again = await sendWebhook(app, 'stripe', event, { settings: stripe });

    expect(again.body).to.include({ duplicate: true });
    expect(orders.get('order-42')).to.equal('open');
  });

  it('refuses a webhook signed with another secret', async () => {
    const sent = await sendWebhook(app, 'stripe', 'checkout.session.completed', {
      provider: 'stripe',
      secret: 'whsec_forged',
      data: { client_reference_id: 'order-42' },
    });

    expect(sent.status).to.equal(400);
    expect(orders.get('order-42')).to.equal('open');
  });
});
