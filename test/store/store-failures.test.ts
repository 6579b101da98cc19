import { createServer } from 'node:net';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import knexFactory from 'knex';
import { createRegistry, type Payments, payments, type Registry } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer, tempDir } from '../helpers/server.js';

const SECRET = 'whsec_store_failures';
const payload = {
  id: 'evt_store_1',
  object: 'event',
  type: 'charge.succeeded',
  created: 1_700_000_000,
  data: { object: { id: 'ch_1' } },
};

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('store failures', () => {
  let tmp: ReturnType<typeof tempDir>;
  let registry: Registry;
  let runs: number;
  let pay: Payments | undefined;
  let server: TestServer | undefined;

  beforeEach(() => {
    tmp = tempDir();
    runs = 0;
    registry = createRegistry();
    registry.receiver('charge.succeeded', async function count() {
      runs += 1;
    });
  });

  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await server?.close();
    await pay?.close();
    server = undefined;
    pay = undefined;
    tmp.remove();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const send = () => {
    const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
    return post(`${server!.origin}/payments/process/stripe/`, body, headers);
  };

  it('answers 503 store_unavailable while SQLite stays busy past the timeout, half-writing nothing', async () => {
    pay = payments({
      database: { filename: tmp.file(), busyTimeoutMs: 100 },
      registry,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
    server = await listen(appWith(pay));
    const other = new Database(tmp.file());
    try {
      other.exec('BEGIN IMMEDIATE'); // holds the write lock
      const busy = await send();
      expect(busy.status).to.equal(503);
      expect(busy.body.error.code).to.equal('store_unavailable');
      other.exec('ROLLBACK');
      expect(other.prepare('SELECT count(*) AS n FROM payments_events').get()).to.deep.equal({
        n: 0,
      });
      expect(other.prepare('SELECT count(*) AS n FROM payments_deliveries').get()).to.deep.equal({
        n: 0,
      });
      expect(runs).to.equal(0);
      // The provider retries once the database is free: stored once, run once.
      const retried = await send();
      expect(retried.status).to.equal(200);
      expect(retried.body.duplicate).to.equal(false);
      expect(runs).to.equal(1);
    } finally {
      other.close();
    }
  });

  it('answers 503 when the database server cannot be reached', async () => {
    const port = await closedPort();
    const knex = knexFactory({
      client: 'pg',
      connection: { host: '127.0.0.1', port, user: 'nobody', database: 'nothing' },
      acquireConnectionTimeout: 2_000,
      pool: { min: 0, max: 2 },
      // Knex prints pool errors itself; the test asserts on the answer instead.
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    try {
      pay = payments({
        database: knex,
        registry,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      server = await listen(appWith(pay));
      const res = await send();
      expect(res.status).to.equal(503);
      expect(res.body.error).to.deep.equal({
        code: 'store_unavailable',
        message: 'The payment event store is unavailable; the event was not stored. Retry later.',
      });
      expect(runs).to.equal(0);
    } finally {
      await server?.close();
      server = undefined;
      await pay?.close();
      pay = undefined;
      await knex.destroy();
    }
  });

  it('answers 503 when the host destroyed its Knex instance, and never closes a host database', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
    });
    pay = payments({
      database: knex,
      registry,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
    server = await listen(appWith(pay));
    await pay.close();
    // The library did not close the host's database.
    expect(await knex('payments_events').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    pay = payments({
      database: knex,
      registry,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await server.close();
    server = await listen(appWith(pay));
    await knex.destroy();
    const res = await send();
    expect(res.status).to.equal(503);
    expect(res.body.error.code).to.equal('store_unavailable');
  });

  for (const dialect of DIALECTS)
    it(`answers 503 and logs the fix when the tables were never migrated, on ${dialect}`, async () => {
      const db = await createTestDatabase(dialect);
      cleanups.push(() => db.cleanup());
      const messages: string[] = [];
      const log = (_f: Record<string, unknown>, message: string) => {
        messages.push(message);
      };
      pay = payments({
        database: db.setting,
        registry,
        logger: { debug: log, info: log, warn: log, error: log },
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      server = await listen(appWith(pay));
      const res = await send();
      expect(res.status).to.equal(503);
      expect(messages.some((m) => m.includes('pay.migrate()'))).to.equal(true);
    });
});
