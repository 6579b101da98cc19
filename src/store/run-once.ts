/**
 * `pay.runOnce(key, fn)`: at most one run of `fn` per key, across every path, process and
 * instance on the database. A caller claims the key by inserting its row (UNIQUE(key)); the
 * others find it and wait, polling, until it is `done` (they get `ran: false`) or gone (the run
 * failed and freed the key: they claim it in turn).
 *
 * A claim outside a transaction is leased like a delivery (`retry.leaseMs`, renewed while `fn`
 * runs), so that a key whose process died is taken over once the lease expires. A claim in the
 * caller's transaction is written `done` at once: it commits or rolls back with the caller's
 * work, and until then the row is the transaction's own (Postgres makes a competing insert wait
 * for it, bounded by `lock_timeout`; SQLite's write lock serialises them).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Knex } from 'knex';
import { RunOnceBusyError } from '../errors.js';
import type { Logger, RunOnceOptions, RunOnceResult } from '../types.js';
import type { Database } from './database.js';
import type { TableNames } from './table-names.js';

/** @default of {@link RunOnceOptions.waitMs}. */
export const DEFAULT_RUN_ONCE_WAIT_MS = 30_000;
const MAX_KEY_LENGTH = 255;
/** Polling while another run holds the key: from 10 ms, doubling, up to 250 ms. */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 250;

type Claim = 'held' | 'done' | 'busy' | 'freed';

/** The keys of one database and table prefix. */
export class RunOnce {
  readonly #knex: Knex;
  readonly #dialect: Database['dialect'];
  readonly #table: string;
  readonly #leaseMs: number;
  readonly #logger: Logger;

  constructor(db: Database, tables: TableNames, leaseMs: number, logger: Logger) {
    this.#knex = db.knex;
    this.#dialect = db.dialect;
    this.#table = tables.once;
    this.#leaseMs = leaseMs;
    this.#logger = logger;
  }

  /** Runs `fn` unless a run of `key` has succeeded (or is running, then waits for it). */
  async run<T>(
    key: string,
    fn: () => T | Promise<T>,
    options: RunOnceOptions = {},
  ): Promise<RunOnceResult<T>> {
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
      throw new TypeError(
        `koa-payments: runOnce needs a key: a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
      );
    }
    if (typeof fn !== 'function') throw new TypeError('koa-payments: runOnce needs a function');
    const waitMs = options.waitMs ?? DEFAULT_RUN_ONCE_WAIT_MS;
    if (typeof waitMs !== 'number' || !(waitMs >= 0) || !Number.isFinite(waitMs)) {
      throw new TypeError('koa-payments: runOnce: waitMs must be a number of milliseconds ≥ 0');
    }
    const { trx } = options;
    const token = randomUUID();
    const started = Date.now();
    let pause = FIRST_POLL_MS;
    for (;;) {
      const claim = await this.#claim(key, token, trx, started + waitMs);
      if (claim === 'done') return { ran: false };
      if (claim === 'held') break;
      if (claim === 'freed') continue; // the other run failed: claim the key again at once
      if (trx !== undefined && this.#dialect === 'sqlite') {
        throw new RunOnceBusyError(key, Date.now() - started, true);
      }
      const left = started + waitMs - Date.now();
      if (left <= 0) throw new RunOnceBusyError(key, Date.now() - started);
      await delay(Math.min(pause, left));
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
    return trx === undefined
      ? this.#runLeased(key, token, fn)
      : this.#runInTransaction(key, token, fn, trx);
  }

  /**
   * One try at the key: insert its row, or take it over from a holder whose lease expired, or
   * read how it stands. On Postgres a competing insert not yet committed makes this wait, at
   * most until `deadline` (`lock_timeout`), and then counts as busy.
   */
  async #claim(
    key: string,
    token: string,
    trx: Knex.Transaction | undefined,
    deadline: number,
  ): Promise<Claim> {
    const attempt = async (q: Knex | Knex.Transaction): Promise<Claim> => {
      const now = new Date();
      // In a transaction the claim is the record: it commits (done) or rolls back with it.
      const held =
        trx === undefined
          ? { status: 'running', locked_until: new Date(now.getTime() + this.#leaseMs) }
          : { status: 'done', locked_until: null, completed_at: now };
      const inserted = (await q(this.#table)
        .insert({ key, token, created_at: now, ...held })
        .onConflict('key')
        .ignore()
        .returning('key')) as unknown[];
      if (inserted.length > 0) return 'held';
      const taken = await q(this.#table)
        .where({ key, status: 'running' })
        .andWhere('locked_until', '<=', now)
        .update({ token, ...held });
      if (taken > 0) {
        this.#logger.warn(
          { key },
          'koa-payments: runOnce took over a key whose run never finished (its process died or lost its lease)',
        );
        return 'held';
      }
      const row = (await q(this.#table).where({ key }).first('status')) as
        | { status: string }
        | undefined;
      if (row === undefined) return 'freed';
      return row.status === 'done' ? 'done' : 'busy';
    };
    if (this.#dialect !== 'postgres') return attempt(trx ?? this.#knex);
    // A transaction of its own, or a savepoint in the caller's: a lock timeout rolls back only
    // the claim, and lock_timeout is set back for the rest of the caller's transaction.
    try {
      return await (trx ?? this.#knex).transaction(async (sub) => {
        const lockTimeout = (value: string) =>
          sub.raw("SELECT set_config('lock_timeout', ?, true)", [value]);
        const { rows } = (await sub.raw("SELECT current_setting('lock_timeout') AS v")) as {
          rows: { v: string }[];
        };
        await lockTimeout(`${Math.max(1, Math.ceil(deadline - Date.now()))}ms`);
        const claim = await attempt(sub);
        await lockTimeout(rows[0]?.v ?? '0');
        return claim;
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === '55P03') return 'busy'; // lock_not_available
      throw error;
    }
  }

  /** Runs `fn` under the key's lease; records it done, or frees the key when `fn` throws. */
  async #runLeased<T>(
    key: string,
    token: string,
    fn: () => T | Promise<T>,
  ): Promise<RunOnceResult<T>> {
    const mine = () => this.#knex(this.#table).where({ key, token });
    const renewal = setInterval(
      () => {
        mine()
          .update({ locked_until: new Date(Date.now() + this.#leaseMs) })
          .catch((error: unknown) => {
            this.#logger.warn({ err: error, key }, 'koa-payments: runOnce lease renewal failed');
          });
      },
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    renewal.unref();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      clearInterval(renewal);
      await mine()
        .delete()
        .catch((deleteError: unknown) => {
          this.#logger.error(
            { err: deleteError, key },
            'koa-payments: runOnce could not free the key of a failed run; it is free again once its lease expires',
          );
        });
      throw error;
    }
    clearInterval(renewal);
    const changed = await mine().update({
      status: 'done',
      locked_until: null,
      completed_at: new Date(),
    });
    if (changed === 0) {
      this.#logger.warn(
        { key },
        'koa-payments: a runOnce run outlived its lease and another caller took the key over; both ran',
      );
    }
    return { ran: true, result };
  }

  /** Runs `fn` with the key claimed in the caller's transaction. */
  async #runInTransaction<T>(
    key: string,
    token: string,
    fn: () => T | Promise<T>,
    trx: Knex.Transaction,
  ): Promise<RunOnceResult<T>> {
    try {
      return { ran: true, result: await fn() };
    } catch (error) {
      // Freed in the transaction too, should the caller commit it all the same. A Postgres
      // transaction that an error aborted refuses this; it can only roll back, claim included.
      await trx(this.#table)
        .where({ key, token })
        .delete()
        .catch(() => {});
      throw error;
    }
  }
}
