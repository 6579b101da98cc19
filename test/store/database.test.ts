/** The `database` setting as a string (src/store/database.ts): connection strings and paths. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import {
  count,
  createTestDatabase,
  postgresConnection,
  type TestDatabase,
} from '../helpers/databases.js';
import { configurationErrorOf, webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';

const SECRET = 'whsec_database_test';
const stripe = { provider: 'stripe', endpointSecret: SECRET } as const;

function make(database: string): Payments {
  return payments({
    database,
    registry: createRegistry(),
    logger: false,
    worker: false,
    variants: { stripe },
  });
}

/** Stores one webhook through `pay`. */
async function storeOne(pay: Payments, id: string): Promise<void> {
  const payload = { id, object: 'event', type: 'charge.succeeded', created: 1, data: {} };
  const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
  const received = await pay.receive('stripe', webhookRequest(body, headers));
  await received.dispatched;
}

describe('database as a connection string', () => {
  let db: TestDatabase;
  let url: string;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    const { host, port, user, password } = postgresConnection();
    const { database } = db.config().connection as Knex.PgConnectionConfig;
    url = `${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
  });
  afterEach(() => db.cleanup());

  for (const scheme of ['postgres', 'postgresql'])
    it(`stores events on Postgres given a ${scheme}:// URL`, async () => {
      const pay = make(`${scheme}://${url}`);
      try {
        expect(pay.knex.client.config.client).to.equal('pg');
        await pay.migrate();
        await storeOne(pay, `evt_${scheme}`);
      } finally {
        await pay.close();
      }
      const rows = await db.reader('payments_events').select('event_id');
      expect(rows).to.deep.equal([{ event_id: `evt_${scheme}` }]);
    });
});

describe('database as a SQLite path or file: URL', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  const forms: [string, (file: string) => string][] = [
    ['a path', (file) => file],
    ['a file:/// URL', (file) => pathToFileURL(file).href],
    ["SQLite's file:path form", (file) => `file:${file}`],
  ];
  for (const [name, form] of forms)
    it(`stores events in that SQLite file given ${name}`, async () => {
      const file = tmp.file('shop data.sqlite3');
      const pay = make(form(file));
      try {
        await pay.migrate();
        await storeOne(pay, 'evt_sqlite');
      } finally {
        await pay.close();
      }
      expect(existsSync(file)).to.equal(true);
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: file },
        useNullAsDefault: true,
      });
      try {
        expect(await count(knex, 'payments_events')).to.equal(1);
      } finally {
        await knex.destroy();
      }
    });
});

describe('database strings that are refused', () => {
  const refused: [string, RegExp][] = [
    ['mysql://shop:s3cret-pw@db.internal/shop', /a mysql: URL is not supported/],
    ['http://db.internal:5432/shop', /a http: URL is not supported/],
    ['sqlite:///var/lib/shop.db', /a sqlite: URL is not supported.*file: URL/],
    ['', /is an empty string/],
    ['   ', /is an empty string/],
    ['file://db.internal/shop.db', /not a local file: URL/],
    ['file:///tmp/shop.db?mode=ro', /takes no query/],
  ];
  for (const [value, message] of refused)
    it(`refuses ${JSON.stringify(value)} at payments(), naming the option`, () => {
      const error = configurationErrorOf(() => make(value));
      expect(error.option).to.equal('database');
      expect(error.message).to.match(message);
      expect(error.message).not.to.contain('s3cret-pw');
    });

  it('says to install pg when a Postgres URL is given without it', () => {
    // Knex and this check both resolve the driver through Node's CommonJS resolver.
    const Module = createRequire(import.meta.url)('node:module') as {
      _resolveFilename: (request: string, ...rest: unknown[]) => string;
    };
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request: string, ...rest: unknown[]) {
      if (request === 'pg') {
        throw Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' });
      }
      return resolve.call(this, request, ...rest);
    };
    try {
      for (const database of [
        'postgres://shop@localhost/shop',
        { client: 'pg', connection: 'postgres://shop@localhost/shop' },
      ]) {
        const error = configurationErrorOf(() =>
          payments({ database, registry: createRegistry(), worker: false, variants: { stripe } }),
        );
        expect(error.option).to.equal('database');
        expect(error.message).to.match(/needs the pg package.*npm install pg/);
      }
    } finally {
      Module._resolveFilename = resolve;
    }
  });
});
