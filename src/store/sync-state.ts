/**
 * The `sync_state` table: one row per variant with a periodic catch-up, leased by the process
 * that runs it. Taking the lease is one UPDATE whose WHERE holds only when the lease is free and
 * the period has passed since the last run; it sets the run's start in the same statement. On
 * Postgres a concurrent UPDATE of the row waits for the first to commit and then finds the WHERE
 * false; on SQLite writes are serialised. So any number of processes agree on one run per period.
 */
import type { Knex } from 'knex';
import type { SyncRunRecord, SyncState } from '../sync/types.js';
import { type Row, toDate } from './rows.js';
import type { TableNames } from './table-names.js';

function toState(row: Row): SyncState {
  let lastResult: SyncRunRecord | null = null;
  if (typeof row.last_result === 'string') {
    try {
      lastResult = JSON.parse(row.last_result) as SyncRunRecord;
    } catch {
      lastResult = null;
    }
  }
  return {
    variant: String(row.variant),
    lastRunAt: toDate(row.last_run_at),
    lastFinishedAt: toDate(row.last_finished_at),
    lastStatus: (row.last_status ?? null) as SyncState['lastStatus'],
    lastResult,
    coveredUntil: toDate(row.covered_until),
    leaseHolder:
      row.lease_holder === null || row.lease_holder === undefined ? null : String(row.lease_holder),
    leaseUntil: toDate(row.lease_until),
  };
}

/** A lease taken: the token that fences every later write of the run. */
export interface SyncLease {
  token: string;
  state: SyncState;
}

/** Reads and writes `sync_state` for one database and table prefix. */
export class SyncStateStore {
  readonly #knex: Knex;
  readonly #table: string;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#table = tables.syncState;
  }

  /** The row of a variant, if it ever ran. */
  async get(variant: string): Promise<SyncState | undefined> {
    const row = (await this.#knex(this.#table).where({ variant }).first()) as Row | undefined;
    return row === undefined ? undefined : toState(row);
  }

  /**
   * Takes the variant's lease for a run starting `now`, when it is free and the last run started
   * at least `everyMs` ago; resolves with the lease, or undefined when another process holds it
   * or the period has not passed.
   */
  async acquire(
    variant: string,
    options: { token: string; holder: string; now: Date; everyMs: number; leaseMs: number },
  ): Promise<SyncLease | undefined> {
    const { token, holder, now, everyMs, leaseMs } = options;
    await this.#knex(this.#table).insert({ variant }).onConflict('variant').ignore();
    const rows = (await this.#knex(this.#table)
      .where({ variant })
      .andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<=', now))
      .andWhere((q) =>
        q.whereNull('last_run_at').orWhere('last_run_at', '<=', new Date(now.getTime() - everyMs)),
      )
      .update({
        lease_token: token,
        lease_holder: holder,
        lease_until: new Date(now.getTime() + leaseMs),
        last_run_at: now,
        last_finished_at: null,
      })
      .returning('*')) as Row[];
    const row = rows[0];
    return row === undefined ? undefined : { token, state: toState(row) };
  }

  /** Extends a held lease; resolves false when the lease was lost (taken over after expiring). */
  async renew(variant: string, token: string, leaseMs: number): Promise<boolean> {
    const updated = await this.#knex(this.#table)
      .where({ variant, lease_token: token })
      .update({ lease_until: new Date(Date.now() + leaseMs) });
    return Number(updated) > 0;
  }

  /**
   * Records how the run ended and frees the lease; `coveredUntil` advances on success only.
   * Resolves false when the lease was lost, in which case nothing is written.
   */
  async finish(
    variant: string,
    token: string,
    outcome: {
      status: 'succeeded' | 'failed';
      record: SyncRunRecord;
      finishedAt: Date;
      coveredUntil: Date | undefined;
    },
  ): Promise<boolean> {
    const update: Record<string, unknown> = {
      lease_token: null,
      lease_holder: null,
      lease_until: null,
      last_finished_at: outcome.finishedAt,
      last_status: outcome.status,
      last_result: JSON.stringify(outcome.record),
    };
    if (outcome.coveredUntil !== undefined) update.covered_until = outcome.coveredUntil;
    const updated = await this.#knex(this.#table)
      .where({ variant, lease_token: token })
      .update(update);
    return Number(updated) > 0;
  }
}
