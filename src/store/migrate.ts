/**
 * Runs the shipped migrations so that several processes may call it at once (every instance of
 * a deployment calling `pay.migrate()` at start-up). Knex's own migration lock does not cover the
 * very first run: two processes can both try to create its tables. On Postgres a session-level
 * advisory lock serialises the runs; on SQLite, where writes are serialised anyway, a run that
 * lost the race to create a table is simply repeated.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { acquireConnection, poolMax, releaseConnection } from './knex-adapter.js';
import { migrationSource } from './migrations.js';
import { type TableNames, tableNames } from './table-names.js';

const SQLITE_RETRIES = 5;

/** Migrates to the latest version; safe to call from several processes at once. */
export async function migrateLatest(
  db: Database,
  tablePrefix: string,
  tables: TableNames,
): Promise<void> {
  const latest = () =>
    db.knex.migrate.latest({
      migrationSource: migrationSource(tablePrefix),
      tableName: tables.migrations,
    });
  if (db.dialect === 'postgres' && (poolMax(db.knex) ?? 2) >= 2) {
    // The lock holds one connection while Knex migrates on another.
    await withAdvisoryLock(db.knex, `koa-payments:migrate:${tablePrefix}`, latest);
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await latest();
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (attempt >= SQLITE_RETRIES || !/already exists|SQLITE_BUSY/i.test(message)) throw error;
      await delay(50 * attempt); // the other process is finishing its run
    }
  }
}

/** Runs `fn` while holding a Postgres advisory lock on a connection of its own. */
async function withAdvisoryLock<T>(knex: Knex, name: string, fn: () => Promise<T>): Promise<T> {
  const connection = await acquireConnection<unknown>(knex);
  try {
    await knex.raw('SELECT pg_advisory_lock(hashtext(?))', [name]).connection(connection);
    try {
      return await fn();
    } finally {
      await knex.raw('SELECT pg_advisory_unlock(hashtext(?))', [name]).connection(connection);
    }
  } finally {
    await releaseConnection(knex, connection);
  }
}

/** A shipped migration and whether the database has it. */
export interface MigrationState {
  name: string;
  applied: boolean;
}

/**
 * Every shipped migration and whether this database has it (none, without a database). Reads
 * only: unlike Knex's `migrate.list()`, it creates no table.
 */
export async function migrationStates(
  knex: Knex | undefined,
  tablePrefix: string,
): Promise<MigrationState[]> {
  const source = migrationSource(tablePrefix);
  const names = (await source.getMigrations([])).map((m) => source.getMigrationName(m));
  const table = tableNames(tablePrefix).migrations;
  const applied = new Set<string>();
  if (knex !== undefined && (await knex.schema.hasTable(table))) {
    for (const row of (await knex(table).select('name')) as { name: string }[]) {
      applied.add(row.name);
    }
  }
  return names.map((name) => ({ name, applied: applied.has(name) }));
}

/**
 * Whether the tables are there for the worker: each table exists and, when the library's
 * migrations table does, every shipped migration is recorded in it (a migration run by another
 * process may be half-way). Reads only.
 */
export async function schemaReady(
  knex: Knex,
  tablePrefix: string,
  tables: TableNames,
): Promise<boolean> {
  for (const table of [tables.events, tables.deliveries, tables.requests]) {
    if (!(await knex.schema.hasTable(table))) return false;
  }
  // Without it, the tables were made by other tooling (the exported migrationSource).
  if (!(await knex.schema.hasTable(tables.migrations))) return true;
  return (await migrationStates(knex, tablePrefix)).every((migration) => migration.applied);
}
