/**
 * The braintree provider over HTTP, on SQLite and Postgres: a form-encoded body goes through the
 * same body limit and raw-body rules as a JSON one, is verified before anything parses it, and the
 * event stores the notification it carries as JSON.
 */
import braintreeSdk from 'braintree';
import { expect } from 'chai';
import Koa from 'koa';
import { koaBody } from 'koa-body';
import bodyParser from 'koa-bodyparser';
import { createRegistry, type Payments, payments } from '../../../src/index.js';
import type { StoredEvent } from '../../../src/store/types.js';
import { samplePayload, sendWebhook, signWebhook } from '../../../src/testing/index.js';
import { runMain, writeConfig } from '../../cli/run.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../../helpers/databases.js';
import { recordingLogger } from '../../helpers/logs.js';
import { servedForEach } from '../../helpers/provider.js';
import { appWith, listen, post, type TestServer, tempDir } from '../../helpers/server.js';

const PUBLIC_KEY = 'kp4xq2zb7m9w3d6t';
const PRIVATE_KEY = '3f8a1c9e5b7d2f4a6c8e0b1d3f5a7c9e';
const VARIANT = { provider: 'braintree', publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY } as const;

function signed(payload: unknown, privateKey = PRIVATE_KEY) {
  return signWebhook('braintree', {
    payload,
    secret: privateKey,
    options: { publicKey: PUBLIC_KEY },
  });
}

for (const dialect of DIALECTS)
  describe(`braintree provider over HTTP on ${dialect}`, () => {
    const received: { type: string; data: unknown; event: StoredEvent }[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('*', async function record({ type, data, event }) {
        received.push({ type, data, event });
      });
      return { host: 'shop.test', database: db.setting, registry, variants: { bt: VARIANT } };
    });

    const url = () => served.url('bt');

    it('stores a form-encoded notification as JSON, runs its receiver with the subject and answers 200', async () => {
      const payload = samplePayload('braintree', 'transaction_settled');
      const { body, headers } = signed(payload);
      const res = await post(url(), body, headers);
      const id = `transaction_settled:${payload.subject.transaction.id}:${payload.timestamp}`;
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: id, duplicate: false });
      const plain = JSON.parse(JSON.stringify(payload));
      expect(received.map((r) => [r.type, r.data])).to.deep.equal([
        ['transaction_settled', plain.subject],
      ]);
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        provider: 'braintree',
        event_id: id,
        type: 'transaction_settled',
      });
      expect(JSON.parse(rows[0].payload)).to.deep.equal(plain);
      // The request log keeps the form as received, since the event holds its decoded payload.
      const [line] = await served.pay.knex('payments_requests').select('body', 'valid');
      expect(line.body).to.equal(body);
    });

    it('accepts the sample notification of the official braintree package', async () => {
      const gateway = new braintreeSdk.BraintreeGateway({
        environment: braintreeSdk.Environment.Sandbox,
        merchantId: 'koa_payments_test',
        publicKey: PUBLIC_KEY,
        privateKey: PRIVATE_KEY,
      });
      const sample = await gateway.webhookTesting.sampleNotification('dispute_opened', 'dp_sdk_1');
      const res = await post(url(), new URLSearchParams({ ...sample }).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).to.equal(200);
      expect(res.body.event).to.match(/^dispute_opened:dp_sdk_1:/);
      expect(received[0]?.data).to.have.nested.property('dispute.id', 'dp_sdk_1');
    });

    it('answers a redelivery as a duplicate, even with its trailing newline stripped', async () => {
      const payload = samplePayload('braintree', 'subscription_charged_successfully');
      const first = signed(payload);
      expect((await post(url(), first.body, first.headers)).body.duplicate).to.equal(false);
      const fields = new URLSearchParams(first.body);
      fields.set('bt_payload', (fields.get('bt_payload') as string).replace(/\n$/, ''));
      const res = await post(url(), fields.toString(), first.headers);
      expect(res.status).to.equal(200);
      expect(res.body.duplicate).to.equal(true);
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const payload = samplePayload('braintree', 'dispute_won');
      const good = signed(payload);
      const field = (body: string, name: string) =>
        encodeURIComponent(new URLSearchParams(body).get(name) as string);
      const other = signed(samplePayload('braintree', 'dispute_lost')).body;
      const cases: [string, string][] = [
        ['missing_signature', `bt_payload=${field(good.body, 'bt_payload')}`],
        ['malformed_signature', 'bt_signature=nopair&bt_payload=x'],
        ['no_matching_signature', signed(payload, 'another-private-key').body],
        [
          'no_matching_signature',
          `bt_signature=${field(good.body, 'bt_signature')}&bt_payload=${field(other, 'bt_payload')}`,
        ],
        ['invalid_payload', signed('<notification><kind>x</kind>').body],
      ];
      for (const [reason, body] of cases) {
        const res = await post(url(), body, good.headers);
        expect(res.status, reason).to.equal(400);
        expect(res.body.error, reason).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(PRIVATE_KEY);
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });

    it('is sent by sendWebhook from the variant settings, through pay.receive() too', async () => {
      const overHttp = await sendWebhook(served.server.origin, 'bt', 'dispute_opened', {
        settings: VARIANT,
      });
      expect(overHttp.status).to.equal(200);
      expect(overHttp.request.headers['content-type']).to.equal(
        'application/x-www-form-urlencoded',
      );
      const direct = await sendWebhook(served.pay, 'bt', 'transaction_settlement_declined', {
        settings: VARIANT,
        data: { transaction: { orderId: 'order-42' } },
      });
      expect(direct.status).to.equal(200);
      expect(received.map((r) => r.type)).to.deep.equal([
        'dispute_opened',
        'transaction_settlement_declined',
      ]);
      expect(received[1]?.data).to.have.nested.property('transaction.orderId', 'order-42');
    });
  });

for (const dialect of DIALECTS)
  describe(`a braintree form body and the body rules, on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer | undefined;

    function make(bodyLimit?: number): Payments {
      return payments({
        database: db.setting,
        registry: createRegistry(),
        worker: false,
        logger: recordingLogger(),
        ...(bodyLimit === undefined ? {} : { bodyLimit }),
        variants: { bt: VARIANT },
      });
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      pay = make();
      await pay.migrate();
    });

    afterEach(async () => {
      await server?.close();
      server = undefined;
      await pay.close();
      await db.cleanup();
    });

    const path = '/payments/process/bt/';

    it('answers 413 payload_too_large for a form over bodyLimit, storing nothing', async () => {
      await pay.close();
      pay = make(1024);
      server = await listen(appWith(pay));
      const payload = samplePayload('braintree', 'transaction_settled', {
        subject: { transaction: { description: 'x'.repeat(2048) } },
      });
      const { body, headers } = signed(payload);
      const res = await post(`${server.origin}${path}`, body, headers);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
    });

    it('uses the raw form koa-bodyparser kept when it parsed the form first', async () => {
      const app = new Koa();
      app.use(bodyParser());
      app.use(pay.middleware);
      server = await listen(app);
      const { body, headers } = signed(samplePayload('braintree', 'dispute_opened'));
      const res = await post(`${server.origin}${path}`, body, headers);
      expect(res.status).to.equal(200);
      expect(await count(pay.knex, 'payments_events')).to.equal(1);
    });

    it("uses koa-body's unparsed form with includeUnparsed, and answers 500 raw_body_unavailable without it", async () => {
      const keeping = new Koa();
      keeping.use(koaBody({ includeUnparsed: true }));
      keeping.use(pay.middleware);
      server = await listen(keeping);
      const first = signed(samplePayload('braintree', 'dispute_opened'));
      expect((await post(`${server.origin}${path}`, first.body, first.headers)).status).to.equal(
        200,
      );
      await server.close();
      const eating = new Koa();
      eating.use(koaBody());
      eating.use(pay.middleware);
      server = await listen(eating);
      const second = signed(samplePayload('braintree', 'dispute_lost'));
      const res = await post(`${server.origin}${path}`, second.body, second.headers);
      expect(res.status).to.equal(500);
      expect(res.body.error.code).to.equal('raw_body_unavailable');
      expect(await count(pay.knex, 'payments_events')).to.equal(1);
    });
  });

describe('koa-payments send to a braintree variant', () => {
  it('signs a sample with the variant keys and posts it as a form', async () => {
    const tmp = tempDir();
    const registry = createRegistry();
    const kinds: string[] = [];
    registry.receiver('*', async function record({ type }) {
      kinds.push(type);
    });
    const pay = payments({
      registry,
      database: tmp.file(),
      worker: false,
      variants: { bt: VARIANT },
    });
    await pay.migrate();
    const server = await listen(appWith(pay));
    try {
      const config = writeConfig(
        tmp.dir,
        'braintree.mjs',
        `export default { database: ${JSON.stringify(tmp.file())}, variants: { bt: ${JSON.stringify(VARIANT)} } };\n`,
      );
      const { code, stdout } = await runMain([
        'send',
        'bt',
        'subscription_went_past_due',
        '--url',
        server.origin,
        '--config',
        config,
      ]);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^200 \{"received":true,"event":"subscription_went_past_due:/);
      expect(kinds).to.deep.equal(['subscription_went_past_due']);
    } finally {
      await server.close();
      await pay.close();
      tmp.remove();
    }
  });
});
