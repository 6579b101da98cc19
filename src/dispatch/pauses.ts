/**
 * Which receivers are paused, as this process sees them: the `paused_receivers` table, read at
 * most once per `maxAgeMs` (one small query a second under load, none while idle) and shared by
 * every dispatch in the meantime. A pause made by any instance is thus honoured here by every
 * run that starts more than `maxAgeMs` after it; one made by this instance, at once. The retry
 * worker's claims read the table itself (deliveries.ts), so they never take a paused receiver's
 * delivery.
 */
import type { PausedReceivers } from '../store/paused-receivers.js';
import type { Logger } from '../types.js';

/** How old the copy of the table may be when a run starts. */
export const PAUSE_MAX_AGE_MS = 1_000;

const NONE: ReadonlySet<string> = new Set();

/** The paused receivers of one instance, cached. */
export class Pauses {
  readonly #table: PausedReceivers;
  readonly #logger: Logger;
  readonly #maxAgeMs: number;
  #names: ReadonlySet<string> = NONE;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<ReadonlySet<string>> | undefined;
  #warned = false;
  /** Bumped by {@link set}: a read that began before a local change does not overwrite it. */
  #generation = 0;

  constructor(table: PausedReceivers, logger: Logger, maxAgeMs = PAUSE_MAX_AGE_MS) {
    this.#table = table;
    this.#logger = logger;
    this.#maxAgeMs = maxAgeMs;
  }

  /**
   * The paused receivers: the copy in memory while it is fresh, else read again (one read at a
   * time, shared by every caller). A read that fails keeps the last copy.
   */
  current(): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    if (performance.now() - this.#readAt < this.#maxAgeMs) return this.#names;
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /** Reads the table now. */
  async refresh(): Promise<ReadonlySet<string>> {
    this.#readAt = Number.NEGATIVE_INFINITY;
    return this.current();
  }

  /** Records a pause or a resume made by this instance, without waiting for the next read. */
  set(receiver: string, paused: boolean): void {
    const names = new Set(this.#names);
    if (paused) names.add(receiver);
    else names.delete(receiver);
    this.#names = names;
    this.#generation += 1;
  }

  async #read(): Promise<ReadonlySet<string>> {
    const started = performance.now();
    const generation = this.#generation;
    try {
      const rows = await this.#table.list();
      if (generation !== this.#generation) return this.#names; // read again next time
      this.#names = rows.length === 0 ? NONE : new Set(rows.map((r) => r.receiver));
      this.#readAt = started;
      this.#warned = false;
    } catch (error) {
      // The table missing (not migrated) or the database down: the webhook's own store fails
      // loudly in the second case; here the last copy stands, and the next run reads again.
      if (!this.#warned) {
        this.#warned = true;
        this.#logger.warn(
          { err: error },
          'koa-payments: could not read the paused receivers; using the last known list (run `await pay.migrate()` if the table is missing)',
        );
      }
    }
    return this.#names;
  }
}
