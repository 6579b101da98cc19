/**
 * What the CLI checks about the store before a command uses it: that the SQLite file exists (a
 * read must not create an empty one), that the shipped migrations are applied (else a query
 * fails with "no such table"), and, for commands that run no webhook, settings that need no
 * provider secret.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import type { Provider } from '../providers/types.js';
import { type PaymentsSettings, resolveSettings, type VariantSettings } from '../settings.js';
import { databaseFromString } from '../store/database.js';
import { migrationStates } from '../store/migrate.js';
import { CliFailure } from './errors.js';

const MIGRATE_FIRST = 'run `koa-payments migrate` first';

/**
 * The SQLite file a `database` setting opens, as an absolute path (relative paths are relative
 * to the working directory, as better-sqlite3 opens them); undefined for anything else (a
 * server, a Knex instance, an in-memory database, a string payments() refuses).
 */
export function sqliteFile(database: PaymentsSettings['database']): string | undefined {
  let filename: unknown;
  if (database === undefined) filename = './payments.sqlite3';
  else if (typeof database === 'string') filename = sqlitePathOf(database);
  else if (typeof database === 'object' && database !== null && typeof database !== 'function') {
    const config = database as { client?: unknown; connection?: unknown; filename?: unknown };
    if (config.client === undefined) filename = config.filename;
    else if (config.client === 'better-sqlite3' || config.client === 'sqlite3') {
      const connection = config.connection as { filename?: unknown } | undefined;
      filename = connection?.filename;
    }
  }
  if (typeof filename !== 'string' || filename === '' || filename === ':memory:') return undefined;
  return resolve(filename);
}

/** The file a `database` string names (read as payments() reads it); undefined for a server. */
function sqlitePathOf(database: string): string | undefined {
  try {
    const parsed = databaseFromString(database);
    return 'sqlite' in parsed ? parsed.sqlite : undefined;
  } catch {
    return undefined; // payments() refuses it, with the reason
  }
}

/** Where the store is, for a message; never a connection string (it may hold a password). */
function describeStore(database: PaymentsSettings['database']): string {
  return sqliteFile(database) ?? 'the configured database';
}

/** Whether the SQLite file of the settings is missing (false for a database server). */
export function storeMissing(database: PaymentsSettings['database']): boolean {
  const file = sqliteFile(database);
  return file !== undefined && !existsSync(file);
}

/**
 * Throws a {@link CliFailure} that says to run `koa-payments migrate` when the SQLite file does
 * not exist. Call it before opening the database: opening creates the file.
 */
export function requireStoreFile(database: PaymentsSettings['database']): void {
  if (storeMissing(database)) {
    throw new CliFailure(`no payments database at ${sqliteFile(database)}: ${MIGRATE_FIRST}`);
  }
}

/** Throws a {@link CliFailure} that says to run `koa-payments migrate` unless all are applied. */
export async function requireMigrated(knex: Knex, settings: PaymentsSettings): Promise<void> {
  const states = await migrationStates(knex, resolveSettings(settings).tablePrefix);
  const pending = states.filter((m) => !m.applied).length;
  if (pending === 0) return;
  const where = describeStore(settings.database);
  if (pending === states.length) {
    throw new CliFailure(`the payments tables are not in ${where}: ${MIGRATE_FIRST}`);
  }
  throw new CliFailure(
    `${pending} migration${pending === 1 ? '' : 's'} of the payments tables ${pending === 1 ? 'is' : 'are'} pending in ${where}: ${MIGRATE_FIRST}`,
  );
}

/** The provider name of a variant: the built-in's name, or a custom provider's `name`. */
function providerName(variant: VariantSettings): string {
  const provider = (variant as { provider?: unknown } | null)?.provider;
  if (typeof provider === 'string') return provider;
  const name = (provider as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'custom';
}

/**
 * The settings with each variant's provider replaced by a stand-in that has its name and
 * refuses to verify: for commands that read what is stored and receive no webhook, so that they
 * run where the providers' secrets are not in the environment (a deploy step, an ops shell).
 */
export function withoutSecrets(settings: PaymentsSettings): PaymentsSettings {
  const variants: Record<string, VariantSettings> = {};
  for (const [name, variant] of Object.entries(settings.variants)) {
    const standIn: Provider = {
      name: providerName(variant),
      verify() {
        throw new Error('koa-payments CLI: this command receives no webhooks');
      },
    };
    variants[name] = { provider: standIn };
  }
  return { ...settings, variants };
}
