/**
 * A small shop: an orders table, a JSON API, and koa-payments marking orders paid or refunded
 * from Stripe and Paystack webhooks, with one set of receivers. `server.ts` runs it; the tests
 * build it with `createShop()`.
 */
import Router from '@koa/router';
import knexFactory, { type Knex } from 'knex';
import Koa from 'koa';
import { type Payments, payments } from 'koa-payments';
import { DEFAULT_PAYSTACK_SECRET } from './config.js';
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
      await pay.close();
      await knex.destroy();
    },
  };
}
