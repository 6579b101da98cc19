/**
 * The SQLite fast path. With better-sqlite3 (a synchronous driver) the hot statements of a
 * webhook (store the event, its deliveries and its request-log line; record the outcomes) run as
 * prepared statements directly on the pooled connection, a whole group-commit batch in one
 * synchronous `BEGIN IMMEDIATE … COMMIT`, without the query building, compiling and promises
 * Knex wraps every query in: the largest cost of the hot path (docs/performance.md).
 *
 * The fast path writes exactly the rows and values the Knex path writes (Dates as epoch
 * milliseconds, booleans as 0/1, as Knex's better-sqlite3 client binds them). Work that needs a
 * Knex transaction (an atomic receiver) takes the Knex path.
 */
import type { Knex } from 'knex';
import {
  acquireConnection,
  discardConnection,
  preparer,
  type RawSqlite,
  type RawStatement,
  releaseConnection,
  usesBetterSqlite3,
} from './knex-adapter.js';

type Row = Record<string, unknown>;

/**
 * The fast path's prepared statements, kept per connection (by SQL text) beyond which the oldest
 * is dropped; apart from the cache of Knex's own queries (knex-adapter.ts).
 */
const CACHE_SIZE = 128;
const caches = new WeakMap<RawSqlite, Map<string, RawStatement>>();

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** A value as Knex's better-sqlite3 client binds it. */
function bindable(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

/** Converts `values` in place to what Knex's better-sqlite3 client binds; returns them. */
function bindAll(values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) values[i] = bindable(values[i]);
  return values;
}

/** The values of `row` for `columns`, in their order (to bind to a statement built for them). */
export function valuesOf(row: Row, columns: readonly string[]): unknown[] {
  return columns.map((column) => row[column]);
}

/**
 * The SQL text of an INSERT of `columns` into `table`, with `suffix` (an `ON CONFLICT` and/or
 * `RETURNING` clause) when given: for statements whose columns are known in advance, built once
 * and run with {@link DirectConnection.runValues} or {@link DirectConnection.insertValues}.
 */
export function insertStatement(table: string, columns: readonly string[], suffix = ''): string {
  return `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns
    .map(() => '?')
    .join(', ')})${suffix === '' ? '' : ` ${suffix}`}`;
}

/** One connection, for the duration of a batch. */
export class DirectConnection {
  readonly #raw: RawSqlite;
  readonly #prepare: (source: string) => RawStatement;
  readonly #cache: Map<string, RawStatement>;

  constructor(raw: RawSqlite) {
    this.#raw = raw;
    this.#prepare = preparer(raw);
    let cache = caches.get(raw);
    if (cache === undefined) {
      cache = new Map();
      caches.set(raw, cache);
    }
    this.#cache = cache;
  }

  get inTransaction(): boolean {
    return this.#raw.inTransaction;
  }

  #statement(sql: string): RawStatement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.#prepare(sql);
      if (this.#cache.size >= CACHE_SIZE) {
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs a statement that returns no rows, with its values in one array, which it converts in
   * place (see `bindable`): the hot path's form, without a copy of the values. Returns the
   * number of rows changed.
   */
  runValues(sql: string, values: unknown[]): number {
    return this.#statement(sql).run(bindAll(values)).changes;
  }

  /**
   * Runs an INSERT with its values in one array (converted in place); returns the new row's id,
   * or undefined when it inserted nothing (`ON CONFLICT … DO NOTHING`). Without `RETURNING`,
   * which SQLite runs through a temporary table (docs/performance.md).
   */
  insertValues(sql: string, values: unknown[]): number | undefined {
    const result = this.#statement(sql).run(bindAll(values));
    return result.changes === 0 ? undefined : Number(result.lastInsertRowid);
  }

  /** Runs a statement that returns no rows; returns the number of rows changed. */
  run(sql: string, ...params: unknown[]): number {
    return this.#statement(sql).run(...params.map(bindable)).changes;
  }

  /** Runs a statement and returns its first row. */
  get(sql: string, ...params: unknown[]): Row | undefined {
    return this.#statement(sql).get(...params.map(bindable));
  }

  /** Runs a statement and returns its rows. */
  all(sql: string, ...params: unknown[]): Row[] {
    return this.#statement(sql).all(...params.map(bindable));
  }
}

/** Borrows the connection of a better-sqlite3 Knex pool. */
export interface DirectAccess {
  acquire(): Promise<DirectConnection>;
  release(connection: DirectConnection): void;
  /**
   * Gives back a connection that must not be used again (stuck in a transaction): the pool
   * destroys it and opens a fresh one (with the pragmas) on the next acquire.
   */
  discard(connection: DirectConnection, error: unknown): void;
}

/** The fast path for a Knex instance, when its driver is better-sqlite3 (else undefined). */
export function directAccess(knex: Knex): DirectAccess | undefined {
  if (!usesBetterSqlite3(knex)) return undefined;
  const borrowed = new WeakMap<DirectConnection, RawSqlite>();
  return {
    async acquire() {
      const raw = await acquireConnection<RawSqlite>(knex);
      const connection = new DirectConnection(raw);
      borrowed.set(connection, raw);
      return connection;
    },
    release(connection) {
      const raw = borrowed.get(connection);
      if (raw !== undefined) void releaseConnection(knex, raw);
    },
    discard(connection, error) {
      const raw = borrowed.get(connection);
      if (raw !== undefined) discardConnection(knex, raw, error);
    },
  };
}

/** What became of one unit of work of a batch: its value, or what it threw. */
export type UnitResult = { ok: true; value: unknown } | { ok: false; error: unknown };

const SAVEPOINT = 'SAVEPOINT koa_payments_job';
const RELEASE = 'RELEASE SAVEPOINT koa_payments_job';
const ROLLBACK_TO = 'ROLLBACK TO SAVEPOINT koa_payments_job';

/**
 * Runs `units` in one transaction, synchronously, on a borrowed connection. One failing unit
 * rolls back that one alone: the batch runs first without savepoints (the common case, where
 * nothing fails, then pays no savepoint statements nor their page copies), and when a unit
 * throws, the whole transaction is rolled back and run again with a savepoint per unit (see
 * `startAgain`).
 * A unit must therefore only write through the connection and return a value: it may run
 * twice, and its first run's writes are undone. (The library's direct units build their rows
 * and nothing else; user code, an atomic receiver, never runs here.)
 *
 * Resolves with each outcome once COMMIT has returned (with synchronous=FULL, once it is on
 * disk); rejects when BEGIN or COMMIT fails, in which case nothing of the batch is durable.
 */
export async function runDirect(
  access: DirectAccess,
  units: readonly ((connection: DirectConnection) => unknown)[],
): Promise<UnitResult[]> {
  const connection = await access.acquire();
  let results: UnitResult[];
  let usable = true;
  try {
    // IMMEDIATE: take the write lock now (waiting up to busy_timeout for another process),
    // never fail later on a read lock that cannot be upgraded.
    connection.run('BEGIN IMMEDIATE');
    try {
      if (units.length === 1) {
        const only = units[0] as (c: DirectConnection) => unknown;
        results = [{ ok: true, value: only(connection) }];
      } else {
        const optimistic = withoutSavepoints(connection, units);
        if (optimistic.ok) {
          results = optimistic.results;
        } else {
          // SQLite itself rolled the whole transaction back (a full disk, an I/O error): the
          // batch fails with the cause, as it does under savepoints.
          if (!connection.inTransaction) throw optimistic.error;
          // Nothing of this pass is kept; run the batch again, a savepoint per unit.
          startAgain(connection, optimistic.error);
          results = withSavepoints(connection, units);
        }
      }
      connection.run('COMMIT');
    } catch (error) {
      // SQLite may already have rolled back (an I/O error, a full disk).
      try {
        if (connection.inTransaction) connection.run('ROLLBACK');
      } catch {
        // Never hand back a connection stuck in a transaction: every later BEGIN would fail,
        // and autocommit writes on it would never commit.
      }
      if (connection.inTransaction) usable = false;
      throw error;
    }
  } finally {
    if (usable) access.release(connection);
    else access.discard(connection, new Error('koa-payments: a ROLLBACK failed'));
  }
  return results;
}

/** Every unit, one after the other, up to the first that throws (the caller rolls back). */
function withoutSavepoints(
  connection: DirectConnection,
  units: readonly ((connection: DirectConnection) => unknown)[],
): { ok: true; results: UnitResult[] } | { ok: false; error: unknown } {
  const results: UnitResult[] = [];
  for (const unit of units) {
    try {
      results.push({ ok: true, value: unit(connection) });
    } catch (error) {
      return { ok: false, error };
    }
  }
  return { ok: true, results };
}

/**
 * Rolls the transaction back and begins a new one. The write lock is given up in between (a
 * batch-wide savepoint would keep it, at a cost every batch pays, failing or not:
 * docs/performance.md): should another process take it then, BEGIN IMMEDIATE waits for it up
 * to busy_timeout, and past that the batch fails as a batch that cannot start does.
 */
function startAgain(connection: DirectConnection, firstError: unknown): void {
  try {
    connection.run('ROLLBACK');
    connection.run('BEGIN IMMEDIATE');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `koa-payments: could not run a batch again after one of its units failed: ${reason}`,
      {
        cause: firstError,
      },
    );
  }
}

/** Every unit in a savepoint of its own: one that throws is rolled back alone. */
function withSavepoints(
  connection: DirectConnection,
  units: readonly ((connection: DirectConnection) => unknown)[],
): UnitResult[] {
  const results: UnitResult[] = [];
  for (const unit of units) {
    connection.run(SAVEPOINT);
    try {
      const value = unit(connection);
      connection.run(RELEASE);
      results.push({ ok: true, value });
    } catch (error) {
      try {
        connection.run(ROLLBACK_TO);
        connection.run(RELEASE);
      } catch {
        // SQLite already rolled the whole transaction back (a full disk, an I/O error): the
        // batch fails with the cause, not with "no such savepoint".
        throw error;
      }
      results.push({ ok: false, error });
    }
  }
  return results;
}
