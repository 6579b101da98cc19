/**
 * What the library asks of Knex beyond its documented API (src/store/knex-adapter.ts), asked of
 * the Knex installed: these fail when an upgrade changes one of them.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { dialectOfKnex, openDatabase } from '../../src/store/database.js';
import {
  acquireConnection,
  cacheStatements,
  clientName,
  discardConnection,
  isKnex,
  isTransaction,
  poolMax,
  preparer,
  type RawSqlite,
  releaseConnection,
  usesBetterSqlite3,
  usesPg,
} from '../../src/store/knex-adapter.js';
import { postgresConnection } from '../helpers/databases.js';
import { tempDir } from '../helpers/server.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
/** Knex's own logger, silenced (a discarded connection is logged as a warning). */
const knexLog = { warn() {}, error() {}, debug() {}, deprecate() {} };

describe('Knex adapter', () => {
  let tmp: ReturnType<typeof tempDir>;
  const opened: Knex[] = [];
  const open = (config: Knex.Config): Knex => {
    const knex = knexFactory({ log: knexLog, ...config });
    opened.push(knex);
    return knex;
  };
  const sqlite = (pool: Knex.PoolConfig = {}) =>
    open({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
      pool: { min: 1, max: 1, ...pool },
    });

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const knex of opened.splice(0)) await knex.destroy();
    tmp.remove();
  });

  it('tells the client an instance and its transactions were made with', async () => {
    const lite = sqlite();
    // Knex connects lazily: nothing listens on this port, and nothing is asked of it.
    const pg = open({ client: 'pg', connection: { host: '127.0.0.1', port: 1 } });
    expect(clientName(lite)).to.be.a('string');
    expect([dialectOfKnex(lite), dialectOfKnex(pg)]).to.deep.equal(['sqlite', 'postgres']);
    expect([usesBetterSqlite3(lite), usesBetterSqlite3(pg)]).to.deep.equal([true, false]);
    expect([usesPg(lite), usesPg(pg)], 'the Postgres fast path').to.deep.equal([false, true]);
    await lite.transaction(async (trx) => {
      expect(dialectOfKnex(trx)).to.equal('sqlite');
      expect(usesBetterSqlite3(trx)).to.equal(true);
    });
  });

  it('tells a Knex instance from a transaction, and from anything else', async () => {
    const knex = sqlite();
    expect([isKnex(knex), isTransaction(knex)]).to.deep.equal([true, false]);
    await knex.transaction(async (trx) => {
      expect([isKnex(trx), isTransaction(trx)]).to.deep.equal([true, true]);
    });
    expect([isKnex({}), isKnex(() => {}), isKnex(undefined)]).to.deep.equal([false, false, false]);
  });

  it("reads the size of the instance's pool", () => {
    const pg = open({
      client: 'pg',
      connection: { host: '127.0.0.1', port: 1 },
      pool: { min: 0, max: 7 },
    });
    expect([poolMax(pg), poolMax(sqlite())]).to.deep.equal([7, 1]);
  });

  it("lends the pool's own connection, the one Knex's queries then run on", async () => {
    const knex = sqlite();
    const raw = await acquireConnection<RawSqlite>(knex);
    raw.prepare('CREATE TEMP TABLE lent (n INTEGER)').run();
    raw.prepare('INSERT INTO lent VALUES (1)').run();
    await releaseConnection(knex, raw);
    // A TEMP table lives on its connection alone: Knex sees it only on the same one.
    expect(await knex('lent').pluck('n')).to.deep.equal([1]);
    const again = await acquireConnection<RawSqlite>(knex);
    await releaseConnection(knex, again);
    expect(again).to.equal(raw);
  });

  it('has the pool destroy a discarded connection and open a fresh one', async () => {
    const knex = sqlite();
    const raw = await acquireConnection<RawSqlite>(knex);
    raw.prepare('CREATE TEMP TABLE lent (n INTEGER)').run();
    raw.prepare('BEGIN IMMEDIATE').run();
    discardConnection(knex, raw, new Error('stuck in a transaction'));
    const fresh = await acquireConnection<RawSqlite>(knex);
    expect(fresh).not.to.equal(raw);
    expect(fresh.inTransaction).to.equal(false);
    await releaseConnection(knex, fresh);
    const error = await knex('lent')
      .select()
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).to.match(/no such table: lent/);
  });

  it('keeps the statements Knex prepares on a better-sqlite3 connection, one per SQL text', async () => {
    const prepared: string[] = [];
    const knex = sqlite({
      afterCreate(connection: RawSqlite, done: (err: Error | null, c: unknown) => void) {
        const prepare = connection.prepare.bind(connection);
        (connection as { prepare: RawSqlite['prepare'] }).prepare = (source) => {
          prepared.push(source);
          return prepare(source);
        };
        cacheStatements(connection);
        done(null, connection);
      },
    });
    for (let i = 0; i < 3; i++) await knex.raw('SELECT 1 AS one');
    // Knex goes through connection.prepare for every query; the cache prepared this one once.
    expect(prepared.filter((sql) => sql === 'SELECT 1 AS one')).to.have.length(1);
    // The connection's own prepare is still there, past the cache, for the fast path's statements.
    const raw = await acquireConnection<RawSqlite>(knex);
    preparer(raw)('SELECT 2 AS two');
    preparer(raw)('SELECT 2 AS two');
    await releaseConnection(knex, raw);
    expect(prepared.filter((sql) => sql === 'SELECT 2 AS two')).to.have.length(2);
  });

  it('puts the statement cache on the connections of the embedded database', async () => {
    const db = openDatabase(tmp.file(), quiet);
    opened.push(db.knex);
    const raw = await acquireConnection<RawSqlite>(db.knex);
    try {
      expect(preparer(raw), 'cacheStatements ran on this connection').not.to.equal(raw.prepare);
      expect(raw.prepare('SELECT 3 AS three')).to.equal(raw.prepare('SELECT 3 AS three'));
    } finally {
      await releaseConnection(db.knex, raw);
    }
  });

  it('lends a Postgres connection that queries run on, as the migration lock needs', async () => {
    const pg = open({
      client: 'pg',
      connection: { ...postgresConnection(), database: 'postgres' },
      pool: { min: 0, max: 2 },
    });
    const connection = await acquireConnection<unknown>(pg);
    try {
      const pid = async () =>
        (
          (await pg.raw('SELECT pg_backend_pid() AS pid').connection(connection)) as {
            rows: { pid: number }[];
          }
        ).rows[0]?.pid;
      const first = await pid();
      expect(first).to.be.a('number');
      expect(await pid()).to.equal(first);
    } finally {
      await releaseConnection(pg, connection);
    }
  });
});
