/**
 * Opens the event store: the embedded SQLite file by default, a SQLite path or `file:` URL, a
 * Postgres connection string, or the host's Knex instance or config. SQLite connections get WAL,
 * a busy timeout, `synchronous=FULL` (a 200 means the event is on disk) and foreign keys.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { ConfigurationError } from '../errors.js';
import type { DatabaseSetting } from '../settings.js';
import type { Logger } from '../types.js';
import {
  cacheStatements,
  clientName,
  isKnex,
  isTransaction,
  type RawSqlite,
} from './knex-adapter.js';
import { type PgAccess, postgresAccess } from './postgres-direct.js';
import { type DirectAccess, directAccess } from './sqlite-direct.js';
import { WalCheckpointer, type WatchedConnection } from './wal-checkpointer.js';

/** The opened store. */
export interface Database {
  readonly knex: Knex;
  /** Whether the library opened it (and so closes it on `close()`). */
  readonly owned: boolean;
  readonly dialect: 'sqlite' | 'postgres' | 'other';
  /** The SQLite fast path (better-sqlite3 only): prepared statements on the pooled connection. */
  readonly direct?: DirectAccess;
  /** The Postgres fast path (the pg driver): one statement per unit of work. */
  readonly postgres?: PgAccess;
  /** SQLite the library opened: checkpoints its WAL off the event loop once it grows. */
  readonly checkpointer?: WalCheckpointer;
}

/** Default path of the embedded database. */
export const DEFAULT_SQLITE_FILE = './payments.sqlite3';
/** Default SQLite busy timeout. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

interface SqliteConnection extends RawSqlite, WatchedConnection {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** WAL pages between automatic checkpoints (SQLite's default is 1 000). */
export const WAL_AUTOCHECKPOINT_PAGES = 4_000;
/**
 * Size the WAL file is truncated to when it starts over: above the most it reaches in steady use,
 * the checkpointer's backstop (`BACKSTOP_PAGES` in wal-checkpointer.ts: 40 000 frames, about 165
 * MB with 4 KB pages). At 64 MB a busy store's WAL was cut back after every checkpoint and grown
 * again by the next commits, and growing a file makes the kernel allocate and zero new blocks
 * inside each COMMIT's write: with a million events stored (more pages per commit), a sixth of
 * the main thread's samples. A WAL that grew keeps its disk space, up to this size.
 */
const WAL_SIZE_LIMIT_BYTES = 256 * 1024 * 1024;

function sqlitePragmas(busyTimeoutMs: number, checkpointer: WalCheckpointer) {
  return (connection: SqliteConnection, done: (err: Error | null, c: unknown) => void) => {
    try {
      connection.pragma('journal_mode = WAL');
      connection.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
      connection.pragma('synchronous = FULL');
      connection.pragma('foreign_keys = ON');
      // Checkpoint inside a COMMIT every 4 000 WAL pages (16 MB with 4 KB pages) instead of
      // SQLite's 1 000: such a checkpoint runs on the event loop, and copies each page it finds
      // in the WAL once, so the pages every batch touches (index roots, the tables' last leaves)
      // are copied a quarter as often. Once the WAL has grown, a thread checkpoints it instead,
      // and this becomes a backstop (wal-checkpointer.ts).
      connection.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      // After a checkpoint lets the WAL start over, SQLite truncates the file to this size: a
      // burst that grew it past that does not keep the disk space.
      connection.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      // Keep statement and savepoint journals in memory. A unit of work run in a savepoint
      // has SQLite copy each page it changes into that journal first, for a rollback to the
      // savepoint; past 64 KB the journal spills to a temporary file, a new one for nearly
      // every batch (docs/performance.md). In memory it holds about one unit's pages (it is
      // emptied at each RELEASE), and it is never needed after a crash. This also keeps TEMP
      // tables and a VACUUM's copy of the database in memory: run VACUUM on another connection.
      connection.pragma('temp_store = MEMORY');
      cacheStatements(connection);
      checkpointer.watch(connection);
      done(null, connection);
    } catch (err) {
      done(err as Error, connection);
    }
  };
}

/**
 * The dialect a Knex instance (or transaction) talks: the one test the store and the migrations
 * share, so that they never disagree about SQLite-only columns.
 */
export function dialectOfKnex(knex: Knex): Database['dialect'] {
  return dialectOf(clientName(knex));
}

function dialectOf(client: unknown): Database['dialect'] {
  const name = typeof client === 'string' ? client : '';
  if (/sqlite/.test(name)) return 'sqlite';
  if (/^(pg|postgres|postgresql|pgnative)$/.test(name)) return 'postgres';
  return 'other';
}

function sqliteConfig(
  filename: string,
  busyTimeoutMs: number,
  checkpointer: WalCheckpointer,
): Knex.Config {
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, afterCreate: sqlitePragmas(busyTimeoutMs, checkpointer) },
  };
}

/** The store needs RETURNING and, for several workers, FOR UPDATE SKIP LOCKED. */
function supported(dialect: Database['dialect'], client: unknown): Database['dialect'] {
  if (dialect === 'other') {
    throw new ConfigurationError(
      'database',
      `the ${String(client)} client is not supported: use SQLite (better-sqlite3) or PostgreSQL (pg)`,
    );
  }
  return dialect;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
/** A URL scheme: two characters at least, so that a Windows drive (`C:\\`) stays a path. */
const URL_SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * The SQLite file a `database` string names, or a Postgres connection string as it is: a path
 * (`./payments.sqlite3`, `/var/lib/shop/payments.db`), a `file:` URL, or `postgres://…`.
 */
export function databaseFromString(value: string): { sqlite: string } | { postgres: string } {
  if (value.trim() === '') {
    throw new ConfigurationError(
      'database',
      'is an empty string: give a SQLite file path, a file: URL or a postgres:// connection string',
    );
  }
  if (POSTGRES_URL.test(value)) return { postgres: value };
  const scheme = URL_SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { sqlite: value };
  if (scheme !== 'file') {
    // The scheme alone: the rest of the string may hold a password.
    throw new ConfigurationError(
      'database',
      `a ${scheme}: URL is not supported: give a SQLite file path, a file: URL or a postgres:// (postgresql://) connection string`,
    );
  }
  if (/[?#]/.test(value)) {
    throw new ConfigurationError('database', 'a file: URL takes no query or fragment here');
  }
  // `file:///abs/path` is a URL; `file:relative/path` (SQLite's own form) is the path after it.
  if (value.startsWith('file://')) {
    try {
      return { sqlite: fileURLToPath(value) };
    } catch {
      throw new ConfigurationError('database', 'is not a local file: URL (file:///path/to/file)');
    }
  }
  try {
    return { sqlite: decodeURIComponent(value.slice('file:'.length)) };
  } catch {
    throw new ConfigurationError('database', 'is a file: URL with a malformed %-escape');
  }
}

const requireFromHere = createRequire(import.meta.url);

/** Fails at `payments()` with the fix when pg, an optional peer dependency, is not installed. */
function requirePg(): void {
  try {
    requireFromHere.resolve('pg');
  } catch {
    throw new ConfigurationError(
      'database',
      'Postgres needs the pg package, an optional peer dependency of koa-payments: npm install pg',
    );
  }
}

function openKnex(setting: DatabaseSetting | undefined, logger: Logger): Database {
  const checkpointer = new WalCheckpointer(logger, WAL_AUTOCHECKPOINT_PAGES);
  if (setting === undefined) {
    const knex = knexFactory(
      sqliteConfig(DEFAULT_SQLITE_FILE, DEFAULT_BUSY_TIMEOUT_MS, checkpointer),
    );
    return { knex, owned: true, dialect: 'sqlite', checkpointer };
  }
  if (typeof setting === 'string') {
    const parsed = databaseFromString(setting);
    if ('postgres' in parsed) {
      requirePg();
      return {
        knex: knexFactory({ client: 'pg', connection: parsed.postgres }),
        owned: true,
        dialect: 'postgres',
      };
    }
    const knex = knexFactory(sqliteConfig(parsed.sqlite, DEFAULT_BUSY_TIMEOUT_MS, checkpointer));
    return { knex, owned: true, dialect: 'sqlite', checkpointer };
  }
  if (isKnex(setting)) {
    if (isTransaction(setting)) {
      throw new ConfigurationError(
        'database',
        'got a Knex transaction; pass the Knex instance, so that receivers run only after a real COMMIT',
      );
    }
    const name = clientName(setting);
    const dialect = supported(dialectOf(name), name);
    if (dialect === 'sqlite') {
      logger.debug(
        {},
        'koa-payments: using a host SQLite Knex instance; make sure its connections use WAL, busy_timeout and synchronous=FULL',
      );
    }
    return { knex: setting, owned: false, dialect };
  }
  if (typeof setting !== 'object' || setting === null) {
    throw new ConfigurationError(
      'database',
      'expected a SQLite file name, { filename }, a Knex instance or a Knex config',
    );
  }
  if ('filename' in setting && !('client' in setting)) {
    const { filename, busyTimeoutMs } = setting as { filename: unknown; busyTimeoutMs?: unknown };
    if (typeof filename !== 'string' || filename === '') {
      throw new ConfigurationError('database.filename', 'must be a file path');
    }
    const timeout = busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw new ConfigurationError('database.busyTimeoutMs', 'must be a number of milliseconds');
    }
    const knex = knexFactory(sqliteConfig(filename, timeout, checkpointer));
    return { knex, owned: true, dialect: 'sqlite', checkpointer };
  }
  const config = setting as Knex.Config;
  const dialect = supported(dialectOf(config.client), config.client);
  if (dialect === 'postgres') requirePg();
  if (config.client === 'better-sqlite3') {
    // Our pragmas first, then the host's own afterCreate, if any.
    const hostAfterCreate = config.pool?.afterCreate as
      | ((c: unknown, done: (err: Error | null, c: unknown) => void) => void)
      | undefined;
    const ours = sqlitePragmas(DEFAULT_BUSY_TIMEOUT_MS, checkpointer);
    const merged: Knex.Config = {
      useNullAsDefault: true,
      ...config,
      pool: {
        min: 1,
        max: 1,
        ...config.pool,
        afterCreate(connection: SqliteConnection, done: (err: Error | null, c: unknown) => void) {
          ours(connection, (err) => {
            if (err || hostAfterCreate === undefined) done(err, connection);
            else hostAfterCreate(connection, done);
          });
        },
      },
    };
    return { knex: knexFactory(merged), owned: true, dialect, checkpointer };
  }
  return { knex: knexFactory(config), owned: true, dialect };
}

/** Opens the database a `database` setting describes. */
export function openDatabase(setting: DatabaseSetting | undefined, logger: Logger): Database {
  const db = openKnex(setting, logger);
  if (db.dialect === 'postgres') {
    const postgres = postgresAccess(db.knex);
    return postgres === undefined ? db : { ...db, postgres };
  }
  const direct = db.dialect === 'sqlite' ? directAccess(db.knex) : undefined;
  return direct === undefined ? db : { ...db, direct };
}
