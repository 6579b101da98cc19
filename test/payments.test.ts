/** The instance's lifecycle (src/payments.ts): close() with receivers still running. */
import { expect } from 'chai';
import { createRegistry, payments } from '../src/index.js';
import { signWebhook } from '../src/testing/index.js';
import { createTestDatabase } from './helpers/databases.js';
import { appWith, listen, post } from './helpers/server.js';
import { gate } from './helpers/sync.js';

const SECRET = 'whsec_payments_test';

describe('close() with a receiver that never finishes', () => {
  it('gives up after timeoutMs, warns, and leaves the delivery to be retried after its lease', async () => {
    const db = await createTestDatabase('sqlite');
    const registry = createRegistry();
    const started = gate();
    registry.receiver('charge.succeeded', async function stuck() {
      started.open();
      await new Promise(() => {});
    });
    const warnings: string[] = [];
    const pay = payments({
      database: db.setting,
      registry,
      dispatch: 'background',
      logger: { debug() {}, info() {}, warn: (_f, m) => warnings.push(m), error() {} },
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
    const server = await listen(appWith(pay));
    try {
      const payload = {
        id: 'evt_stuck',
        type: 'charge.succeeded',
        created: 1_700_000_000,
        data: { object: { id: 'ch_stuck' } },
      };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      expect(
        (await post(`${server.origin}/payments/process/stripe/`, body, headers)).status,
      ).to.equal(200);
      await started.opened;
      await pay.close({ timeoutMs: 50 });
      expect(warnings).to.deep.equal([
        'koa-payments: closing with receivers still running; their leases expire and they are retried',
      ]);
      const row = await db.reader('payments_deliveries').first('status', 'attempts');
      expect(row).to.deep.equal({ status: 'pending', attempts: 0 });
    } finally {
      await server.close();
      await db.cleanup();
    }
  });
});
