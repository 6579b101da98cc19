/** Reads of the `events`, `deliveries` and `requests` tables. */
import type { Knex } from 'knex';
import type { EventFilter, RequestFilter } from '../types.js';
import { toRequestLogEntry } from './requests.js';
import { type Row, toDelivery, toEvent } from './rows.js';
import type { TableNames } from './table-names.js';
import type { Delivery, DeliveryStatus, RequestLogEntry, StoredEvent } from './types.js';

/** Reads events and their deliveries, for one database and table prefix. */
export class EventQueries {
  readonly #knex: Knex;
  readonly #t: TableNames;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#t = tables;
  }

  /** The event with row id `id`. */
  async getEvent(id: number): Promise<StoredEvent | undefined> {
    const row = (await this.#knex(this.#t.events).where({ id }).first()) as Row | undefined;
    return row === undefined ? undefined : toEvent(row);
  }

  /** The events with these row ids, by id (those that exist). */
  async getEvents(ids: readonly number[]): Promise<Map<number, StoredEvent>> {
    const rows = (await this.#knex(this.#t.events).whereIn('id', [...ids])) as Row[];
    return new Map(rows.map((row) => [Number(row.id), toEvent(row)]));
  }

  /** The events with a provider event id (in one variant, or in every variant). */
  async findEvent(eventId: string, variant?: string): Promise<StoredEvent[]> {
    const query = this.#knex(this.#t.events).where({ event_id: eventId });
    if (variant !== undefined) query.where({ variant });
    return ((await query) as Row[]).map((row) => toEvent(row));
  }

  /**
   * Which of `eventIds` a dedupe group has stored, at any of its variants (for a dry-run sync:
   * what the store would answer as duplicates).
   */
  async storedEventIds(dedupeGroup: string, eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = (await this.#knex(this.#t.events)
      .where({ dedupe_group: dedupeGroup })
      .whereIn('event_id', [...eventIds])
      .select('event_id')) as { event_id: string }[];
    return new Set(rows.map((row) => row.event_id));
  }

  /** Events matching a filter, newest first. */
  async list(filter: EventFilter = {}): Promise<StoredEvent[]> {
    const query = this.#knex(this.#t.events)
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
    const rows = (await this.#knex(this.#t.deliveries)
      .where({ event: eventId })
      .orderBy('id')) as Row[];
    return rows.map(toDelivery);
  }

  /** The delivery with row id `id`. */
  async getDelivery(id: number): Promise<Delivery | undefined> {
    const row = (await this.#knex(this.#t.deliveries).where({ id }).first()) as Row | undefined;
    return row === undefined ? undefined : toDelivery(row);
  }

  /**
   * Up to `limit` dead deliveries of a receiver, longest dead first (a delivery that dies again
   * goes to the back). Served by the `(status, next_attempt_at)` index (a dead delivery has no
   * next attempt), then sorted: the cost grows with the number of dead deliveries.
   */
  async deadOf(receiver: string, limit: number): Promise<Delivery[]> {
    const rows = (await this.#knex(this.#t.deliveries)
      .where({ status: 'dead', receiver })
      .orderBy('completed_at')
      .orderBy('id')
      .limit(limit)) as Row[];
    return rows.map(toDelivery);
  }

  /** How many deliveries of a receiver have a status. */
  async countOf(receiver: string, status: DeliveryStatus): Promise<number> {
    const [row] = (await this.#knex(this.#t.deliveries)
      .where({ status, receiver })
      .count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }

  /**
   * Deliveries due now (what the worker would claim: pending, running or failed, the next
   * attempt come, the lease free, the receiver not paused) and dead ones, by receiver: the
   * gauges' reading. Each is a range of the (status, next_attempt_at) index.
   */
  async deliveryGauges(
    now: Date,
  ): Promise<{ due: Map<string, number>; dead: Map<string, number> }> {
    const knex = this.#knex;
    const [dueRows, deadRows] = (await Promise.all([
      knex(this.#t.deliveries)
        .select('receiver')
        .count({ n: '*' })
        .whereIn('status', ['pending', 'failed', 'running'])
        .andWhere((q) => q.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now))
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
        .whereNotIn('receiver', knex(this.#t.pausedReceivers).select('receiver'))
        .groupBy('receiver'),
      knex(this.#t.deliveries)
        .select('receiver')
        .count({ n: '*' })
        .where({ status: 'dead' })
        .groupBy('receiver'),
    ])) as Row[][];
    const byReceiver = (rows: Row[] | undefined) =>
      new Map((rows ?? []).map((row) => [String(row.receiver), Number(row.n)]));
    return { due: byReceiver(dueRows), dead: byReceiver(deadRows) };
  }

  /**
   * How many deliveries of a receiver are still to run: pending, running, or failed and to be
   * retried (the (status, next_attempt_at) index's ranges of those statuses).
   */
  async waitingOf(receiver: string): Promise<number> {
    const [row] = (await this.#knex(this.#t.deliveries)
      .whereIn('status', ['pending', 'running', 'failed'])
      .andWhere({ receiver })
      .count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }
}

/**
 * A keyset cursor: the row id a page starts after (`before`: older rows, newest first) or before
 * (`after`: newer rows). Row ids never repeat, so a page never skips or repeats a row, however
 * many rows arrive meanwhile, and it costs the same on the first page as on the thousandth.
 */
export interface Cursor {
  before?: number;
  after?: number;
}

/**
 * Orders `query` newest first (oldest first after an `after` cursor, for the caller to reverse)
 * by `(timeColumn, id)`, from the cursor's row on: the order an index on `timeColumn` gives (on
 * SQLite every index ends with the rowid, so `(time, id)` needs no sort; on Postgres ties on the
 * time are sorted incrementally). The cursor row's time is read first; when that row is gone,
 * the cursor falls back to its id alone.
 */
export async function timeKeyset(
  knex: Knex,
  query: Knex.QueryBuilder,
  table: string,
  timeColumn: string,
  cursor: Cursor,
): Promise<void> {
  const time = `${table}.${timeColumn}`;
  const id = `${table}.id`;
  const older = cursor.after === undefined;
  const at = older ? cursor.before : cursor.after;
  if (at !== undefined) {
    const op = older ? '<' : '>';
    const row = (await knex(table).where({ id: at }).first(timeColumn)) as Row | undefined;
    const cursorTime = row?.[timeColumn];
    if (cursorTime === undefined) query.where(id, op, at);
    else {
      query
        .where(time, older ? '<=' : '>=', cursorTime)
        .andWhere((q) => q.where(time, op, cursorTime).orWhere(id, op, at));
    }
  }
  const direction = older ? 'desc' : 'asc';
  query.orderBy(time, direction).orderBy(id, direction);
}

/**
 * Reads of the request log (the `requests` table), newest first by receive time, served by its
 * `received_at` index; a `since` bounds the scan.
 */
export class RequestQueries {
  readonly #knex: Knex;
  readonly #t: TableNames;
  readonly #maxBody: number;

  constructor(knex: Knex, tables: TableNames, maxBody: number) {
    this.#knex = knex;
    this.#t = tables;
    this.#maxBody = maxBody;
  }

  /** Lines with their event's payload (the body of the lines that do not repeat it). */
  #lines(): Knex.QueryBuilder {
    const { requests, events } = this.#t;
    return this.#knex(requests)
      .leftJoin(events, `${events}.id`, `${requests}.event`)
      .select(`${requests}.*`, `${events}.payload as event_payload`);
  }

  /** The line with row id `id`. */
  async get(id: number): Promise<RequestLogEntry | undefined> {
    const row = (await this.#lines().where(`${this.#t.requests}.id`, id).first()) as
      | Row
      | undefined;
    return row === undefined ? undefined : toRequestLogEntry(row, this.#maxBody);
  }

  /** Lines matching a filter, newest first (a page after or before a cursor). */
  async list(filter: RequestFilter = {}): Promise<RequestLogEntry[]> {
    const table = this.#t.requests;
    const query = this.#lines().limit(filter.limit ?? 100);
    if (filter.variant !== undefined) query.where(`${table}.variant`, filter.variant);
    if (filter.valid !== undefined) query.where(`${table}.valid`, filter.valid);
    if (filter.statusCode !== undefined) query.where(`${table}.status_code`, filter.statusCode);
    if (filter.since !== undefined) query.where(`${table}.received_at`, '>=', filter.since);
    await timeKeyset(this.#knex, query, table, 'received_at', filter);
    const rows = ((await query) as Row[]).map((row) => toRequestLogEntry(row, this.#maxBody));
    return filter.after === undefined ? rows : rows.reverse();
  }
}
