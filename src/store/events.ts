/**
 * Queries on the `events` and `deliveries` tables: the storing transaction and the recording of
 * each delivery's outcome.
 */
import type { Knex } from 'knex';
import type { RegisteredReceiver } from '../signals/registry.js';
import type { Database } from './database.js';
import type { GroupCommitter, Work } from './group-commit.js';
import type { TableNames } from './migrations.js';
import { REQUEST_LOG_COLUMNS } from './requests.js';
import { ROW_SLACK_COLUMN, rowSlack, rowSlackSql } from './row-slack.js';
import {
  type DirectAccess,
  type DirectConnection,
  insertStatement,
  runDirect,
  valuesOf,
} from './sqlite-direct.js';
import type { Delivery, DeliveryStatus, EventStatus, OutcomeRecord, StoredEvent } from './types.js';

/** What the pipeline stores for one verified webhook. */
export interface NewEvent {
  variant: string;
  provider: string;
  eventId: string;
  type: string;
  livemode: boolean | undefined;
  /** The body as received (JSON text). */
  payloadText: string;
  payload: unknown;
  receivedAt: Date;
  createdAt: Date | undefined;
}

/** Result of the storing transaction. */
export interface StoreResult {
  event: StoredEvent;
  duplicate: boolean;
  /** The after-commit deliveries this request created and holds the lease on. */
  deliveries: Delivery[];
}

/**
 * The request-log row to insert in the storing transaction once the event row exists (no extra
 * commit per webhook), given the stored event and whether the event row holds the request's
 * body byte for byte (a new event, or a redelivery of the same payload).
 */
export type LogRow = (event: StoredEvent, bodyInEvent: boolean) => Record<string, unknown>;

/** Filter of {@link EventStore.list}. */
export interface EventFilter {
  status?: EventStatus | readonly EventStatus[];
  type?: string;
  variant?: string;
  /** Events received at or after this time. */
  since?: Date;
  /** At most this many (default 100), newest first. */
  limit?: number;
}

/** Runs one atomic receiver inside the storing transaction. */
export type AtomicRunner = (
  trx: Knex.Transaction,
  event: StoredEvent,
  receiver: RegisteredReceiver,
) => Promise<void>;

type Row = Record<string, unknown>;

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(typeof value === 'string' && !/^\d+$/.test(value) ? value : Number(value));
}

/** Maps an `events` row (SQLite or Postgres) to a {@link StoredEvent}. */
export function toEvent(row: Row, payload?: unknown): StoredEvent {
  return {
    id: Number(row.id),
    variant: String(row.variant),
    provider: String(row.provider),
    eventId: String(row.event_id),
    type: String(row.type),
    livemode: row.livemode === null || row.livemode === undefined ? null : Boolean(row.livemode),
    payload: payload !== undefined ? payload : JSON.parse(String(row.payload)),
    status: row.status as EventStatus,
    receivedAt: toDate(row.received_at) as Date,
    createdAt: toDate(row.created_at),
    processedAt: toDate(row.processed_at),
  };
}

/** Maps a `deliveries` row to a {@link Delivery}. */
export function toDelivery(row: Row): Delivery {
  return {
    id: Number(row.id),
    event: Number(row.event),
    receiver: String(row.receiver),
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastError:
      row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    nextAttemptAt: toDate(row.next_attempt_at),
    lockedUntil: toDate(row.locked_until),
    completedAt: toDate(row.completed_at),
  };
}

/**
 * SQLite: the statement that recomputes an event's status from its deliveries. One statement:
 * SQLite runs it alone (writes are serialised), whereas a read-then-write transaction could fail
 * at once with SQLITE_BUSY when another process wrote meanwhile. Built once per store, with
 * bound values (see {@link sqliteRefreshBindings}): the same SQL text for every event. It keeps
 * the row's size (`row_slack`, see row-slack.ts).
 */
function sqliteRefreshSql(t: TableNames): string {
  const any = `SELECT 1 FROM "${t.deliveries}" WHERE "event" = ?`;
  const notSucceeded = `${any} AND "status" <> 'succeeded'`;
  const broken = `${any} AND "status" IN ('failed', 'dead')`;
  const status =
    `SELECT CASE WHEN NOT EXISTS (${any}) THEN 'ignored' ` +
    `WHEN NOT EXISTS (${notSucceeded}) THEN 'processed' WHEN EXISTS (${broken}) THEN 'failed' ` +
    `ELSE 'pending' END AS "s"`;
  const withTime = `SELECT "s", CASE WHEN "s" IN ('processed', 'ignored') THEN ? END AS "p" FROM (${status})`;
  return (
    `UPDATE "${t.events}" SET ("status", "processed_at", "${ROW_SLACK_COLUMN}") = ` +
    `(SELECT "s", "p", ${rowSlackSql('"s"', '"p"')} FROM (${withTime})) ` +
    `WHERE "id" = ? RETURNING "status"`
  );
}

/** The values of {@link sqliteRefreshSql}, in the order of its placeholders (the time first). */
function sqliteRefreshBindings(eventId: number): number[] {
  return [Date.now(), eventId, eventId, eventId, eventId];
}

/** The columns of an `events` row as the storing transaction writes it on SQLite. */
const EVENT_COLUMNS = [
  'variant',
  'provider',
  'event_id',
  'type',
  'livemode',
  'status',
  'received_at',
  'created_at',
  'processed_at',
  'payload',
  ROW_SLACK_COLUMN,
] as const;

/** The columns a delivery's outcome sets. */
const OUTCOME_COLUMNS = [
  'status',
  'attempts',
  'last_error',
  'next_attempt_at',
  'locked_until',
  'completed_at',
] as const;

/**
 * An event's status from its deliveries: `ignored` when it has none, `processed` when all
 * succeeded, `failed` when any failed or is dead, else `pending`.
 */
function eventStatus(deliveries: number, unfinished: number, broken: number): EventStatus {
  if (deliveries === 0) return 'ignored';
  if (unfinished === 0) return 'processed';
  return broken > 0 ? 'failed' : 'pending';
}

/** When an event that just got `status` was processed: now if it is settled, else null. */
function processedAtFor(status: EventStatus): Date | null {
  return status === 'processed' || status === 'ignored' ? new Date() : null;
}

/** The SQL of the SQLite fast path's statements. */
interface FastStatements {
  insertEvent: string;
  selectEvent: string;
  insertDelivery: string;
  insertRequest: string;
  updateDelivery: string;
  deliveryCounts: string;
  updateEventStatus: string;
}

function fastStatements(t: TableNames): FastStatements {
  return {
    insertEvent: insertStatement(
      t.events,
      EVENT_COLUMNS,
      'ON CONFLICT ("variant", "event_id") DO NOTHING',
    ),
    selectEvent: `SELECT * FROM "${t.events}" WHERE "variant" = ? AND "event_id" = ?`,
    insertDelivery: insertStatement(t.deliveries, [
      'event',
      'receiver',
      'status',
      'attempts',
      'locked_until',
      'created_at',
    ]),
    insertRequest: insertStatement(t.requests, REQUEST_LOG_COLUMNS),
    // How many deliveries the event has, how many have not succeeded, how many failed or died.
    deliveryCounts:
      `SELECT count(*) AS "total", total("status" <> 'succeeded') AS "unfinished", ` +
      `total("status" IN ('failed', 'dead')) AS "broken" FROM "${t.deliveries}" WHERE "event" = ?`,
    updateEventStatus: `UPDATE "${t.events}" SET "status" = ?, "processed_at" = ?, "${ROW_SLACK_COLUMN}" = ? WHERE "id" = ?`,
    updateDelivery: `UPDATE "${t.deliveries}" SET ${OUTCOME_COLUMNS.map((c) => `"${c}" = ?`).join(', ')} WHERE "id" = ?`,
  };
}

/** Event and delivery queries for one database and table prefix. */
export class EventStore {
  readonly knex: Knex;
  readonly #db: Database;
  readonly #t: TableNames;

  readonly #batcher: GroupCommitter | undefined;
  readonly #direct: DirectAccess | undefined;
  /** SQLite: the status refresh statement (built once: it runs for every webhook). */
  readonly #refreshSql: string;
  /** SQLite fast path: the hot statements' SQL, built once (values bound in column order). */
  readonly #fast: FastStatements;

  constructor(db: Database, tables: TableNames, batcher?: GroupCommitter) {
    this.#db = db;
    this.knex = db.knex;
    this.#t = tables;
    this.#batcher = batcher;
    this.#direct = db.direct;
    this.#refreshSql = sqliteRefreshSql(tables);
    this.#fast = fastStatements(tables);
  }

  /**
   * SQLite: the row with the `row_slack` that keeps it one size (row-slack.ts). An assignment,
   * not a spread into a new literal with a computed key: that took about 2.7 µs per webhook in
   * V8, against 0.1.
   */
  #sized<R extends Record<string, unknown> & { status: string; processed_at: Date | null }>(
    row: R,
  ): R {
    if (this.#db.dialect === 'sqlite') {
      (row as Record<string, unknown>)[ROW_SLACK_COLUMN] = rowSlack(row.status, row.processed_at);
    }
    return row;
  }

  /**
   * One transaction: insert the event (idempotently), run the atomic receivers with the
   * transaction, insert one delivery per receiver (and the request-log row), COMMIT. Returns
   * only after the commit. A duplicate inserts nothing but its log row and returns the stored
   * event.
   */
  async store(
    input: NewEvent,
    receivers: readonly RegisteredReceiver[],
    runAtomic: AtomicRunner,
    leaseMs: number,
    logRow?: LogRow,
    submitted?: () => void,
  ): Promise<StoreResult> {
    const t = this.#t;
    const afterCommit = receivers.filter((r) => !r.atomic);
    const atomic = receivers.filter((r) => r.atomic);
    const status: EventStatus =
      receivers.length === 0 ? 'ignored' : afterCommit.length === 0 ? 'processed' : 'pending';
    const eventRow = (now: Date) =>
      this.#sized({
        variant: input.variant,
        provider: input.provider,
        event_id: input.eventId,
        type: input.type,
        livemode: input.livemode ?? null,
        status: atomic.length > 0 ? 'pending' : status,
        received_at: input.receivedAt,
        created_at: input.createdAt ?? null,
        processed_at: status === 'pending' || atomic.length > 0 ? null : now,
        payload: input.payloadText,
      });
    const deliveryRows = (eventId: number, now: Date) => [
      ...atomic.map((r) => ({
        event: eventId,
        receiver: r.name,
        status: 'succeeded',
        attempts: 1,
        completed_at: now,
        created_at: now,
      })),
      ...afterCommit.map((r) => ({
        event: eventId,
        receiver: r.name,
        status: 'pending',
        attempts: 0,
        // Leased to this request from birth: no worker takes it while it runs here.
        locked_until: new Date(now.getTime() + leaseMs),
        created_at: now,
      })),
    ];
    const work = async (trx: Knex.Transaction): Promise<StoreResult> => {
      const now = new Date();
      const inserted = (await trx(t.events)
        .insert(eventRow(now))
        .onConflict(['variant', 'event_id'])
        .ignore()
        .returning('*')) as Row[];
      const row = inserted[0];
      if (row === undefined) {
        const existing = (await trx(t.events)
          .where({ variant: input.variant, event_id: input.eventId })
          .first()) as Row;
        const event = toEvent(existing);
        if (logRow !== undefined) {
          await trx(t.requests).insert(logRow(event, existing.payload === input.payloadText));
        }
        return { event, duplicate: true, deliveries: [] };
      }
      let event = toEvent(row, input.payload);
      for (const entry of atomic) await runAtomic(trx, event, entry);
      if (atomic.length > 0) {
        const processedAt = status === 'pending' ? null : now;
        await trx(t.events)
          .where({ id: event.id })
          .update(this.#sized({ status, processed_at: processedAt }));
        event = { ...event, status, processedAt };
      }
      const rows = deliveryRows(event.id, now);
      let deliveries: Delivery[] = [];
      if (rows.length > 0) {
        const created = (await trx(t.deliveries).insert(rows).returning('*')) as Row[];
        deliveries = created.map(toDelivery).filter((d) => d.status === 'pending');
      }
      if (logRow !== undefined) await trx(t.requests).insert(logRow(event, true));
      return { event, duplicate: false, deliveries };
    };
    // The same writes as prepared statements (SQLite fast path), when no atomic receiver needs
    // a Knex transaction.
    const direct =
      this.#direct === undefined || atomic.length > 0
        ? undefined
        : (db: DirectConnection): StoreResult => {
            const fast = this.#fast;
            const now = new Date();
            const row = eventRow(now);
            const id = db.insertValues(fast.insertEvent, valuesOf(row, EVENT_COLUMNS));
            if (id === undefined) {
              const existing = db.get(fast.selectEvent, input.variant, input.eventId) as Row;
              const event = toEvent(existing);
              if (logRow !== undefined) {
                const line = logRow(event, existing.payload === input.payloadText);
                db.runValues(fast.insertRequest, valuesOf(line, REQUEST_LOG_COLUMNS));
              }
              return { event, duplicate: true, deliveries: [] };
            }
            const event: StoredEvent = {
              id,
              variant: input.variant,
              provider: input.provider,
              eventId: input.eventId,
              type: input.type,
              livemode: row.livemode,
              payload: input.payload,
              status: row.status,
              receivedAt: input.receivedAt,
              createdAt: row.created_at,
              processedAt: row.processed_at,
            };
            // No atomic receiver here: every delivery is an after-commit one, leased to this
            // request from birth (as deliveryRows() writes them for the Knex path).
            const deliveries: Delivery[] = [];
            const lockedUntil = new Date(now.getTime() + leaseMs);
            for (const r of afterCommit) {
              const id = db.insertValues(fast.insertDelivery, [
                event.id,
                r.name,
                'pending',
                0,
                lockedUntil,
                now,
              ]) as number;
              deliveries.push({
                id,
                event: event.id,
                receiver: r.name,
                status: 'pending',
                attempts: 0,
                lastError: null,
                nextAttemptAt: null,
                lockedUntil,
                completedAt: null,
              });
            }
            if (logRow !== undefined) {
              db.runValues(fast.insertRequest, valuesOf(logRow(event, true), REQUEST_LOG_COLUMNS));
            }
            return { event, duplicate: false, deliveries };
          };
    // Either way, the promise resolves only after a COMMIT the library itself awaited.
    submitted?.();
    return this.#transact({ work, direct });
  }

  /** Runs one unit of work in a transaction: group-committed, on the fast path, or on Knex. */
  async #transact<T>(unit: Work<T>): Promise<T> {
    if (this.#batcher !== undefined) return this.#batcher.submit(unit);
    if (this.#direct !== undefined && unit.direct !== undefined) {
      const [outcome] = await runDirect(this.#direct, [unit.direct]);
      return (outcome as { value: unknown }).value as T;
    }
    return this.knex.transaction(unit.work);
  }

  /** Rows whose lease is free: never leased, or the lease has expired. */
  #leaseFree(query: Knex.QueryBuilder, now: Date): Knex.QueryBuilder {
    return query.andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now));
  }

  /**
   * Atomically leases the rows the subquery selects and marks them `running`. On Postgres the
   * subquery locks with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never take the same row.
   */
  async #claim(select: Knex.QueryBuilder, leaseMs: number, now: Date): Promise<Delivery[]> {
    if (this.#db.dialect === 'postgres') select.forUpdate().skipLocked();
    const rows = (await this.knex(this.#t.deliveries)
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
    const select = this.knex(this.#t.deliveries)
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
    options: { statuses: readonly DeliveryStatus[]; receivers?: readonly string[] },
    now: Date = new Date(),
  ): Promise<Delivery[]> {
    const select = this.knex(this.#t.deliveries)
      .select('id')
      .where({ event: eventId })
      .whereIn('status', [...options.statuses]);
    if (options.receivers !== undefined) select.whereIn('receiver', [...options.receivers]);
    this.#leaseFree(select, now);
    return this.#claim(select, leaseMs, now);
  }

  /** Creates `pending` deliveries for receivers an event has none for yet (for replays). */
  async ensureDeliveries(eventId: number, receivers: readonly string[]): Promise<void> {
    if (receivers.length === 0) return;
    const now = new Date();
    await this.knex(this.#t.deliveries)
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
    await this.knex(this.#t.deliveries)
      .where({ id: delivery.id })
      .whereIn('status', ['pending', 'running'])
      .update({ locked_until: new Date(Date.now() + leaseMs) });
  }

  /** Marks a leased delivery as running. */
  async markRunning(delivery: Delivery, leaseMs: number): Promise<void> {
    // The attempt is counted when it starts, so that a receiver that kills its process still
    // uses up its attempts (and ends up dead) instead of re-running forever.
    await this.knex(this.#t.deliveries)
      .where({ id: delivery.id })
      .update({
        status: 'running',
        attempts: delivery.attempts + 1,
        locked_until: new Date(Date.now() + leaseMs),
      });
  }

  /** Records a successful run. */
  async recordSuccess(delivery: Delivery, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.knex)(this.#t.deliveries)
      .where({ id: delivery.id })
      .update({
        status: 'succeeded',
        attempts: delivery.attempts + 1,
        last_error: null,
        next_attempt_at: null,
        locked_until: null,
        completed_at: new Date(),
      });
  }

  /**
   * Records the outcomes of a run and the event's new status in one transaction (under group
   * commit, one job of a shared COMMIT). Returns the new status.
   */
  async settle(
    eventId: number,
    outcomes: readonly { delivery: Delivery; record: OutcomeRecord }[],
  ): Promise<EventStatus> {
    const t = this.#t;
    const updates = () => {
      const now = new Date();
      return outcomes.map(({ delivery, record }) => {
        // An abandoned attempt was counted when it started.
        const attempts = record.abandoned ? delivery.attempts : delivery.attempts + 1;
        const set =
          record.status === 'succeeded'
            ? {
                status: 'succeeded',
                attempts,
                last_error: null,
                next_attempt_at: null,
                locked_until: null,
                completed_at: now,
              }
            : {
                status: record.status,
                attempts,
                last_error: record.error ?? null,
                next_attempt_at: record.nextAttemptAt ?? null,
                locked_until: null,
                completed_at: record.status === 'dead' ? now : null,
              };
        return { id: delivery.id, set };
      });
    };
    const work = async (trx: Knex.Transaction): Promise<EventStatus> => {
      for (const { id, set } of updates()) await trx(t.deliveries).where({ id }).update(set);
      return this.#refreshStatusIn(trx, eventId);
    };
    const direct =
      this.#direct === undefined
        ? undefined
        : (db: DirectConnection): EventStatus => {
            for (const { id, set } of updates()) {
              const values = valuesOf(set, OUTCOME_COLUMNS);
              values.push(id);
              db.runValues(this.#fast.updateDelivery, values);
            }
            // Read, then write: the fast path holds the write lock (BEGIN IMMEDIATE), so nothing
            // comes between. Two plain statements cost less than the one that does both.
            const counts = db.get(this.#fast.deliveryCounts, eventId) as Row;
            const status = eventStatus(
              Number(counts.total),
              Number(counts.unfinished),
              Number(counts.broken),
            );
            const processedAt = processedAtFor(status);
            const changed = db.runValues(this.#fast.updateEventStatus, [
              status,
              processedAt,
              rowSlack(status, processedAt),
              eventId,
            ]);
            return changed === 0 ? 'pending' : status;
          };
    return this.#transact({ work, direct });
  }

  /**
   * Recomputes an event's status from its deliveries: `ignored` when it has none, `processed`
   * when all succeeded, `failed` when any failed or is dead, else `pending`.
   */
  async #refreshStatusIn(q: Knex | Knex.Transaction, eventId: number): Promise<EventStatus> {
    const t = this.#t;
    if (this.#db.dialect === 'sqlite') {
      const rows = (await q.raw(this.#refreshSql, sqliteRefreshBindings(eventId))) as Row[];
      return (rows[0]?.status as EventStatus | undefined) ?? 'pending';
    }
    // The event row is locked, so that two runners finishing together serialise here.
    const current = (await q(t.events).where({ id: eventId }).forUpdate().first('status')) as
      | Row
      | undefined;
    if (current === undefined) return 'pending';
    const rows = (await q(t.deliveries).where({ event: eventId }).select('status')) as Row[];
    const statuses = rows.map((r) => r.status as DeliveryStatus);
    const status = eventStatus(
      statuses.length,
      statuses.filter((st) => st !== 'succeeded').length,
      statuses.filter((st) => st === 'failed' || st === 'dead').length,
    );
    await q(t.events)
      .where({ id: eventId })
      .update({
        status,
        processed_at: processedAtFor(status),
      });
    return status;
  }

  /** The event with row id `id`. */
  async getEvent(id: number): Promise<StoredEvent | undefined> {
    const row = (await this.knex(this.#t.events).where({ id }).first()) as Row | undefined;
    return row === undefined ? undefined : toEvent(row);
  }

  /** The event with a provider event id (in one variant, or the only one across variants). */
  async findEvent(eventId: string, variant?: string): Promise<StoredEvent[]> {
    const query = this.knex(this.#t.events).where({ event_id: eventId });
    if (variant !== undefined) query.where({ variant });
    return ((await query) as Row[]).map((row) => toEvent(row));
  }

  /** Events matching a filter, newest first. */
  async list(filter: EventFilter = {}): Promise<StoredEvent[]> {
    const query = this.knex(this.#t.events)
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.status !== undefined) {
      query.whereIn(
        'status',
        typeof filter.status === 'string' ? [filter.status] : [...filter.status],
      );
    }
    if (filter.type !== undefined) query.where({ type: filter.type });
    if (filter.variant !== undefined) query.where({ variant: filter.variant });
    if (filter.since !== undefined) query.where('received_at', '>=', filter.since);
    return ((await query) as Row[]).map((row) => toEvent(row));
  }

  /** The deliveries of an event, oldest first. */
  async deliveriesOf(eventId: number): Promise<Delivery[]> {
    const rows = (await this.knex(this.#t.deliveries)
      .where({ event: eventId })
      .orderBy('id')) as Row[];
    return rows.map(toDelivery);
  }
}
