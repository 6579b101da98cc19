/** Warnings about events no receiver listens to (src/signals/coverage.ts). */
import { expect } from 'chai';
import Koa from 'koa';
import { createRegistry, type Payments, payments, type Registry } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { webhookRequest } from '../helpers/provider.js';
import { listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_coverage_test';

describe('warnings about events no receiver listens to', () => {
  let db: TestDatabase;
  let registry: Registry;
  let pay: Payments;
  let server: TestServer | undefined;
  let logger: ReturnType<typeof recordingLogger>;

  async function start() {
    pay = payments({
      database: db.setting,
      registry,
      logger,
      worker: false,
      variants: {
        stripe: { provider: 'stripe', endpointSecret: SECRET },
        'stripe-eu': { provider: 'stripe', endpointSecret: SECRET },
      },
    });
    await pay.migrate();
    const app = new Koa();
    app.use(pay.middleware);
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    server = await listen(app);
  }

  async function send(variant: string, id: string, type: string): Promise<number> {
    const payload = { id, object: 'event', type, created: 1, data: { object: {} } };
    const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
    const origin = (server as TestServer).origin;
    return (await post(`${origin}/payments/process/${variant}/`, body, headers)).status;
  }

  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
    registry = createRegistry();
    logger = recordingLogger();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await pay?.close();
    await db.cleanup();
  });

  it('warns once per variant and type that an event was stored with no receiver', async () => {
    registry.receiver('charge.succeeded', async function bookRevenue() {});
    await start();
    expect(await send('stripe', 'evt_1', 'customer.created')).to.equal(200);
    expect(await send('stripe', 'evt_2', 'customer.created')).to.equal(200);
    expect(await send('stripe', 'evt_2', 'customer.created')).to.equal(200); // a redelivery
    expect(await send('stripe-eu', 'evt_3', 'customer.created')).to.equal(200);
    expect(await send('stripe', 'evt_4', 'charge.succeeded')).to.equal(200);
    expect(logger.at('warn').map((e) => e.fields)).to.deep.equal([
      { variant: 'stripe', type: 'customer.created', eventId: 'evt_1' },
      { variant: 'stripe-eu', type: 'customer.created', eventId: 'evt_3' },
    ]);
    expect(logger.at('warn')[0]?.message).to.match(
      /no receiver matches this event type; its events are stored as ignored.*imported/,
    );
    const statuses = await db.reader('payments_events').orderBy('id').pluck('status');
    expect(statuses).to.deep.equal(['ignored', 'ignored', 'ignored', 'processed']);
  });

  it('warns on the first request, not at migrate(), when no receiver is registered', async () => {
    await start();
    expect(logger.at('warn')).to.deep.equal([]);
    expect((await fetch(`${(server as TestServer).origin}/health`)).status).to.equal(200);
    expect((await fetch(`${(server as TestServer).origin}/health`)).status).to.equal(200);
    expect(logger.at('warn').map((e) => e.message)).to.deep.equal([
      'koa-payments: no receivers are registered, so every webhook is stored as ignored. ' +
        'Make sure the modules that register receivers are imported before webhooks arrive ' +
        '(a decorated class registers only when its module is loaded), and that payments() is ' +
        'given the registry they write to.',
    ]);
  });

  it('warns on the first pay.receive() too, when no receiver is registered', async () => {
    await start();
    const payload = { id: 'evt_direct', object: 'event', type: 'charge.succeeded', created: 1 };
    const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
    await (await pay.receive('stripe', webhookRequest(body, headers))).dispatched;
    expect(logger.at('warn').map((e) => e.message)).to.have.length(2);
    expect(logger.at('warn')[0]?.message).to.match(/no receivers are registered/);
    expect(logger.at('warn')[1]?.fields).to.deep.equal({
      variant: 'stripe',
      type: 'charge.succeeded',
      eventId: 'evt_direct',
    });
  });

  it('does not warn when receivers are registered', async () => {
    registry.receiver('*', async function auditLog() {});
    await start();
    expect(await send('stripe', 'evt_5', 'customer.created')).to.equal(200);
    expect(logger.at('warn')).to.deep.equal([]);
  });
});
