/**
 * Everything the library asks of Knex beyond its documented API, in one place: which client an
 * instance was made with, its pool's size, lending and taking back the pool's connections (and
 * giving back one the pool must destroy), and a statement cache in front of better-sqlite3
 * connections, where Knex prepares every query anew. Nothing else reaches into Knex.
 * test/store/knex-adapter.test.ts fails when a Knex upgrade breaks one of these.
 */
import type { Knex } from 'knex';

/** The parts of a better-sqlite3 statement the library uses. */
export interface RawStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

/** The parts of a better-sqlite3 connection the library uses. */
export interface RawSqlite {
  prepare(source: string): RawStatement;
  readonly inTransaction: boolean;
}

/** What the library reads of a Knex client, beyond its public surface. */
interface ClientInternals {
  dialect?: unknown;
  driverName?: string;
  config?: { client?: unknown };
  pool?: { max?: number };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
}

function internals(knex: Knex): ClientInternals {
  return knex.client as unknown as ClientInternals;
}

/** Whether a value is a Knex instance (or one of its transactions). */
export function isKnex(value: unknown): value is Knex {
  return typeof value === 'function' && 'client' in value && 'transaction' in value;
}

/** Whether a Knex object is a transaction rather than the instance. */
export function isTransaction(knex: Knex): boolean {
  return (knex as Knex & { isTransaction?: boolean }).isTransaction === true;
}

/** The client a Knex instance was made with (`better-sqlite3`, `pg`, ...), as Knex names it. */
export function clientName(knex: Knex): unknown {
  const client = internals(knex);
  return client.dialect ?? client.config?.client;
}

/** Whether the instance's driver is better-sqlite3 (the synchronous driver of the fast path). */
export function usesBetterSqlite3(knex: Knex): boolean {
  return internals(knex).driverName === 'better-sqlite3';
}

/** Whether the instance's driver is `pg` (the driver of the Postgres fast path). */
export function usesPg(knex: Knex): boolean {
  return internals(knex).driverName === 'pg';
}

/** The most connections the instance's pool opens, when it has a pool. */
export function poolMax(knex: Knex): number | undefined {
  return internals(knex).pool?.max;
}

/** Borrows a connection from the instance's pool (give it back with {@link releaseConnection}). */
export function acquireConnection<C>(knex: Knex): Promise<C> {
  return internals(knex).acquireConnection() as Promise<C>;
}

/** Gives a borrowed connection back to the pool. */
export async function releaseConnection(knex: Knex, connection: unknown): Promise<void> {
  await internals(knex).releaseConnection(connection);
}

/**
 * Gives back a borrowed connection that must not be used again: Knex's pool validates a
 * connection before lending it and destroys one marked disposed, then opens a fresh one.
 */
export function discardConnection(knex: Knex, connection: object, reason: unknown): void {
  (connection as { __knex__disposed?: unknown }).__knex__disposed = reason;
  void internals(knex).releaseConnection(connection);
}

/** Most statements kept per connection by {@link cacheStatements}. */
const STATEMENT_CACHE_SIZE = 256;

/** Knex's savepoint statements, whose names change every time: never worth keeping. */
const KNEX_SAVEPOINT = /^\s*(savepoint|release|rollback) (to )?(savepoint )?trx/i;

/** Each patched connection's own `prepare`. */
const unpatched = new WeakMap<object, (source: string) => RawStatement>();

/**
 * Makes a better-sqlite3 connection keep the statements Knex prepares, by SQL text: Knex's
 * client prepares every query anew, and preparing is a large share of a small query's cost
 * (docs/performance.md). Call it once per connection, when the pool creates it.
 */
export function cacheStatements(connection: RawSqlite): void {
  const prepare = connection.prepare.bind(connection);
  unpatched.set(connection, prepare);
  const cache = new Map<string, RawStatement>();
  connection.prepare = (source: string) => {
    let statement = cache.get(source);
    if (statement === undefined) {
      statement = prepare(source);
      if (!KNEX_SAVEPOINT.test(source)) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(source, statement);
      }
    }
    return statement;
  };
}

/**
 * A connection's own `prepare`, past the cache {@link cacheStatements} put in front of Knex's
 * queries: for code that keeps its statements itself (the SQLite fast path).
 */
export function preparer(connection: RawSqlite): (source: string) => RawStatement {
  return unpatched.get(connection) ?? connection.prepare.bind(connection);
}
