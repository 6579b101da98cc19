/** Reading the raw body (src/http/raw-body.ts): a client that leaves mid-body. */
import { connect } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { listen, type TestServer } from '../helpers/server.js';
import { gate } from '../helpers/sync.js';

const SECRET = 'whsec_raw_body_test';

for (const dialect of DIALECTS)
  describe(`a client that closes the connection mid-body, on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer | undefined;
    let logger: ReturnType<typeof recordingLogger>;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      logger = recordingLogger();
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function markPaid() {});
      pay = payments({
        database: db.setting,
        registry,
        logger,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await pay.migrate();
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
      await pay.close();
      await db.cleanup();
    });

    /**
     * Serves `pay.middleware` behind `before`, sends the headers and half the body of a signed
     * webhook on a raw socket, waits for `arrived`, closes the socket, and resolves once the
     * middleware is done with the request.
     */
    async function abandonMidBody(
      before: (ctx: Koa.Context, arrived: () => void) => Promise<void>,
    ): Promise<void> {
      const arrived = gate();
      const handled = gate();
      const app = new Koa();
      app.silent = true; // Koa's own report of the broken connection
      app.use(async (ctx, next) => {
        await before(ctx, arrived.open);
        await next();
        handled.open();
      });
      app.use(pay.middleware);
      server = await listen(app);
      const payload = { id: 'evt_abandoned', type: 'charge.succeeded', created: 1, data: {} };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      const { port } = new URL(server.origin);
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      const head = Object.entries({ ...headers, 'content-length': String(body.length) })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`POST /payments/process/stripe/ HTTP/1.1\r\nhost: shop.test\r\n${head}\r\n`);
      socket.write(body.slice(0, Math.floor(body.length / 2)));
      await arrived.opened;
      socket.destroy();
      await handled.opened;
    }

    async function expectClientAborted(): Promise<void> {
      const lines = await db.reader('payments_requests').select('error', 'valid', 'status_code');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.deep.include({ error: 'client_aborted', status_code: 400 });
      expect(Boolean(lines[0].valid)).to.equal(false);
      expect(await db.reader('payments_events').count({ n: '*' }).first()).to.satisfy(
        (row: { n: number | string }) => Number(row.n) === 0,
      );
      expect(logger.at('error')).to.deep.equal([]);
      expect(logger.at('warn')).to.deep.equal([]);
      const refused = logger.at('debug').filter((entry) => entry.fields.code === 'client_aborted');
      expect(refused).to.have.length(1);
    }

    it('logs a client gone while the body was read as client_aborted, at debug', async () => {
      await abandonMidBody(async (_ctx, arrived) => {
        arrived(); // the middleware reads the body from here on
      });
      await expectClientAborted();
    });

    it('logs a client gone before the body was read as client_aborted, not raw_body_unavailable', async () => {
      // A middleware ahead of koa-payments is still busy when the client leaves.
      await abandonMidBody(async (ctx, arrived) => {
        const closed = new Promise((resolve) => ctx.req.once('close', resolve));
        arrived();
        await closed;
      });
      await expectClientAborted();
    });
  });
