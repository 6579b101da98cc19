/**
 * Group commit: webhooks that arrive while a commit is in flight are stored together, in one
 * transaction. One COMMIT (one fsync on SQLite with synchronous=FULL) makes the whole batch
 * durable, and each caller is answered only after that COMMIT. A unit of work that fails (an
 * atomic receiver that throws) is rolled back alone: on Knex, each unit runs in a savepoint; on
 * the SQLite fast path, the batch runs without savepoints and is run again with them when a unit
 * fails (sqlite-direct.ts). A failed COMMIT fails the whole batch, and every caller answers 503.
 */
import type { Knex } from 'knex';
import {
  type DirectAccess,
  type DirectConnection,
  type Outcome,
  runDirect,
} from './sqlite-direct.js';

/**
 * A unit of work: `work` runs it on a Knex transaction; `direct`, when given, runs the same
 * writes synchronously on a better-sqlite3 connection (the SQLite fast path).
 */
export interface Work<T> {
  work(trx: Knex.Transaction): Promise<T>;
  direct?: ((connection: DirectConnection) => T) | undefined;
}

/**
 * A webhook on its way to the store, whose unit of work is not submitted yet (its body is still
 * being read and verified). While a ticket is open, a batch about to commit waits a moment for
 * it (at most `maxWaitMs`; see `#gather`), so that with a synchronous driver (better-sqlite3)
 * concurrent requests still share a COMMIT. Close it once the unit is submitted, or when the
 * request ends without one; closing again does nothing.
 */
export interface Ticket {
  close(): void;
}

/** A ticket that holds up no batch (without group commit, nothing waits). */
export const NO_TICKET: Ticket = { close() {} };

interface Job<T> extends Work<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Batches units of work into shared transactions. */
export class GroupCommitter {
  readonly #knex: Knex;
  readonly #direct: DirectAccess | undefined;
  readonly #maxBatch: number;
  readonly #onCommit: (size: number) => void;
  readonly #maxWaitMs: number;
  readonly #queue: Job<unknown>[] = [];
  #draining = false;
  /** Tickets open. */
  #expected = 0;

  constructor(
    knex: Knex,
    options: { maxBatch: number; maxWaitMs: number },
    onCommit: (size: number) => void = () => {},
    direct?: DirectAccess,
  ) {
    this.#knex = knex;
    this.#direct = direct;
    this.#maxBatch = options.maxBatch;
    this.#maxWaitMs = options.maxWaitMs;
    this.#onCommit = onCommit;
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

  /** Runs `work` in the next batch; resolves with its result once the batch has committed. */
  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work: work.work, direct: work.direct, resolve, reject } as Job<unknown>);
      if (!this.#draining) {
        this.#draining = true;
        // Start on the next turn, so that work submitted in the same turn joins the batch.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
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
   * Lets the event loop run, one turn at a time, while it brings more work: requests with an
   * open ticket, being read and verified, and what the last COMMIT set off (receivers that finish at once and
   * submit their outcomes, requests read meanwhile). Stops at the first turn that brings nothing
   * with no ticket open, at `maxBatch` units, or at the deadline (a monotonic clock). With a
   * synchronous driver nothing else runs during a COMMIT, and its fsync is paid once per batch:
   * fewer, fuller COMMITs are what makes the event loop go further (docs/performance.md).
   */
  async #gather(deadline: number): Promise<void> {
    while (this.#queue.length < this.#maxBatch && performance.now() < deadline) {
      const before = this.#queue.length;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#queue.length === before && this.#expected === 0) return;
    }
  }

  async #commit(batch: Job<unknown>[]): Promise<void> {
    const direct = this.#direct;
    if (direct !== undefined && batch.every((job) => job.direct !== undefined)) {
      let outcomes: Outcome[];
      try {
        outcomes = await runDirect(
          direct,
          batch.map((job) => job.direct as (connection: DirectConnection) => unknown),
        );
      } catch (error) {
        for (const job of batch) job.reject(error);
        return;
      }
      this.#settle(batch, outcomes);
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      // `knex.transaction(fn)` resolves only after COMMIT has completed: no caller is answered
      // on the strength of a savepoint release.
      await this.#knex.transaction(async (trx) => {
        if (batch.length === 1) {
          outcomes.push({ ok: true, value: await (batch[0] as Job<unknown>).work(trx) });
          return;
        }
        for (const job of batch) {
          // A plain savepoint on the batch's transaction: Knex's nested transactions build a new
          // Knex object each (6 % of a webhook's CPU time in the bench profile). Jobs run one
          // after the other, so one name serves them all.
          await trx.raw('SAVEPOINT koa_payments_job');
          try {
            const value = await job.work(trx);
            await trx.raw('RELEASE SAVEPOINT koa_payments_job');
            outcomes.push({ ok: true, value });
          } catch (error) {
            await trx.raw('ROLLBACK TO SAVEPOINT koa_payments_job');
            await trx.raw('RELEASE SAVEPOINT koa_payments_job');
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The COMMIT (or the only job) failed: nothing of this batch is durable.
      batch.forEach((job, i) => {
        const outcome = outcomes[i];
        job.reject(outcome !== undefined && !outcome.ok ? outcome.error : error);
      });
      return;
    }
    this.#settle(batch, outcomes);
  }

  /** After a COMMIT: answers each job with its own outcome. */
  #settle(batch: Job<unknown>[], outcomes: Outcome[]): void {
    this.#onCommit(batch.length);
    batch.forEach((job, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
