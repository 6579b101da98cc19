/**
 * A small shop: an orders table, a JSON API, and koa-payments marking orders paid or refunded
 * from Stripe and Paystack webhooks, with one set of receivers. An order is fulfilled once, by the
 * checkout-success page or by the webhook, whichever comes first (fulfilment.ts). `server.ts`
 * runs it; the tests build it with `createShop()`.
 */
import Router from '@koa/router';
import knexFactory, { type Knex } from 'knex';
import Koa from 'koa';
import { type Payments, payments } from 'koa-payments';
import { DEFAULT_PAYSTACK_SECRET } from './config.js';
import { fulfilOnce, useFulfilment } from './fulfilment.js';
import './receivers.js';

/** Options of the example shop. */
export interface ShopOptions {
  /** SQLite file holding both the orders and the payment events. */
  filename: string;
  /**
   * Another database for both instead of the SQLite file, as a Knex config (the tests run the
   * shop on Postgres too).
   */
  knexConfig?: Knex.Config;
  /** Public host (with port) for webhook URLs. */
  host: string;
  /** The Stripe endpoint secret (whsec_...). */
  stripeSecret: string;
  /**
   * The Paystack secret key (sk_...), which signs Paystack's webhooks.
   * @default the local demo's key (config.ts)
   */
  paystackSecret?: string;
  /**
   * Reads a Stripe Checkout Session, for the checkout-success page (with the stripe package:
   * `(id) => stripe.checkout.sessions.retrieve(id)`). Without it the page fulfils nothing and
   * leaves the order to the webhook.
   */
  retrieveCheckoutSession?: (id: string) => Promise<CheckoutSession>;
  /** The warehouse call fulfilment makes (a stand-in). @default does nothing */
  ship?: (orderId: number) => Promise<void>;
}

/** What the checkout-success page reads of a Checkout Session. */
export interface CheckoutSession {
  payment_status: string;
  client_reference_id: string | null;
}

/** The orders table, created on first start; columns added since are added to an older file. */
async function ensureOrders(knex: Knex): Promise<void> {
  const payment = (t: Knex.CreateTableBuilder) => {
    t.string('provider', 32).nullable();
    t.string('payment_id').nullable();
    t.bigInteger('paid_amount').nullable(); // minor units, as PaymentFacts gives them
    t.string('paid_currency', 3).nullable();
  };
  if (!(await knex.schema.hasTable('orders'))) {
    await knex.schema.createTable('orders', (t) => {
      t.increments('id');
      t.string('item').notNullable();
      t.integer('amount').notNullable();
      t.string('currency', 3).notNullable().defaultTo('eur');
      t.string('status', 16).notNullable().defaultTo('open');
      t.string('payment_event').nullable();
      payment(t);
    });
  } else if (!(await knex.schema.hasColumn('orders', 'payment_id'))) {
    await knex.schema.alterTable('orders', payment);
  }
  if (!(await knex.schema.hasTable('fulfilments'))) {
    // One row per fulfilment run: pay.runOnce keeps it to one per order.
    await knex.schema.createTable('fulfilments', (t) => {
      t.increments('id');
      t.integer('order_id').notNullable();
      t.string('source', 16).notNullable();
      t.timestamp('created_at').notNullable();
    });
  }
}

/** A running shop's parts. */
export interface Shop {
  app: Koa;
  pay: Payments;
  knex: Knex;
  close(): Promise<void>;
}

/** Builds the shop: one database (a SQLite file by default) shared by the orders and koa-payments. */
export async function createShop(options: ShopOptions): Promise<Shop> {
  // The shop's own database. koa-payments stores its events in the same one, so an atomic
  // receiver updates an order in the very transaction that stores the event.
  const knex = knexFactory(
    options.knexConfig ?? {
      client: 'better-sqlite3',
      connection: { filename: options.filename },
      useNullAsDefault: true,
      pool: {
        afterCreate(
          conn: { pragma(s: string): unknown },
          done: (e: Error | null, c: unknown) => void,
        ) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = FULL');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    },
  );
  await ensureOrders(knex);

  const pay = payments({
    host: options.host,
    protocol: 'http',
    database: knex,
    variants: {
      stripe: { provider: 'stripe', endpointSecret: options.stripeSecret },
      paystack: {
        provider: 'paystack',
        secretKey: options.paystackSecret ?? DEFAULT_PAYSTACK_SECRET,
      },
    },
  });
  await pay.migrate();
  useFulfilment({ pay, knex, ship: options.ship ?? (async () => {}) });

  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = {
      shop: 'koa-payments example',
      orders: '/orders',
      webhooks: { stripe: pay.webhookUrl('stripe'), paystack: pay.webhookUrl('paystack') },
    };
  });
  router.get('/orders', async (ctx) => {
    ctx.body = await knex('orders').orderBy('id');
  });
  router.get('/orders/:id', async (ctx) => {
    const order = await knex('orders')
      .where({ id: Number(ctx.params.id) })
      .first();
    if (order === undefined) ctx.throw(404, 'no such order');
    ctx.body = order;
  });
  // Where Stripe Checkout sends the customer back (success_url:
  // https://shop.example.com/orders/{id}/checkout-success?session_id={CHECKOUT_SESSION_ID}).
  // It may come before, during or after the webhook: both fulfil through pay.runOnce.
  router.get('/orders/:id/checkout-success', async (ctx) => {
    const id = Number(ctx.params.id);
    const sessionId = ctx.query.session_id;
    if (typeof sessionId !== 'string' || !Number.isInteger(id)) {
      ctx.status = 400;
      ctx.body = { error: 'expected /orders/<id>/checkout-success?session_id=cs_...' };
      return;
    }
    const session = await options.retrieveCheckoutSession?.(sessionId);
    if (session?.payment_status !== 'paid' || session.client_reference_id !== String(id)) {
      ctx.body = {
        order: id,
        fulfilled: false,
        message: 'We will confirm your payment by e-mail.',
      };
      return;
    }
    const { ran } = await fulfilOnce(id, 'page');
    ctx.body = { order: id, fulfilled: true, fulfilledNow: ran };
  });
  router.post('/orders', async (ctx) => {
    const [order] = await knex('orders')
      .insert({ item: 'Koa T-shirt', amount: 2500, currency: 'eur' })
      .returning('*');
    ctx.status = 201;
    ctx.body = order;
  });

  const app = new Koa();
  // The webhook middleware goes first: it needs the raw body, before any body parser.
  app.use(pay.middleware);
  app.use(router.routes()).use(router.allowedMethods());

  return {
    app,
    pay,
    knex,
    async close() {
      useFulfilment(undefined);
      await pay.close();
      await knex.destroy();
    },
  };
}
