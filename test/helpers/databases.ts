/**
 * The databases the suite runs on: the embedded SQLite file and a real Postgres (started by
 * test/setup/postgres.ts). Each test gets a fresh database and a second, independent connection
 * that sees committed data only.
 */
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseSetting } from '../../src/index.js';
import type { Database } from '../../src/store/database.js';
import { tempDir } from './server.js';

/** The dialects every storage test runs on. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * The ways the store writes a unit of work: each database's fast path (prepared statements on the
 * better-sqlite3 connection; one statement per unit on the pg driver) and Knex on each, with the
 * fast path turned off ({@link onPath}).
 */
export const STORE_PATHS: readonly { name: string; dialect: Dialect; direct: boolean }[] = [
  { name: 'the SQLite fast path', dialect: 'sqlite', direct: true },
  { name: 'Knex on SQLite', dialect: 'sqlite', direct: false },
  { name: 'the Postgres fast path', dialect: 'postgres', direct: true },
  { name: 'Knex on Postgres', dialect: 'postgres', direct: false },
];

/** The opened database as a store path uses it: without its fast paths for the Knex ones. */
export function onPath(db: Database, path: { direct: boolean }): Database {
  return path.direct ? db : { ...db, direct: undefined, postgres: undefined };
}

/** A fresh database for one test. */
export interface TestDatabase {
  dialect: Dialect;
  /** The `database` setting for `payments()` (the library owns and closes it). */
  setting: DatabaseSetting;
  /** A Knex config for another independent connection pool on the same database. */
  config(): Knex.Config;
  /** A second connection, for reading what is committed. */
  reader: Knex;
  /** Drops the database (Postgres) or removes the file (SQLite). */
  cleanup(): Promise<void>;
}

const quiet = { warn() {}, error() {}, debug() {}, deprecate() {} };

/** Connection settings of the suite's Postgres server. */
export function postgresConnection(): {
  host: string;
  port: number;
  user: string;
  password: string;
} {
  const raw = process.env.KOA_PAYMENTS_TEST_PG;
  if (raw === undefined) {
    throw new Error(
      'KOA_PAYMENTS_TEST_PG is not set: run the suite with mocha (see .mocharc.json)',
    );
  }
  return JSON.parse(raw);
}

/** Creates a fresh database of the given dialect. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const tmp = tempDir();
    const config = (): Knex.Config => ({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
      log: quiet,
    });
    const reader = knexFactory(config());
    return {
      dialect,
      setting: tmp.file(),
      config,
      reader,
      async cleanup() {
        await reader.destroy();
        tmp.remove();
      },
    };
  }
  const server = postgresConnection();
  const name = `kp_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({
    client: 'pg',
    connection: { ...server, database: 'postgres' },
    log: quiet,
  });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const config = (): Knex.Config => ({
    client: 'pg',
    connection: { ...server, database: name },
    pool: { min: 0, max: 10 },
    log: quiet,
  });
  const reader = knexFactory(config());
  return {
    dialect,
    setting: config(),
    config,
    reader,
    async cleanup() {
      await reader.destroy();
      const drop = knexFactory({
        client: 'pg',
        connection: { ...server, database: 'postgres' },
        log: quiet,
      });
      try {
        await drop.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await drop.destroy();
      }
    },
  };
}

/** `SELECT count(*)` as a number, on either dialect. */
export async function count(knex: Knex, table: string): Promise<number> {
  const [row] = (await knex(table).count({ n: '*' })) as { n: number | string }[];
  return Number(row?.n);
}
