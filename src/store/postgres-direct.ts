/**
 * The Postgres fast path. With the `pg` driver, each of a webhook's two units of work (store the
 * event with its deliveries and request-log line; record the outcomes) is one statement on a
 * connection borrowed from the Knex pool: one round trip, in the implicit transaction of a single
 * statement, instead of a BEGIN, a statement per row and a COMMIT, each a round trip that costs
 * the process a socket write and a wake-up, and each built and compiled by Knex
 * (docs/performance.md). The statements are named prepared statements, parsed once per
 * connection.
 *
 * The fast path writes exactly the rows the Knex path writes. Where one statement cannot decide
 * what the Knex path's later statements would read afresh (a race with another transaction), it
 * says so and the caller takes the Knex path (store-event.ts, settle.ts).
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { acquireConnection, discardConnection, releaseConnection, usesPg } from './knex-adapter.js';
import { batchName } from './postgres-batches.js';

type Row = Record<string, unknown>;

/** The parts of a `pg` client the fast path uses. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
  /** A simple query: an array of results when the text holds several statements. */
  query(text: string): Promise<{ rows: Row[] } | { rows: Row[] }[]>;
}

/** A statement of the fast path: its SQL, and the name it is prepared under on a connection. */
export interface PreparedSql {
  readonly name: string;
  readonly text: string;
}

/**
 * A statement prepared by name. The name is derived from the text, so that two stores with
 * different table prefixes on one pool never prepare different texts under one name (which `pg`
 * refuses).
 */
export function prepared(text: string): PreparedSql {
  return { name: `koa_payments_${createHash('sha1').update(text).digest('hex')}`, text };
}

/**
 * What a fast-path unit returns when what it wrote needs finishing in a transaction of the Knex
 * path, run once its connection is given back (the pool may hold one connection).
 */
export class KnexFollowUp<T> {
  readonly run: (trx: Knex.Transaction) => Promise<T>;

  constructor(run: (trx: Knex.Transaction) => Promise<T>) {
    this.run = run;
  }
}

/**
 * A unit of work on the fast path: its one statement, the values bound to it, and what its rows
 * make of the unit's result.
 */
export interface PgStep<T> {
  statement: PreparedSql;
  values: unknown[];
  /**
   * The keys of the rows its statement locks, or waits for another transaction's insert of, in
   * the order it takes them; the same key for the same row in every process. A batch runs its
   * steps in the order of these keys (postgres-batches.ts).
   */
  locks: readonly string[];
  result(rows: Row[]): T | KnexFollowUp<T>;
}

/** Borrows connections of a `pg` Knex pool. */
export interface PgAccess {
  /** Runs one step alone, in the implicit transaction of its statement. */
  run<T>(step: PgStep<T>): Promise<T | KnexFollowUp<T>>;
  /**
   * Runs several steps in one round trip and one implicit transaction (one COMMIT): all of them
   * are durable, or none (it rejects). `text` is theirs, in their order (postgres-batches.ts).
   * Resolves with each step's rows, in that order, for the caller to read with `step.result`.
   */
  runBatch(steps: readonly PgStep<unknown>[], text: string): Promise<Row[][]>;
}

/** The statements each connection has prepared for batches, by name. */
const preparedForBatches = new WeakMap<object, Set<string>>();

/** The fast path for a Knex instance, when its driver is `pg` (else undefined). */
export function postgresAccess(knex: Knex): PgAccess | undefined {
  if (!usesPg(knex)) return undefined;
  return {
    async run(step) {
      const client = await acquireConnection<PgClient & object>(knex);
      let rows: Row[];
      try {
        ({ rows } = await client.query({
          name: step.statement.name,
          text: step.statement.text,
          values: step.values,
        }));
      } catch (error) {
        // A statement that failed leaves no transaction open (it ran alone); a connection that
        // failed mid-query must not be lent again.
        if (isSqlError(error)) await releaseConnection(knex, client);
        else discardConnection(knex, client, error);
        throw error;
      }
      await releaseConnection(knex, client);
      return step.result(rows);
    },
    async runBatch(steps, text) {
      const client = await acquireConnection<PgClient & object>(knex);
      let results: { rows: Row[] }[];
      try {
        let prepared = preparedForBatches.get(client);
        if (prepared === undefined) {
          prepared = new Set();
          preparedForBatches.set(client, prepared);
        }
        for (const { statement } of steps) {
          if (prepared.has(statement.name)) continue;
          await client.query(`PREPARE ${batchName(statement)} AS ${statement.text}`);
          prepared.add(statement.name);
        }
        const answer = await client.query(text);
        results = Array.isArray(answer) ? answer : [answer];
      } catch (error) {
        if (isSqlError(error)) await releaseConnection(knex, client);
        else discardConnection(knex, client, error);
        throw error;
      }
      await releaseConnection(knex, client);
      return steps.map((_, i) => (results[i] as { rows: Row[] }).rows);
    },
  };
}

/**
 * Runs one unit of work on the fast path, or on a Knex transaction when its statement lost a
 * race (it rolled back whole) or it hands the end of its work over.
 */
export async function runPostgresUnit<T>(
  access: PgAccess,
  knex: Knex,
  step: PgStep<T>,
  unit: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  let result: T | KnexFollowUp<T>;
  try {
    result = await access.run(step);
  } catch (error) {
    if (!lostRace(error)) throw error;
    return knex.transaction(unit);
  }
  return result instanceof KnexFollowUp ? knex.transaction(result.run) : result;
}

/**
 * Whether an error is one the server answered with (a SQLSTATE), after which the connection is
 * still usable and the statement's implicit transaction rolled back; after a network or protocol
 * error neither is known.
 */
export function isSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * The SQLSTATEs of a fast-path statement that lost a race the Knex path's separate statements
 * resolve: a unique violation from a concurrent insert of the same event, a serialisation
 * failure, a deadlock, and the not-null violation by which the store statement stops itself when
 * its snapshot cannot decide (store-event-postgres.ts). Any other error, a foreign-key or check
 * violation included, is a failure, not a race: running it again on Knex would fail the same way.
 */
const RACES: ReadonlySet<string> = new Set(['23505', '23502', '40001', '40P01']);

/** Whether a failed fast-path statement should be retried on the Knex path. */
export function lostRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RACES.has(code);
}
