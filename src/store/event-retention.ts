/**
 * Deleting settled events past their retention (`events.retentionDays`), with their deliveries.
 * Prunable: `processed` or `ignored`, received and settled before the cut-off, and no delivery
 * that is not settled, succeeded or skipped (a replay may be running it). Pending and failed
 * events never are. Their request-log lines, the objects mirror's entries they set and the
 * payment signals they emitted stay, their `event` set to null (as the foreign key does where it
 * is enforced): a redelivery of a pruned event does not emit its payment signal again. An entry
 * whose state points into a pruned event's payload gets that state written into it first, in
 * the same transaction (src/objects/mirror.ts).
 *
 * Deletes run in batches, each a short transaction of its own, so that webhooks stored meanwhile
 * (on SQLite, behind the same write lock) wait for one batch at most.
 */
import type { Knex } from 'knex';
import { materialiseEntries } from '../objects/mirror.js';
import type { Database } from './database.js';
import type { TableNames } from './table-names.js';

/** Events deleted per transaction. */
const BATCH = 500;

/** What a prune deleted (or, counting, would delete). */
export interface PrunedEvents {
  events: number;
  deliveries: number;
}

/** Prunes the settled events of one database and table prefix. */
export class EventRetention {
  readonly #knex: Knex;
  readonly #dialect: Database['dialect'];
  readonly #t: TableNames;

  constructor(db: Database, tables: TableNames) {
    this.#knex = db.knex;
    this.#dialect = db.dialect;
    this.#t = tables;
  }

  /** Narrows a query on the events table to the events prunable at `before`. */
  #prunable(query: Knex.QueryBuilder, before: Date): Knex.QueryBuilder {
    const { events, deliveries } = this.#t;
    const knex = this.#knex;
    return query
      .whereIn(`${events}.status`, ['processed', 'ignored'])
      .where(`${events}.received_at`, '<', before)
      .where(`${events}.processed_at`, '<', before)
      .whereNotExists(
        knex(deliveries)
          .select(knex.raw('1'))
          .whereRaw('??.?? = ??.??', [deliveries, 'event', events, 'id'])
          .whereNotIn(`${deliveries}.status`, ['succeeded', 'skipped']),
      );
  }

  /** How many events (and deliveries) a prune at `before` would delete now. */
  async count(before: Date): Promise<PrunedEvents> {
    const { events, deliveries } = this.#t;
    const ids = this.#prunable(this.#knex(events).select('id'), before);
    const [eventRows, deliveryRows] = await Promise.all([
      this.#prunable(this.#knex(events), before).count({ n: '*' }),
      this.#knex(deliveries).whereIn('event', ids).count({ n: '*' }),
    ]);
    return {
      events: Number((eventRows[0] as { n: unknown } | undefined)?.n ?? 0),
      deliveries: Number((deliveryRows[0] as { n: unknown } | undefined)?.n ?? 0),
    };
  }

  /** Deletes the events prunable at `before`, and their deliveries; returns how many. */
  async prune(before: Date): Promise<PrunedEvents> {
    const { events } = this.#t;
    const total: PrunedEvents = { events: 0, deliveries: 0 };
    let after = 0;
    for (;;) {
      const ids = (await this.#prunable(this.#knex(events), before)
        .where(`${events}.id`, '>', after)
        .orderBy(`${events}.id`)
        .limit(BATCH)
        .pluck(`${events}.id`)) as number[];
      if (ids.length === 0) break;
      after = Number(ids[ids.length - 1]);
      const deleted = await this.#knex.transaction((trx) => this.#deleteBatch(trx, ids, before));
      total.events += deleted.events;
      total.deliveries += deleted.deliveries;
      if (ids.length < BATCH) break;
    }
    return total;
  }

  /**
   * Deletes the events of `ids` that are still prunable, and their deliveries. The rule is
   * checked again inside the transaction: a replay may have claimed a delivery since.
   */
  async #deleteBatch(trx: Knex.Transaction, ids: number[], before: Date): Promise<PrunedEvents> {
    const { events, deliveries, requests, objects, paymentSignals } = this.#t;
    const doomed = this.#prunable(trx(events).select(`${events}.id`).whereIn('id', ids), before);
    // Postgres: lock the events, so that no settle or replay changes them until COMMIT. SQLite:
    // the first statement writes, so the transaction takes the write lock before it reads (a
    // transaction that read first could not write once another connection had written).
    if (this.#dialect === 'postgres') doomed.forUpdate();
    const deletedDeliveries = await trx(deliveries).whereIn('event', doomed).delete();
    // After the first write (the lock, above), before the payloads go.
    await materialiseEntries(trx, this.#t, doomed);
    const deletedEvents = await this.#prunable(trx(events).whereIn('id', ids), before).delete();
    for (const table of [requests, objects, paymentSignals]) {
      await trx(table)
        .whereIn('event', ids)
        .whereNotIn('event', trx(events).select('id').whereIn('id', ids))
        .update({ event: null });
    }
    return { events: deletedEvents, deliveries: deletedDeliveries };
  }
}
