/**
 * The koa-payments command's settings for the example shop: the same database, secrets and
 * receivers as server.ts. Run the command from this folder (`cd example-app`), or pass
 * `--config example-app/payments.config.ts`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PaymentsSettings } from 'koa-payments';
import { DEFAULT_PAYSTACK_SECRET, DEFAULT_SECRET } from './config.js';
import './receivers.js'; // the shop's receivers, for `replay`, `retry` and `worker`

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

export default {
  host: `localhost:${port}`,
  protocol: 'http',
  // server.ts resolves SHOP_DATABASE against the repository root (where `npm start` runs).
  database: resolve(root, process.env.SHOP_DATABASE ?? 'example-app/shop.sqlite3'),
  variants: {
    stripe: {
      provider: 'stripe',
      endpointSecret: process.env.STRIPE_WEBHOOK_SECRET || DEFAULT_SECRET,
    },
    paystack: {
      provider: 'paystack',
      secretKey: process.env.PAYSTACK_SECRET_KEY || DEFAULT_PAYSTACK_SECRET,
    },
  },
} satisfies PaymentsSettings;
