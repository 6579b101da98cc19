/**
 * The `paused_receivers` table: a row per receiver paused by `pay.pause()`, read by every
 * instance and worker on the same database (dispatch/pauses.ts caches it per process).
 */
import type { Knex } from 'knex';
import type { PausedReceiver } from '../types.js';
import type { Database } from './database.js';
import { type Row, toDate } from './rows.js';
import type { DirectAccess } from './sqlite-direct.js';
import type { TableNames } from './table-names.js';

/** Longest reason kept. */
const MAX_REASON = 255;

/** Reads and writes the paused receivers of one database and table prefix. */
export class PausedReceivers {
  readonly #knex: Knex;
  readonly #direct: DirectAccess | undefined;
  readonly #table: string;

  constructor(db: Pick<Database, 'knex' | 'direct'>, tables: TableNames) {
    this.#knex = db.knex;
    this.#direct = db.direct;
    this.#table = tables.pausedReceivers;
  }

  /**
   * Every paused receiver, by name. Dispatch reads it (once a second at most): on SQLite through
   * the connection the webhooks' fast path borrows, as the rest of a webhook's statements.
   */
  async list(): Promise<PausedReceiver[]> {
    let rows: Row[];
    if (this.#direct === undefined) {
      rows = (await this.#knex(this.#table).orderBy('receiver').select('*')) as Row[];
    } else {
      const connection = await this.#direct.acquire();
      try {
        rows = connection.all(`SELECT * FROM "${this.#table}" ORDER BY "receiver"`);
      } finally {
        this.#direct.release(connection);
      }
    }
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
