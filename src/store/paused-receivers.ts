/**
 * The `paused_receivers` table: a row per receiver paused by `pay.pause()`, read by every
 * instance and worker on the same database (dispatch/pauses.ts caches it per process).
 */
import type { Knex } from 'knex';
import type { TableNames } from './migrations.js';
import { type Row, toDate } from './rows.js';

/** A paused receiver (`pay.paused()`). */
export interface PausedReceiver {
  receiver: string;
  pausedAt: Date;
  /** What the operator said when pausing it, if anything. */
  reason: string | null;
}

/** Longest reason kept. */
const MAX_REASON = 255;

/** Reads and writes the paused receivers of one database and table prefix. */
export class PausedReceivers {
  readonly #knex: Knex;
  readonly #table: string;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#table = tables.pausedReceivers;
  }

  /** Every paused receiver, by name. */
  async list(): Promise<PausedReceiver[]> {
    const rows = (await this.#knex(this.#table).orderBy('receiver').select('*')) as Row[];
    return rows.map((row) => ({
      receiver: String(row.receiver),
      pausedAt: toDate(row.paused_at) as Date,
      reason: row.reason === null || row.reason === undefined ? null : String(row.reason),
    }));
  }

  /**
   * Pauses `receiver`; pausing one already paused keeps its first time and reason. Resolves with
   * whether it was paused by this call.
   */
  async pause(receiver: string, reason: string | undefined, now: Date): Promise<boolean> {
    const rows = (await this.#knex(this.#table)
      .insert({
        receiver,
        paused_at: now,
        reason: reason === undefined ? null : reason.slice(0, MAX_REASON),
      })
      .onConflict('receiver')
      .ignore()
      .returning('receiver')) as Row[];
    return rows.length > 0;
  }

  /** Resumes `receiver`; resolves with whether it was paused. */
  async resume(receiver: string): Promise<boolean> {
    return (await this.#knex(this.#table).where({ receiver }).delete()) > 0;
  }
}
