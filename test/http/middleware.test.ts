import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { koaBody } from 'koa-body';
import bodyParser from 'koa-bodyparser';
import { createRegistry, type Logger, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_middleware_test';

function event(id = 'evt_middleware_1') {
  return {
    id,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: 1_700_000_000,
    livemode: false,
    data: { object: { id: 'pi_1', amount: 500 } },
  };
}

for (const dialect of DIALECTS)
  describe(`payments middleware on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer | undefined;
    let calls: unknown[];
    const logs: { level: string; message: string }[] = [];
    const logger: Logger = {
      debug: (_f, message) => logs.push({ level: 'debug', message }),
      info: (_f, message) => logs.push({ level: 'info', message }),
      warn: (_f, message) => logs.push({ level: 'warn', message }),
      error: (_f, message) => logs.push({ level: 'error', message }),
    };

    function make(settings: Partial<Parameters<typeof payments>[0]> = {}): Payments {
      const registry = createRegistry();
      registry.receiver('payment_intent.succeeded', async function record({ data }) {
        calls.push(data);
      });
      return payments({
        host: 'shop.test',
        database: db.setting,
        registry,
        logger,
        variants: {
          stripe: { provider: 'stripe', endpointSecret: SECRET },
          'stripe-eu_2': { provider: 'stripe', endpointSecret: SECRET },
        },
        ...settings,
      });
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      calls = [];
      logs.length = 0;
      pay = make();
      await pay.migrate();
    });

    afterEach(async () => {
      await server?.close();
      server = undefined;
      await pay.close();
      await db.cleanup();
    });

    const signed = (payload: unknown = event()) =>
      signWebhook('stripe', { payload, secret: SECRET });

    it('is a named middleware', () => {
      expect(pay.middleware.name).to.equal('koaPayments');
    });

    it('builds the canonical webhook URL with a trailing slash', () => {
      expect(pay.webhookUrl('stripe')).to.equal('https://shop.test/payments/process/stripe/');
      expect(() => pay.webhookUrl('nope')).to.throw(/no variant named 'nope'/);
    });

    it('accepts the canonical URL and the slashless path', async () => {
      server = await listen(appWith(pay));
      const a = signed(event('evt_a'));
      const b = signed(event('evt_b'));
      const slash = await post(`${server.origin}/payments/process/stripe/`, a.body, a.headers);
      const bare = await post(`${server.origin}/payments/process/stripe`, b.body, b.headers);
      expect([slash.status, bare.status]).to.deep.equal([200, 200]);
      expect(calls).to.have.length(2);
    });

    it('routes variant names with digits, dashes and underscores', async () => {
      server = await listen(appWith(pay));
      const { body, headers } = signed();
      const res = await post(`${server.origin}/payments/process/stripe-eu_2/`, body, headers);
      expect(res.status).to.equal(200);
      const [row] = await pay.knex('payments_events').select('variant');
      expect(row.variant).to.equal('stripe-eu_2');
    });

    it('answers 405 with Allow: POST to any other method on a variant', async () => {
      server = await listen(appWith(pay));
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${server.origin}/payments/process/stripe/`, { method });
        expect(res.status, method).to.equal(405);
        expect(res.headers.get('allow')).to.equal('POST');
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
          'method_not_allowed',
        );
      }
    });

    it('answers 404 unknown_variant under the prefix', async () => {
      server = await listen(appWith(pay));
      const { body, headers } = signed();
      const res = await post(`${server.origin}/payments/process/paypal/`, body, headers);
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('unknown_variant');
      expect(res.headers.get('content-type')).to.match(/application\/json/);
    });

    it('calls next() for paths outside the prefix and deeper paths', async () => {
      server = await listen(appWith(pay));
      for (const path of [
        '/',
        '/payments',
        '/payments/process',
        '/payments/process/',
        '/payments/process/stripe/extra',
        '/other/stripe/',
      ]) {
        const res = await post(`${server.origin}${path}`, '{}');
        expect(res.status, path).to.equal(418);
        expect(res.body).to.deep.equal({ next: true });
      }
    });

    it('answers 413 payload_too_large above bodyLimit and stores nothing', async () => {
      await pay.close();
      pay = make({ bodyLimit: '1kb' });
      server = await listen(appWith(pay));
      const big = event();
      (big.data.object as Record<string, unknown>).padding = 'x'.repeat(2048);
      const { body, headers } = signed(big);
      const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
    });

    it('answers 413 for a chunked body (no Content-Length) above bodyLimit', async () => {
      await pay.close();
      pay = make({ bodyLimit: 1024 });
      server = await listen(appWith(pay));
      const chunks = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(512)));
          controller.close();
        },
      });
      const res = await fetch(`${server.origin}/payments/process/stripe/`, {
        method: 'POST',
        body: chunks,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).to.equal(413);
    });

    it('accepts the content type Stripe sends and does not require JSON content types', async () => {
      server = await listen(appWith(pay));
      const { body, headers } = signed();
      const res = await post(`${server.origin}/payments/process/stripe/`, body, {
        ...headers,
        'content-type': 'text/plain',
      });
      expect(res.status).to.equal(200);
    });

    it('works mounted under a @koa/router prefix', async () => {
      await pay.close();
      pay = make({ prefix: '/api/payments/process' });
      await pay.migrate();
      const app = new Koa();
      const api = new Router({ prefix: '/api' });
      api.all('/payments/process/:variant{/}', pay.middleware);
      api.get('/health', (ctx) => {
        ctx.body = { ok: true };
      });
      app.use(api.routes()).use(api.allowedMethods());
      server = await listen(app);
      expect(pay.webhookUrl('stripe')).to.equal('https://shop.test/api/payments/process/stripe/');
      const { body, headers } = signed();
      const ok = await post(`${server.origin}/api/payments/process/stripe/`, body, headers);
      expect(ok.status).to.equal(200);
      const again = signed();
      const bare = await post(
        `${server.origin}/api/payments/process/stripe`,
        again.body,
        again.headers,
      );
      expect(bare.status).to.equal(200);
      expect(bare.body.duplicate).to.equal(true);
      const get = await fetch(`${server.origin}/api/payments/process/stripe/`);
      expect(get.status).to.equal(405);
      const unknown = await post(`${server.origin}/api/payments/process/nope/`, body, headers);
      expect(unknown.status).to.equal(404);
      expect((await (await fetch(`${server.origin}/api/health`)).json()) as unknown).to.deep.equal({
        ok: true,
      });
      expect(calls).to.have.length(1);
    });

    it('uses the raw body koa-bodyparser kept when it ran first', async () => {
      const app = new Koa();
      app.use(bodyParser());
      app.use(pay.middleware);
      server = await listen(app);
      const { body, headers } = signed();
      const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
      expect(res.status).to.equal(200);
      expect(calls).to.deep.equal([event().data.object]);
    });

    it("uses koa-body's unparsed body when it ran first with includeUnparsed", async () => {
      const app = new Koa();
      app.use(koaBody({ includeUnparsed: true }));
      app.use(pay.middleware);
      server = await listen(app);
      const { body, headers } = signed();
      const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
      expect(res.status).to.equal(200);
    });

    it('answers 500 raw_body_unavailable when a body parser ate the body, and logs it once', async () => {
      const app = new Koa();
      app.use(koaBody());
      app.use(pay.middleware);
      server = await listen(app);
      for (const id of ['evt_x', 'evt_y']) {
        const { body, headers } = signed(event(id));
        const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
        expect(res.status).to.equal(500);
        expect(res.body.error.code).to.equal('raw_body_unavailable');
        expect(res.body.error.message).to.match(/before the body parser/);
      }
      expect(
        logs.filter((l) => l.level === 'error' && /raw request body/.test(l.message)),
      ).to.have.length(1);
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
    });
  });
