import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DEFAULT_SECRET } from '../example-app/config.js';
import { createShop, type Shop } from '../example-app/shop.js';
import { signWebhook } from '../src/testing/index.js';
import { listen, post, type TestServer, tempDir } from './helpers/server.js';

const run = promisify(execFile);

describe('example shop', () => {
  let tmp: ReturnType<typeof tempDir>;
  let shop: Shop;
  let server: TestServer;

  before(async () => {
    tmp = tempDir();
    shop = await createShop({
      filename: tmp.file('shop.sqlite3'),
      host: 'localhost:3000',
      stripeSecret: DEFAULT_SECRET,
    });
    server = await listen(shop.app);
  });

  after(async () => {
    await server.close();
    await shop.close();
    tmp.remove();
  });

  const createOrder = async () => {
    const res = await fetch(`${server.origin}/orders`, { method: 'POST' });
    expect(res.status).to.equal(201);
    return (await res.json()) as { id: number; status: string };
  };
  const order = async (id: number) =>
    (await (await fetch(`${server.origin}/orders/${id}`)).json()) as {
      status: string;
      payment_event: string;
    };

  it('marks an order paid on checkout.session.completed and refunded on charge.refunded', async () => {
    const { id } = await createOrder();
    const paid = signWebhook('stripe', {
      secret: DEFAULT_SECRET,
      payload: {
        id: 'evt_shop_paid',
        type: 'checkout.session.completed',
        data: { object: { id: 'cs_test_1', client_reference_id: String(id) } },
      },
    });
    const res = await post(`${server.origin}/payments/process/stripe/`, paid.body, paid.headers);
    expect(res.status).to.equal(200);
    expect(await order(id)).to.include({ status: 'paid', payment_event: 'evt_shop_paid' });

    const refunded = signWebhook('stripe', {
      secret: DEFAULT_SECRET,
      payload: {
        id: 'evt_shop_refunded',
        type: 'charge.refunded',
        data: { object: { id: 'ch_1', metadata: { order_id: String(id) } } },
      },
    });
    await post(`${server.origin}/payments/process/stripe/`, refunded.body, refunded.headers);
    expect(await order(id)).to.include({ status: 'refunded', payment_event: 'evt_shop_refunded' });
  });

  it('marks an order paid on payment_intent.succeeded', async () => {
    const { id } = await createOrder();
    const { body, headers } = signWebhook('stripe', {
      secret: DEFAULT_SECRET,
      payload: {
        id: 'evt_shop_intent',
        type: 'payment_intent.succeeded',
        data: { object: { id: 'pi_1', metadata: { order_id: String(id) } } },
      },
    });
    await post(`${server.origin}/payments/process/stripe/`, body, headers);
    expect((await order(id)).status).to.equal('paid');
  });

  it('refuses a webhook signed with another secret and leaves the order open', async () => {
    const { id } = await createOrder();
    const { body, headers } = signWebhook('stripe', {
      secret: 'whsec_attacker',
      payload: {
        id: 'evt_forged',
        type: 'checkout.session.completed',
        data: { object: { client_reference_id: String(id) } },
      },
    });
    const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
    expect(res.status).to.equal(400);
    expect((await order(id)).status).to.equal('open');
  });

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
