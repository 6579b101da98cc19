/**
 * The `variant_activity` table: per variant with `expectEvery`, since when it is watched, when
 * it last received a valid webhook, and since when it has been reported silent. Instances write
 * the last webhook (a few times a minute at most, alerts/silence.ts); the instance whose check
 * sees a change of state writes the silence, by a conditional update that only one can win.
 */
import type { Knex } from 'knex';
import { type Row, toDate } from './rows.js';
import type { TableNames } from './table-names.js';

/** One variant's row. */
export interface VariantActivityRow {
  variant: string;
  /** When the first instance began watching it: a silence without any webhook counts from here. */
  watchedSince: Date;
  lastWebhookAt: Date | null;
  silentSince: Date | null;
}

/** Reads and writes the activity of the variants of one database and table prefix. */
export class VariantActivity {
  readonly #knex: Knex;
  readonly #table: string;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#table = tables.variantActivity;
  }

  /**
   * The rows of `variants`, each created first when missing (watched since `now`): a restart
   * does not start the count again.
   */
  async watch(variants: readonly string[], now: Date): Promise<VariantActivityRow[]> {
    if (variants.length === 0) return [];
    await this.#knex(this.#table)
      .insert(variants.map((variant) => ({ variant, watched_since: now })))
      .onConflict('variant')
      .ignore();
    return this.list(variants);
  }

  /** The rows of `variants` that exist. */
  async list(variants: readonly string[]): Promise<VariantActivityRow[]> {
    if (variants.length === 0) return [];
    const rows = (await this.#knex(this.#table).whereIn('variant', [...variants])) as Row[];
    return rows.map((row) => ({
      variant: String(row.variant),
      watchedSince: toDate(row.watched_since) as Date,
      lastWebhookAt: toDate(row.last_webhook_at),
      silentSince: toDate(row.silent_since),
    }));
  }

  /** Records that `variant` received a valid webhook at `at` (never moving the time back). */
  async seen(variant: string, at: Date): Promise<void> {
    const column = this.#knex.ref(`${this.#table}.last_webhook_at`);
    await this.#knex(this.#table)
      .insert({ variant, watched_since: at, last_webhook_at: at })
      .onConflict('variant')
      .merge({
        last_webhook_at: this.#knex.raw('CASE WHEN ? IS NULL OR ? < ? THEN ? ELSE ? END', [
          column,
          column,
          at,
          at,
          column,
        ]),
      });
  }

  /**
   * Marks `variant` silent since `since`, unless it already is; resolves with whether this call
   * did (then its caller reports it, and no other instance does).
   */
  async markSilent(variant: string, since: Date): Promise<boolean> {
    const changed = await this.#knex(this.#table)
      .where({ variant })
      .whereNull('silent_since')
      .update({ silent_since: since });
    return changed > 0;
  }

  /** Clears the silence of `variant`; resolves with whether this call did. */
  async markResumed(variant: string): Promise<boolean> {
    const changed = await this.#knex(this.#table)
      .where({ variant })
      .whereNotNull('silent_since')
      .update({ silent_since: null });
    return changed > 0;
  }
}
