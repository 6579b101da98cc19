/**
 * Claims and leases on the `deliveries` table. A runner leases the deliveries it runs
 * (`locked_until`); a lease that expires hands them to whoever claims next, so that a process
 * that died loses nothing. On Postgres a claim locks with `FOR UPDATE SKIP LOCKED`, so that
 * concurrent claimers never take the same row.
 *
 * Each claim writes a new lease token on its rows (`lease_token`), and counts the attempt it is
 * for in the same statement. A runner renews its lease and records an outcome only where the row
 * still carries its token: a runner whose lease expired and was claimed by another (a process
 * that stalled past its lease) writes nothing over the new holder's run.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { outcomeRow, type Row, toDelivery } from './rows.js';
import type { TableNames } from './table-names.js';
import type { DeliveryStatus, LeasedDelivery } from './types.js';

/** Which deliveries of one event {@link Deliveries.claimForEvent} takes. */
export interface EventClaim {
  statuses: readonly DeliveryStatus[];
  /** Only these receivers' deliveries. */
  receivers?: readonly string[];
}

/**
 * Thrown by a write made under a lease that another runner has taken over, inside the
 * transaction it would have committed with: the transaction rolls back.
 */
export class LeaseLostError extends Error {
  constructor(delivery: LeasedDelivery) {
    super(`koa-payments: the lease on delivery ${delivery.id} was taken over by another runner`);
    this.name = 'LeaseLostError';
  }
}

/** A new lease token. */
export function newLeaseToken(): string {
  return randomUUID();
}

/** Claims and leases for one database and table prefix. */
export class Deliveries {
  readonly #knex: Knex;
  readonly #table: string;
  readonly #paused: string;
  readonly #dialect: Database['dialect'];

  constructor(db: Database, tables: TableNames) {
    this.#knex = db.knex;
    this.#table = tables.deliveries;
    this.#paused = tables.pausedReceivers;
    this.#dialect = db.dialect;
  }

  /**
   * Rows of receivers that are not paused (`pay.pause()`): no claim ever takes a paused
   * receiver's delivery, whichever instance paused it.
   */
  #notPaused(query: Knex.QueryBuilder): Knex.QueryBuilder {
    return query.whereNotIn('receiver', this.#knex(this.#paused).select('receiver'));
  }

  /** Rows whose lease is free: never leased, or the lease has expired. */
  #leaseFree(query: Knex.QueryBuilder, now: Date): Knex.QueryBuilder {
    return query.andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now));
  }

  /**
   * Atomically leases the rows the subquery selects under a new token, marks them `running` and
   * counts their attempt: an attempt is used up once claimed, so that a receiver that kills its
   * process still uses up its attempts (and ends up dead) instead of re-running forever, and no
   * two claims ever run the same attempt.
   */
  async #claim(select: Knex.QueryBuilder, leaseMs: number, now: Date): Promise<LeasedDelivery[]> {
    if (this.#dialect === 'postgres') select.forUpdate().skipLocked();
    const lease = newLeaseToken();
    const rows = (await this.#knex(this.#table)
      .whereIn('id', select)
      .update({
        status: 'running',
        attempts: this.#knex.raw('?? + 1', ['attempts']),
        locked_until: new Date(now.getTime() + leaseMs),
        lease_token: lease,
      })
      .returning('*')) as Row[];
    return rows
      .map((row) => {
        const delivery = toDelivery(row);
        return { ...delivery, lease, attempt: delivery.attempts };
      })
      .sort((a, b) => a.id - b.id);
  }

  /**
   * Claims up to `limit` deliveries that are due: failed ones whose next attempt has come, and
   * pending or running ones whose lease expired (their runner died). Used by the retry worker.
   * Paused receivers' deliveries are left alone, and so are those of the receivers in `skip`
   * (the ones whose every concurrent run is taken in this process).
   */
  async claimDue(
    limit: number,
    leaseMs: number,
    now: Date = new Date(),
    skip: readonly string[] = [],
  ): Promise<LeasedDelivery[]> {
    const select = this.#knex(this.#table)
      .select('id')
      .whereIn('status', ['pending', 'failed', 'running'])
      .andWhere((q) => q.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now))
      .orderBy('id')
      .limit(limit);
    this.#leaseFree(select, now);
    this.#notPaused(select);
    if (skip.length > 0) select.whereNotIn('receiver', [...skip]);
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
  ): Promise<LeasedDelivery[]> {
    const select = this.#knex(this.#table)
      .select('id')
      .where({ event: eventId })
      .whereIn('status', [...claim.statuses]);
    if (claim.receivers !== undefined) select.whereIn('receiver', [...claim.receivers]);
    this.#leaseFree(select, now);
    this.#notPaused(select);
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

  /**
   * Extends the leases of `deliveries` to `leaseMs` from `now`, where their rows still carry the
   * runner's token; returns the ids of those it still holds. The others were taken over by
   * another runner after their lease expired: leave them to it.
   */
  async renew(
    deliveries: readonly LeasedDelivery[],
    leaseMs: number,
    now: Date = new Date(),
  ): Promise<Set<number>> {
    const held = new Set<number>();
    const byLease = new Map<string, number[]>();
    for (const d of deliveries) byLease.set(d.lease, [...(byLease.get(d.lease) ?? []), d.id]);
    for (const [lease, ids] of byLease) {
      const rows = (await this.#knex(this.#table)
        .whereIn('id', ids)
        .where({ lease_token: lease })
        .update({ locked_until: new Date(now.getTime() + leaseMs) })
        .returning('id')) as Row[];
      for (const row of rows) held.add(Number(row.id));
    }
    return held;
  }

  /**
   * Gives back deliveries this runner holds without running them (their receiver is paused):
   * pending again, the lease gone, and the attempt the claim counted given back, so that a
   * paused receiver uses up none of its attempts. Where another runner holds the row now,
   * nothing changes.
   */
  async release(deliveries: readonly LeasedDelivery[]): Promise<void> {
    for (const d of deliveries) {
      await this.#knex(this.#table)
        .where({ id: d.id, lease_token: d.lease })
        .update({
          status: 'pending',
          attempts: d.attempt - 1,
          locked_until: null,
          lease_token: null,
        });
    }
  }

  /**
   * Records a successful run inside `trx`: an atomic receiver retried outside the storing
   * transaction commits its work and its success together. Throws {@link LeaseLostError} when
   * the runner no longer holds the lease, so that the receiver's writes roll back.
   */
  async recordSuccess(delivery: LeasedDelivery, trx: Knex.Transaction): Promise<void> {
    const changed = await trx(this.#table)
      .where({ id: delivery.id, lease_token: delivery.lease })
      .update(outcomeRow(delivery, { status: 'succeeded' }, new Date()));
    if (changed === 0) throw new LeaseLostError(delivery);
  }
}
