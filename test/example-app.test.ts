/**
 * The example shop over HTTP, on SQLite and on Postgres: one `payment:succeeded` receiver marks
 * orders paid from Stripe and from Paystack webhooks, one `payment:refunded` receiver marks them
 * refunded (issue 20, item 6). Its checkout-success page and its `orders.fulfil` receiver
 * fulfil each order once, whichever comes first (issue 21, item 4).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DEFAULT_PAYSTACK_SECRET, DEFAULT_SECRET } from '../example-app/config.js';
import { createShop, type Shop } from '../example-app/shop.js';
import { samplePayload, signWebhook } from '../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js';
import { listen, post, type TestServer, tempDir } from './helpers/server.js';
import { gate, until } from './helpers/sync.js';

const run = promisify(execFile);

const SECRETS = { stripe: DEFAULT_SECRET, paystack: DEFAULT_PAYSTACK_SECRET } as const;
type ShopProvider = keyof typeof SECRETS;

interface Order {
  status: string;
  provider: string | null;
  payment_id: string | null;
  paid_amount: number | string | null;
  paid_currency: string | null;
  payment_event: string | null;
}

/**
 * A provider's successful payment of `orderId`, as its webhook carries it: a Checkout Session
 * with the order as its client_reference_id (Stripe), a charge with the order in its metadata
 * (Paystack).
 */
function paymentOf(provider: ShopProvider, orderId: number) {
  if (provider === 'stripe') {
    const payload = samplePayload('stripe', 'checkout.session.completed', {
      data: { object: { client_reference_id: String(orderId) } },
    });
    const session = (payload.data as { object: Record<string, unknown> }).object;
    return {
      payload,
      paymentId: session.payment_intent as string,
      amount: session.amount_total as number,
      currency: String(session.currency).toUpperCase(),
    };
  }
  const payload = samplePayload('paystack', 'charge.success', {
    data: { metadata: { order_id: String(orderId) } },
  });
  const charge = payload.data as Record<string, unknown>;
  return {
    payload,
    paymentId: charge.reference as string,
    amount: charge.amount as number,
    currency: String(charge.currency).toUpperCase(),
  };
}

/** A full refund of the payment `paymentId`, naming no order: the shop finds it by its payment. */
function refundOf(provider: ShopProvider, paymentId: string) {
  if (provider === 'stripe') {
    return samplePayload('stripe', 'charge.refunded', {
      data: { object: { payment_intent: paymentId, metadata: {} } },
    });
  }
  return samplePayload('paystack', 'refund.processed', {
    data: { transaction_reference: paymentId },
  });
}

for (const dialect of DIALECTS)
  describe(`example shop on ${dialect}`, () => {
    let tmp: ReturnType<typeof tempDir>;
    let testDb: TestDatabase | undefined;
    let shop: Shop;
    let server: TestServer;
    const nodeEnv = process.env.NODE_ENV;
    /** What the warehouse call does in a test (the shop's `ship`). */
    let ship: (orderId: number) => Promise<void> = async () => {};

    before(async () => {
      process.env.NODE_ENV = 'test'; // the shop's receipt receiver prints nothing under test
      tmp = tempDir();
      testDb = dialect === 'postgres' ? await createTestDatabase('postgres') : undefined;
      shop = await createShop({
        filename: tmp.file('shop.sqlite3'),
        ...(testDb === undefined ? {} : { knexConfig: testDb.config() }),
        host: 'localhost:3000',
        stripeSecret: DEFAULT_SECRET,
        // Stripe's answer for a paid session of the order its client_reference_id names (the
        // page's session id is `cs_order_<id>` here).
        retrieveCheckoutSession: async (id) => ({
          payment_status: 'paid',
          client_reference_id: id.replace(/^cs_order_/, ''),
        }),
        ship: (orderId) => ship(orderId),
      });
      server = await listen(shop.app);
    });

    after(async () => {
      await server.close();
      await shop.close();
      await testDb?.cleanup();
      tmp.remove();
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    });

    const createOrder = async () => {
      const res = await fetch(`${server.origin}/orders`, { method: 'POST' });
      expect(res.status).to.equal(201);
      return (await res.json()) as { id: number; status: string };
    };
    const order = async (id: number) =>
      (await (await fetch(`${server.origin}/orders/${id}`)).json()) as Order;
    const send = async (
      provider: ShopProvider,
      payload: object,
      secret: string = SECRETS[provider],
    ) => {
      const { body, headers } = signWebhook(provider, { secret, payload });
      return post(`${server.origin}/payments/process/${provider}/`, body, headers);
    };
    const deliveries = async (eventId: string, variant: ShopProvider) =>
      ((await shop.pay.events.get(eventId, variant))?.deliveries ?? []).map((d) => [
        d.receiver,
        d.status,
      ]);

    for (const provider of ['stripe', 'paystack'] as const) {
      it(`marks an order paid from payment:succeeded, and refunded from payment:refunded, on ${provider}`, async () => {
        const { id } = await createOrder();
        const paid = paymentOf(provider, id);
        const res = await send(provider, paid.payload);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const eventId = (res.body as { event: string }).event;
        const after = await order(id);
        expect(after).to.include({
          status: 'paid',
          provider,
          payment_id: paid.paymentId,
          paid_currency: paid.currency,
          payment_event: eventId,
        });
        // Integer minor units from either provider (Postgres returns a bigint as a string).
        expect(Number(after.paid_amount)).to.equal(paid.amount);
        expect(await deliveries(eventId, provider)).to.deep.equal([
          ['orders.mark-paid', 'succeeded'],
          ['orders.fulfil', 'succeeded'],
          ['orders.send-receipt', 'succeeded'],
        ]);

        const refunded = await send(provider, refundOf(provider, paid.paymentId));
        expect(refunded.status).to.equal(200);
        expect(await order(id)).to.include({
          status: 'refunded',
          payment_event: (refunded.body as { event: string }).event,
        });
      });
    }

    it('marks an order paid once when Checkout and its PaymentIntent both report the payment', async () => {
      const { id } = await createOrder();
      const paid = paymentOf('stripe', id);
      const intent = samplePayload('stripe', 'payment_intent.succeeded', {
        data: { object: { id: paid.paymentId, metadata: { order_id: String(id) } } },
      });
      const first = await send('stripe', paid.payload);
      const second = await send('stripe', intent);
      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect(await order(id)).to.include({
        status: 'paid',
        payment_event: (first.body as { event: string }).event,
      });
      // The second event reports the same payment: its signal is not emitted again.
      expect(await deliveries((second.body as { event: string }).event, 'stripe')).to.deep.equal(
        [],
      );
    });

    describe('fulfils an order once, whichever of the checkout-success page and the webhook comes first', () => {
      /** The Stripe webhook of the order's payment; resolves with the answer. */
      const webhook = async (id: number) => {
        const res = await send('stripe', paymentOf('stripe', id).payload);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        return (res.body as { event: string }).event;
      };
      /** The customer's return to the shop from Stripe Checkout. */
      const successPage = async (id: number) => {
        const res = await fetch(
          `${server.origin}/orders/${id}/checkout-success?session_id=cs_order_${id}`,
        );
        expect(res.status).to.equal(200);
        return (await res.json()) as { fulfilled: boolean; fulfilledNow: boolean };
      };
      const fulfilments = (id: number) =>
        shop.knex('fulfilments').where({ order_id: id }).pluck('source');

      afterEach(() => {
        ship = async () => {};
      });

      it('the webhook before the page', async () => {
        const { id } = await createOrder();
        const eventId = await webhook(id);
        expect(await successPage(id)).to.include({ fulfilled: true, fulfilledNow: false });
        expect(await fulfilments(id)).to.deep.equal(['webhook']);
        expect((await order(id)).status).to.equal('paid');
        expect(await deliveries(eventId, 'stripe')).to.deep.include(['orders.fulfil', 'succeeded']);
      });

      it('the webhook during the page', async () => {
        const { id } = await createOrder();
        // The page's fulfilment is held at the warehouse call while the webhook comes in.
        const hold = gate();
        const shipping: number[] = [];
        ship = async (orderId) => {
          shipping.push(orderId);
          await hold.opened;
        };
        const page = successPage(id);
        await until(() => shipping.includes(id));
        const hook = webhook(id);
        // Stored and marked paid while the page still fulfils; its fulfil receiver waits for the
        // page's run.
        await until(async () => (await order(id)).status === 'paid');
        hold.open();
        expect(await page).to.include({ fulfilled: true, fulfilledNow: true });
        const eventId = await hook;
        expect(await fulfilments(id)).to.deep.equal(['page']);
        expect(shipping).to.deep.equal([id]);
        expect(await deliveries(eventId, 'stripe')).to.deep.include(['orders.fulfil', 'succeeded']);
      });

      it('the webhook after the page', async () => {
        const { id } = await createOrder();
        expect(await successPage(id)).to.include({ fulfilled: true, fulfilledNow: true });
        await webhook(id);
        expect(await fulfilments(id)).to.deep.equal(['page']);
        expect((await order(id)).status).to.equal('paid');
      });
    });

    it('refuses a webhook signed with another secret and leaves the order open', async () => {
      const { id } = await createOrder();
      for (const provider of ['stripe', 'paystack'] as const) {
        const res = await send(provider, paymentOf(provider, id).payload, 'sk_test_attacker');
        expect(res.status, provider).to.equal(400);
      }
      expect((await order(id)).status).to.equal('open');
    });

    if (dialect === 'sqlite')
      it('the printed send command marks an order paid', async () => {
        const { id } = await createOrder();
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            'tsx',
            'example-app/send.ts',
            'checkout.session.completed',
            '--order',
            String(id),
            '--url',
            server.origin,
          ],
          { env: { ...process.env, STRIPE_WEBHOOK_SECRET: undefined } },
        );
        expect(stdout).to.match(/^200 \{"received":true/);
        expect((await order(id)).status).to.equal('paid');
      });
  });
