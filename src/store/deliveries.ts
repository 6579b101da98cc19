/**
 * Claims and leases on the `deliveries` table. A runner leases the deliveries it runs
 * (`locked_until`); a lease that expires hands them to whoever claims next, so that a process
 * that died loses nothing. On Postgres a claim locks with `FOR UPDATE SKIP LOCKED`, so that
 * concurrent claimers never take the same row.
 */
import type { Knex } from 'knex';
import type { Database } from './database.js';
import type { TableNames } from './migrations.js';
import { outcomeRow, type Row, toDelivery } from './rows.js';
import type { Delivery, DeliveryStatus } from './types.js';

/** Which deliveries of one event {@link Deliveries.claimForEvent} takes. */
export interface EventClaim {
  statuses: readonly DeliveryStatus[];
  /** Only these receivers' deliveries. */
  receivers?: readonly string[];
}

/** Claims and leases for one database and table prefix. */
export class Deliveries {
  readonly #knex: Knex;
  readonly #table: string;
  readonly #dialect: Database['dialect'];

  constructor(db: Database, tables: TableNames) {
    this.#knex = db.knex;
    this.#table = tables.deliveries;
    this.#dialect = db.dialect;
  }

  /** Rows whose lease is free: never leased, or the lease has expired. */
  #leaseFree(query: Knex.QueryBuilder, now: Date): Knex.QueryBuilder {
    return query.andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now));
  }

  /** Atomically leases the rows the subquery selects and marks them `running`. */
  async #claim(select: Knex.QueryBuilder, leaseMs: number, now: Date): Promise<Delivery[]> {
    if (this.#dialect === 'postgres') select.forUpdate().skipLocked();
    const rows = (await this.#knex(this.#table)
      .whereIn('id', select)
      .update({ status: 'running', locked_until: new Date(now.getTime() + leaseMs) })
      .returning('*')) as Row[];
    return rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  /**
   * Claims up to `limit` deliveries that are due: failed ones whose next attempt has come, and
   * pending or running ones whose lease expired (their runner died). Used by the retry worker.
   */
  async claimDue(limit: number, leaseMs: number, now: Date = new Date()): Promise<Delivery[]> {
    const select = this.#knex(this.#table)
      .select('id')
      .whereIn('status', ['pending', 'failed', 'running'])
      .andWhere((q) => q.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now))
      .orderBy('id')
      .limit(limit);
    this.#leaseFree(select, now);
    return this.#claim(select, leaseMs, now);
  }

  /**
   * Claims deliveries of one event whose lease is free, whatever their schedule: for a provider
   * redelivery (the failed and abandoned ones) or a replay (any, including succeeded ones).
   */
  async claimForEvent(
    eventId: number,
    leaseMs: number,
    claim: EventClaim,
    now: Date = new Date(),
  ): Promise<Delivery[]> {
    const select = this.#knex(this.#table)
      .select('id')
      .where({ event: eventId })
      .whereIn('status', [...claim.statuses]);
    if (claim.receivers !== undefined) select.whereIn('receiver', [...claim.receivers]);
    this.#leaseFree(select, now);
    return this.#claim(select, leaseMs, now);
  }

  /** Creates `pending` deliveries for receivers an event has none for yet (for replays). */
  async ensure(eventId: number, receivers: readonly string[]): Promise<void> {
    if (receivers.length === 0) return;
    const now = new Date();
    await this.#knex(this.#table)
      .insert(
        receivers.map((receiver) => ({
          event: eventId,
          receiver,
          status: 'pending',
          attempts: 0,
          created_at: now,
        })),
      )
      .onConflict(['event', 'receiver'])
      .ignore();
  }

  /** Extends the lease of a running delivery (while its receiver is still working). */
  async renewLease(delivery: Delivery, leaseMs: number): Promise<void> {
    await this.#knex(this.#table)
      .where({ id: delivery.id })
      .whereIn('status', ['pending', 'running'])
      .update({ locked_until: new Date(Date.now() + leaseMs) });
  }

  /** Marks a leased delivery as running. */
  async markRunning(delivery: Delivery, leaseMs: number): Promise<void> {
    // The attempt is counted when it starts, so that a receiver that kills its process still
    // uses up its attempts (and ends up dead) instead of re-running forever.
    await this.#knex(this.#table)
      .where({ id: delivery.id })
      .update({
        status: 'running',
        attempts: delivery.attempts + 1,
        locked_until: new Date(Date.now() + leaseMs),
      });
  }

  /**
   * Records a successful run inside `trx`: an atomic receiver retried outside the storing
   * transaction commits its work and its success together.
   */
  async recordSuccess(delivery: Delivery, trx: Knex.Transaction): Promise<void> {
    await trx(this.#table)
      .where({ id: delivery.id })
      .update(outcomeRow(delivery, { status: 'succeeded' }, new Date()));
  }
}
