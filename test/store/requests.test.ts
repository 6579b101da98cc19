import { expect } from 'chai';
import type { Knex } from 'knex';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { REQUEST_LOG_COLUMNS, RequestLog } from '../../src/store/requests.js';
import { tableNames } from '../../src/store/table-names.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/sync.js';

const SECRET = 'whsec_request_log';
const payload = {
  id: 'evt_log_1',
  type: 'charge.succeeded',
  created: 1_700_000_000,
  data: { object: { id: 'ch_1' } },
};

describe('request log rows', () => {
  it('have the keys of REQUEST_LOG_COLUMNS (the columns the SQLite fast path writes)', () => {
    const log = new RequestLog({} as Knex, tableNames('payments_'), 64, []);
    const row = log.row({
      variant: 'stripe',
      receivedAt: new Date(0),
      remoteIp: undefined,
      headers: { 'content-type': 'application/json' },
      rawBody: Buffer.from('{}'),
      valid: true,
      statusCode: 200,
      error: undefined,
      event: 1,
    });
    expect(Object.keys(row)).to.have.members([...REQUEST_LOG_COLUMNS]);
    expect(Object.keys(row)).to.have.lengthOf(REQUEST_LOG_COLUMNS.length);
  });
});

for (const dialect of DIALECTS)
  describe(`request log on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;

    async function start(settings: Partial<Parameters<typeof payments>[0]> = {}) {
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function noop() {});
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        bodyLimit: '8kb',
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }
    const url = () => `${server.origin}/payments/process/stripe/`;
    const lines = async (): Promise<any[]> =>
      (await db.reader('payments_requests').orderBy('id')).map((r: Record<string, any>) => ({
        ...r,
        valid: Boolean(r.valid),
        headers: JSON.parse(r.headers),
      }));

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      await server?.close();
      await pay?.close();
      await db.cleanup();
    });

    it('keeps every POST to a variant, valid or not, with its outcome', async () => {
      await start();
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, headers);
      await post(url(), body, { ...headers, 'stripe-signature': 't=1,v1=00' });
      await post(url(), 'x'.repeat(10_000), headers);
      await post(url(), body, headers); // duplicate
      const rows = await lines();
      const event = await db.reader('payments_events').first('id');
      expect(rows.map((r) => [r.variant, r.valid, r.status_code, r.error, r.event])).to.deep.equal([
        ['stripe', true, 200, null, event.id],
        ['stripe', false, 400, 'invalid_signature:no_matching_signature', null],
        ['stripe', false, 413, 'payload_too_large', null],
        ['stripe', true, 200, null, event.id],
      ]);
      // A body that stored an event is that event's payload: stored once, in the event row.
      expect(rows[0].body).to.equal(null);
      expect(rows[0].body_size).to.equal(Buffer.byteLength(body));
      expect(rows[1].body).to.equal(body);
      expect(rows[2].body).to.equal(null);
      expect(rows[2].body_size).to.equal(null);
      expect(rows[3].body).to.equal(null);
      const details = await pay.events.get(event.id);
      expect(details?.requests.map((r) => [r.body, r.bodySize])).to.deep.equal([
        [body, Buffer.byteLength(body)],
        [body, Buffer.byteLength(body)],
      ]);
      for (const row of rows) {
        expect(row.remote_ip).to.equal('127.0.0.1');
        expect(row.duration_ms).to.be.a('number').and.at.least(0);
      }
    });

    it('redacts credentials, cookies and provider secrets from the stored headers', async () => {
      await start();
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, {
        ...headers,
        authorization: 'Bearer sk_live_very_secret',
        cookie: 'session=abc',
        'verif-hash': 'flutterwave-secret-hash',
        'x-request-id': 'req_1',
      });
      const [row] = await lines();
      expect(row.headers).to.include({
        authorization: '[redacted]',
        cookie: '[redacted]',
        'verif-hash': '[redacted]',
        'x-request-id': 'req_1',
      });
      expect(row.headers['stripe-signature']).to.equal(headers['stripe-signature']);
      expect(JSON.stringify(row)).not.to.contain('very_secret');
      expect(JSON.stringify(row)).not.to.contain('session=abc');
    });

    it('truncates bodies to requestLog.maxBody', async () => {
      await start({ requestLog: { maxBody: 16 } });
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, headers);
      const [row] = await lines();
      expect(row.body_size).to.equal(Buffer.byteLength(body));
      const details = await pay.events.get('evt_log_1');
      expect(details?.requests[0]?.body).to.equal(body.slice(0, 16));
      expect(details?.payload).to.deep.equal(payload);
      // A refused body is stored truncated.
      await post(url(), body, { ...headers, 'stripe-signature': 't=1,v1=00' });
      expect((await lines())[1].body).to.equal(body.slice(0, 16));
    });

    it('keeps the body of a redelivery whose bytes differ from the stored payload', async () => {
      await start();
      const first = signWebhook('stripe', { payload, secret: SECRET });
      const spaced = JSON.stringify(payload, null, 2);
      const second = signWebhook('stripe', { payload: spaced, secret: SECRET });
      expect((await post(url(), first.body, first.headers)).status).to.equal(200);
      const again = await post(url(), second.body, second.headers);
      expect(again.body.duplicate).to.equal(true);
      const rows = await lines();
      expect(rows.map((r) => r.body)).to.deep.equal([null, spaced]);
      const details = await pay.events.get('evt_log_1');
      expect(details?.requests.map((r) => r.body)).to.deep.equal([first.body, spaced]);
    });

    it('reads X-Forwarded-For only with trustProxy, without the port', async () => {
      await start();
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, { ...headers, 'x-forwarded-for': '198.51.100.4:5555, 10.0.0.1' });
      await pay.close();
      await server.close();
      await start({ trustProxy: true });
      await post(url(), body, { ...headers, 'x-forwarded-for': '198.51.100.4:5555, 10.0.0.1' });
      await post(url(), body, { ...headers, 'x-forwarded-for': '[2001:db8::7]:443' });
      expect((await lines()).map((r) => r.remote_ip)).to.deep.equal([
        '127.0.0.1',
        '198.51.100.4',
        '2001:db8::7',
      ]);
    });

    it('records a client on the IPv6 loopback as ::1', async () => {
      await start();
      const v6 = appWith(pay).listen(0, '::1');
      await new Promise<void>((resolve, reject) => {
        v6.once('listening', resolve);
        v6.once('error', reject);
      });
      try {
        const { port } = v6.address() as { port: number };
        const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
        const res = await post(`http://[::1]:${port}/payments/process/stripe/`, body, headers);
        expect(res.status).to.equal(200);
      } finally {
        v6.closeAllConnections();
        await new Promise((resolve) => v6.close(resolve));
      }
      expect((await lines())[0].remote_ip).to.equal('::1');
    });

    it('stores nothing with requestLog: false', async () => {
      await start({ requestLog: false });
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, headers);
      await post(url(), 'bad', headers);
      expect(await count(db.reader, 'payments_requests')).to.equal(0);
      expect(await count(db.reader, 'payments_events')).to.equal(1);
    });

    it('is pruned by the worker to the retention (30 days by default) when it starts', async () => {
      await start();
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, headers);
      await post(url(), 'bad', headers);
      await pay
        .knex('payments_requests')
        .where({ valid: false })
        .update({
          received_at: new Date(Date.now() - 31 * 86_400_000),
        });
      pay.startWorker();
      await until(async () => (await count(db.reader, 'payments_requests')) === 1);
      expect((await lines())[0].valid).to.equal(true);
      await pay.stopWorker();
    });

    it('prunes lines older than a date or an age, and keeps events by default', async () => {
      await start();
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      await post(url(), body, headers);
      await post(url(), 'bad', headers);
      await pay
        .knex('payments_requests')
        .update({ received_at: new Date(Date.now() - 40 * 86_400_000) });
      await post(url(), body, headers);
      expect(await pay.prune({ requests: 30 * 86_400_000 })).to.include({
        requests: 2,
        events: 0,
      });
      expect(await count(db.reader, 'payments_requests')).to.equal(1);
      // The configured retention (30 days), counted first, then applied.
      const now = Date.now();
      await pay.knex('payments_requests').update({ received_at: new Date(now - 31 * 86_400_000) });
      const counted = await pay.prune({ dryRun: true });
      expect(counted).to.deep.include({ requests: 1, events: 0, dryRun: true });
      expect(counted.before.events).to.equal(null);
      expect(await count(db.reader, 'payments_requests')).to.equal(1);
      expect((await pay.prune()).requests).to.equal(1);
      expect(await count(db.reader, 'payments_requests')).to.equal(0);
      expect(await count(db.reader, 'payments_events')).to.equal(1);
    });

    it('prunes in batches, each its own statement, down to the cut-off', async () => {
      await start();
      const old = new Date(Date.now() - 40 * 86_400_000);
      const lines = Array.from({ length: 7 }, (_, i) => ({
        variant: 'stripe',
        received_at: i < 5 ? old : new Date(),
        headers: '{}',
        body_size: 0,
        valid: false,
        status_code: 400,
        duration_ms: 1,
      }));
      await pay.knex('payments_requests').insert(lines);
      const deletes: string[] = [];
      const seen = (q: { sql: string }) => {
        if (/^delete/i.test(q.sql)) deletes.push(q.sql);
      };
      pay.knex.on('query', seen);
      const log = new RequestLog(pay.knex, tableNames('payments_'), 64, []);
      const deleted = await log.prune(new Date(Date.now() - 30 * 86_400_000), 2);
      pay.knex.off('query', seen);
      expect(deleted).to.equal(5);
      expect(deletes.length, 'batches of 2, 2 and 1').to.equal(3);
      expect(await count(db.reader, 'payments_requests')).to.equal(2);
    });
  });
