/**
 * Group commit: webhooks that arrive while a commit is in flight are stored together, in one
 * transaction. One COMMIT (one fsync on SQLite with synchronous=FULL) makes the whole batch
 * durable, and each caller is answered only after that COMMIT. A unit of work that fails (an
 * atomic receiver that throws) is rolled back alone: on Knex, each unit runs in a savepoint; on
 * the SQLite fast path, the batch runs without savepoints and is run again with them when a unit
 * fails (sqlite-direct.ts). A failed COMMIT fails the whole batch, and every caller answers 503.
 */
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { batchParts } from './postgres-batches.js';
import {
  isSqlError,
  KnexFollowUp,
  type PgAccess,
  type PgStep,
  runPostgresUnit,
} from './postgres-direct.js';
import {
  type DirectAccess,
  type DirectConnection,
  runDirect,
  type UnitResult,
} from './sqlite-direct.js';

/**
 * A unit of work: one transaction's writes, in up to three versions. `knex` runs them on a Knex
 * transaction; `direct`, when given, runs the same writes synchronously on a better-sqlite3
 * connection (the SQLite fast path, sqlite-direct.ts); `postgres`, when given, gives the same
 * writes as one statement (the Postgres fast path, postgres-direct.ts).
 */
export interface Unit<T> {
  knex(trx: Knex.Transaction): Promise<T>;
  direct?: ((connection: DirectConnection) => T) | undefined;
  postgres?: (() => PgStep<T>) | undefined;
}

/**
 * Several units of work as one, for one request that carries several events: their writes run
 * in order in the same transaction (or the same savepoint of a batch), so that one that throws
 * undoes them all. On the fast path only when every unit has a `direct` version.
 */
export function unitOfAll<T>(units: readonly Unit<T>[]): Unit<T[]> {
  const directs = units.map((unit) => unit.direct);
  const allDirect = directs.every((direct) => direct !== undefined);
  return {
    async knex(trx) {
      const values: T[] = [];
      for (const unit of units) values.push(await unit.knex(trx));
      return values;
    },
    direct: allDirect
      ? (connection) => directs.map((direct) => (direct as (c: DirectConnection) => T)(connection))
      : undefined,
  };
}

/** Tuning of a {@link GroupCommitter}. */
export interface GroupCommitOptions {
  /** Most units per transaction. */
  maxBatch: number;
  /** How long a batch may wait for more units (see `#gather`). */
  maxWaitMs: number;
  /** Called after each COMMIT with the number of units it made durable. */
  onCommit?: (size: number) => void;
  /** The longest text of a Postgres batch, in bytes (default: `MAX_BATCH_TEXT`); for tests. */
  maxBatchText?: number | undefined;
}

/**
 * A webhook on its way to the store, whose unit of work is not submitted yet (its body has
 * arrived and is being verified; the middleware opens no ticket before the body is read, so a
 * slow client holds up no batch). While a ticket is open, a batch about to commit waits a
 * moment for it (at most `maxWaitMs`; see `#gather`), so that with a synchronous driver
 * (better-sqlite3) concurrent requests still share a COMMIT. Close it once the unit is submitted, or when the
 * request ends without one; closing again does nothing.
 */
export interface Ticket {
  close(): void;
}

/** A ticket that holds up no batch (without group commit, nothing waits). */
export const NO_TICKET: Ticket = { close() {} };

/** Most group-committed batches in flight at once on Postgres, each on its own connection. */
const POSTGRES_BATCHES_IN_FLIGHT = 2;

/** What became of a promise, as a {@link UnitResult}. */
function settled(promise: Promise<unknown>): Promise<UnitResult> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** A submitted unit, with the promise it answers. */
interface Queued<T> extends Unit<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Batches units of work into shared transactions. */
export class GroupCommitter {
  readonly #knex: Knex;
  readonly #direct: DirectAccess | undefined;
  readonly #postgres: PgAccess | undefined;
  readonly #maxBatch: number;
  readonly #onCommit: (size: number) => void;
  readonly #maxWaitMs: number;
  readonly #maxBatchText: number | undefined;
  readonly #queue: Queued<unknown>[] = [];
  #draining = false;
  /** Postgres batches in flight. */
  #inFlight = 0;
  /** Tickets open. */
  #expected = 0;
  /** Set by {@link flush}: batches no longer gather. */
  #flushing = false;

  constructor(db: Pick<Database, 'knex' | 'direct' | 'postgres'>, options: GroupCommitOptions) {
    this.#knex = db.knex;
    this.#direct = db.direct;
    this.#postgres = db.postgres;
    this.#maxBatch = options.maxBatch;
    this.#maxWaitMs = options.maxWaitMs;
    this.#onCommit = options.onCommit ?? (() => {});
    this.#maxBatchText = options.maxBatchText;
  }

  /** Opens a {@link Ticket} for a webhook on its way. */
  ticket(): Ticket {
    this.#expected += 1;
    let open = true;
    return {
      close: () => {
        if (!open) return;
        open = false;
        this.#expected -= 1;
      },
    };
  }

  /**
   * Stops gathering, for good (`close()`): the batch gathering now commits at the next turn of the
   * event loop, and each later one as soon as it is submitted, without waiting for open tickets.
   */
  flush(): void {
    this.#flushing = true;
  }

  /** Runs `unit` in the next batch; resolves with its result once the batch has committed. */
  submit<T>(unit: Unit<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        knex: unit.knex,
        direct: unit.direct,
        postgres: unit.postgres,
        resolve,
        reject,
      } as Queued<unknown>);
      if (!this.#draining) {
        this.#draining = true;
        // Start on the next turn, so that units submitted in the same turn join the batch.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    if (this.#postgres !== undefined) {
      this.#drainConcurrently();
      return;
    }
    try {
      while (this.#queue.length > 0) {
        await this.#gather(performance.now() + this.#maxWaitMs);
        await this.#commit(this.#queue.splice(0, this.#maxBatch));
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * On Postgres, whose driver is asynchronous: up to {@link POSTGRES_BATCHES_IN_FLIGHT} batches
   * at once, each taking what queued up while the others were in flight (no gathering: the
   * event loop is free meanwhile, and the server commits batches of different connections in
   * parallel).
   */
  #drainConcurrently(): void {
    while (this.#queue.length > 0 && this.#inFlight < POSTGRES_BATCHES_IN_FLIGHT) {
      this.#inFlight += 1;
      void this.#commit(this.#queue.splice(0, this.#maxBatch)).finally(() => {
        this.#inFlight -= 1;
        this.#drainConcurrently();
      });
    }
    this.#draining = false;
  }

  /**
   * Lets the event loop run, one turn at a time, while it brings more work: requests with an
   * open ticket, being verified, and what the last COMMIT set off (receivers that finish at once
   * and submit their outcomes, requests read meanwhile). Stops at the first turn that brings
   * nothing with no ticket open, at `maxBatch` units, at the deadline (a monotonic clock), or once
   * {@link flush} has been called. With a synchronous driver nothing else runs during a COMMIT,
   * and its fsync is paid once per batch: fewer, fuller COMMITs are what makes the event loop go
   * further (docs/performance.md).
   */
  async #gather(deadline: number): Promise<void> {
    while (!this.#flushing && this.#queue.length < this.#maxBatch && performance.now() < deadline) {
      const before = this.#queue.length;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#queue.length === before && this.#expected === 0) return;
    }
  }

  /**
   * Commits a batch and answers each of its units. Whatever throws on the way (a defect: every
   * expected failure is a unit's result) fails the units not answered yet, rather than leaving
   * their requests waiting; a unit already answered keeps its answer (a promise settles once).
   */
  async #commit(batch: Queued<unknown>[]): Promise<void> {
    try {
      await this.#commitBatch(batch);
    } catch (error) {
      // On Postgres a unit without a statement commits apart, not awaited here: left to it.
      for (const unit of batch) {
        if (this.#postgres === undefined || unit.postgres !== undefined) unit.reject(error);
      }
    }
  }

  async #commitBatch(batch: Queued<unknown>[]): Promise<void> {
    const postgres = this.#postgres;
    if (postgres !== undefined) {
      // A unit without a statement of its own (an atomic receiver runs in its transaction) takes
      // a Knex transaction alone, as without group commit: it neither sends the rest of the batch
      // down the Knex path nor holds the batch, or the next, while its receiver runs.
      for (const unit of batch) if (unit.postgres === undefined) void this.#commitKnex([unit]);
      const fast = batch.filter((unit) => unit.postgres !== undefined);
      if (fast.length > 0) await this.#commitPostgres(postgres, fast);
      return;
    }
    const direct = this.#direct;
    if (direct !== undefined && batch.every((unit) => unit.direct !== undefined)) {
      let results: UnitResult[];
      try {
        results = await runDirect(
          direct,
          batch.map((unit) => unit.direct as (connection: DirectConnection) => unknown),
        );
      } catch (error) {
        for (const unit of batch) unit.reject(error);
        return;
      }
      this.#answer(batch, results);
      return;
    }
    await this.#commitKnex(batch);
  }

  /** A batch in one Knex transaction, each unit in a savepoint when there are several. */
  async #commitKnex(batch: Queued<unknown>[]): Promise<void> {
    const results: UnitResult[] = [];
    try {
      // `knex.transaction(fn)` resolves only after COMMIT has completed: no caller is answered
      // on the strength of a savepoint release.
      await this.#knex.transaction(async (trx) => {
        if (batch.length === 1) {
          results.push({ ok: true, value: await (batch[0] as Queued<unknown>).knex(trx) });
          return;
        }
        for (const unit of batch) {
          // A plain savepoint on the batch's transaction, cheaper than Knex's nested
          // transactions, which build a new Knex object each (docs/performance.md). Units run
          // one after the other, so one name serves them all.
          await trx.raw('SAVEPOINT koa_payments_job');
          try {
            const value = await unit.knex(trx);
            await trx.raw('RELEASE SAVEPOINT koa_payments_job');
            results.push({ ok: true, value });
          } catch (error) {
            await trx.raw('ROLLBACK TO SAVEPOINT koa_payments_job');
            await trx.raw('RELEASE SAVEPOINT koa_payments_job');
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The COMMIT (or the only unit) failed: nothing of this batch is durable.
      batch.forEach((unit, i) => {
        const result = results[i];
        unit.reject(result !== undefined && !result.ok ? result.error : error);
      });
      return;
    }
    this.#answer(batch, results);
  }

  /**
   * The Postgres fast path: the batch's statements, in the order of the keys they lock, in one
   * round trip and one implicit transaction; a batch whose text would pass the bound is sent in
   * parts, one after the other, each committed and answered on its own (postgres-batches.ts).
   * When the server refuses a part, nothing of it is durable and each of its units runs again
   * alone, so that one that fails fails alone. When the connection failed instead, whether it
   * committed is unknown: every unit of the part fails (503; the provider redelivers and the
   * store recognises what it kept), as a webhook whose own statement met that error does. A
   * unit that hands the end of its work to a Knex transaction is answered once that transaction
   * has committed.
   */
  async #commitPostgres(postgres: PgAccess, batch: Queued<unknown>[]): Promise<void> {
    const units: Queued<unknown>[] = [];
    const steps: PgStep<unknown>[] = [];
    for (const unit of batch) {
      try {
        steps.push((unit.postgres as () => PgStep<unknown>)());
        units.push(unit);
      } catch (error) {
        unit.reject(error); // a step that throws as it is built fails its unit alone
      }
    }
    for (const { positions, text } of batchParts(steps, this.#maxBatchText)) {
      await this.#commitPart(
        postgres,
        positions.map((i) => units[i] as Queued<unknown>),
        positions.map((i) => steps[i] as PgStep<unknown>),
        text,
      );
    }
  }

  /** One part of a Postgres batch: its text, or its one step alone (`text` undefined). */
  async #commitPart(
    postgres: PgAccess,
    units: Queued<unknown>[],
    steps: PgStep<unknown>[],
    text: string | undefined,
  ): Promise<void> {
    const alone = (i: number) =>
      settled(
        runPostgresUnit(
          postgres,
          this.#knex,
          steps[i] as PgStep<unknown>,
          (units[i] as Queued<unknown>).knex,
        ),
      );
    if (text === undefined) {
      const result = await alone(0);
      if (result.ok) this.#answer(units, [result]);
      else (units[0] as Queued<unknown>).reject(result.error);
      return;
    }
    let rows: Record<string, unknown>[][];
    try {
      rows = await postgres.runBatch(steps, text);
    } catch (error) {
      if (!isSqlError(error)) {
        for (const unit of units) unit.reject(error);
        return;
      }
      this.#answer(units, await Promise.all(units.map((_, i) => alone(i))));
      return;
    }
    // Committed. Each unit reads its own rows: one whose result cannot be built fails alone,
    // never as a lost connection that would fail the whole part.
    const results = await Promise.all(
      steps.map((step, i) =>
        settled(
          Promise.resolve().then(() => {
            const value = step.result(rows[i] ?? []);
            return value instanceof KnexFollowUp ? this.#knex.transaction(value.run) : value;
          }),
        ),
      ),
    );
    this.#answer(units, results);
  }

  /** After a COMMIT: answers each unit with its own result. */
  #answer(batch: Queued<unknown>[], results: UnitResult[]): void {
    this.#onCommit(batch.length);
    batch.forEach((unit, i) => {
      const result = results[i] as UnitResult;
      if (result.ok) unit.resolve(result.value);
      else unit.reject(result.error);
    });
  }
}
