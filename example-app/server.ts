/**
 * `npm start`: runs the example shop on http://localhost:3000 with embedded SQLite.
 */
import { DEFAULT_PAYSTACK_SECRET, DEFAULT_SECRET } from './config.js';
import { createShop } from './shop.js';

const port = Number(process.env.PORT ?? 3000);
const shop = await createShop({
  filename: process.env.SHOP_DATABASE ?? 'example-app/shop.sqlite3',
  host: `localhost:${port}`,
  stripeSecret: process.env.STRIPE_WEBHOOK_SECRET || DEFAULT_SECRET,
  paystackSecret: process.env.PAYSTACK_SECRET_KEY || DEFAULT_PAYSTACK_SECRET,
});
if ((await shop.knex('orders').count({ n: '*' }))[0]?.n === 0) {
  await shop.knex('orders').insert({ item: 'Koa T-shirt', amount: 2500, currency: 'eur' });
}

const server = shop.app.listen(port, () => {
  console.log(
    `Example shop on http://localhost:${port}  (orders: http://localhost:${port}/orders)`,
  );
  console.log(`Stripe webhook URL: ${shop.pay.webhookUrl('stripe')}`);
  console.log(`Paystack webhook URL: ${shop.pay.webhookUrl('paystack')}`);
  console.log('Send a signed test event that marks order 1 paid:');
  const env = port === 3000 ? '' : `PORT=${port} `;
  console.log(
    `  cd example-app && ${env}npx koa-payments send stripe checkout.session.completed --data '{"client_reference_id":"1"}'`,
  );
});

async function stop() {
  server.close();
  await shop.close();
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
