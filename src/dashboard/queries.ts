/**
 * What the dashboard reads that the rest of the library does not: the overview's counts, and
 * the event and delivery lists, paged by keyset so that a page costs the same on a table of a
 * million rows as on an empty one. docs/dashboard.md says which index serves each list, and
 * bench/dashboard-keyset.ts measures them.
 */
import type { Knex } from 'knex';
import type { Database } from '../store/database.js';
import { type Cursor, type RequestQueries, timeKeyset } from '../store/queries.js';
import { ROW_SLACK_COLUMN } from '../store/row-slack.js';
import { EVENT_COLUMNS, type Row, toDate, toDelivery, toEvent } from '../store/rows.js';
import type { TableNames } from '../store/table-names.js';
import type {
  Delivery,
  DeliveryStatus,
  EventStatus,
  RequestLogEntry,
  StoredEvent,
} from '../store/types.js';
import type { RequestFilter } from '../types.js';

/** An event as lists show it: without its payload. */
export type EventSummary = Omit<StoredEvent, 'payload'>;

/** A delivery as the deliveries list shows it, with what identifies its event. */
export interface DeliveryRow extends Delivery {
  eventId: string;
  eventType: string;
  variant: string;
}

/** One page of a list, newest first, with the cursors of the pages around it. */
export interface Page<T> {
  rows: T[];
  /** `before` cursor of the next (older) page, when there is one. */
  older: number | undefined;
  /** `after` cursor of the previous (newer) page, when there may be one. */
  newer: number | undefined;
}

/** Filter of the events list. */
export interface EventListFilter {
  status?: EventStatus;
  type?: string;
  variant?: string;
}

/** The index an events list is served by (see {@link DashboardQueries.eventsPlan}). */
export type EventsIndex = 'primary' | 'status' | 'type' | 'variant';

/** The overview's numbers. */
export interface Overview {
  /** Start of the window (24 hours, to the hour). */
  since: Date;
  /** Requests by variant, validity, status code and error code. */
  requests: {
    variant: string;
    valid: boolean;
    statusCode: number;
    error: string | null;
    count: number;
  }[];
  /** Stored events by variant and status. */
  events: { variant: string; status: EventStatus; count: number }[];
  /** Requests per hour, oldest first, 24 of them. */
  hourly: { start: Date; valid: number; refused: number }[];
  /** Deliveries by status (settled ones, succeeded or skipped, are not counted), and how many are due now. */
  deliveries: { due: number } & Record<Exclude<DeliveryStatus, 'succeeded' | 'skipped'>, number>;
}

/** Failed and dead deliveries of one receiver. */
export interface ReceiverTroubles {
  receiver: string;
  failed: number;
  dead: number;
  /** When the soonest failed delivery runs again. */
  nextAttemptAt: Date | null;
}

const HOUR = 3_600_000;
const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'processed', 'failed', 'ignored'];
/** The columns lists show: all but the payload (and SQLite's row slack). */
const EVENT_LIST_COLUMNS = [
  'id',
  ...EVENT_COLUMNS.filter((c) => c !== 'payload' && c !== ROW_SLACK_COLUMN),
  // Set after the insert, by the storing transaction.
  'stale',
];
/**
 * Rows counted, at most, to tell which filter of an events list is the most selective; a
 * variant with fewer events than this is served by its own index (and sorted).
 */
export const PROBE_CAP = 5_000;

/** Cuts `limit + 1` rows (newest first) to a page and works out its cursors. */
export function toPage<T>(
  fetched: readonly T[],
  cursor: Cursor,
  limit: number,
  idOf: (row: T) => number,
): Page<T> {
  if (cursor.after !== undefined) {
    // Newer rows, fetched oldest first and reversed: the extra row is the newest.
    const rows = fetched.slice(Math.max(0, fetched.length - limit));
    const last = rows.at(-1);
    return {
      rows,
      older: last === undefined ? cursor.after + 1 : idOf(last),
      newer: fetched.length > limit && rows[0] !== undefined ? idOf(rows[0]) : undefined,
    };
  }
  const rows = fetched.slice(0, limit);
  const last = rows.at(-1);
  const first = rows[0];
  return {
    rows,
    older: fetched.length > limit && last !== undefined ? idOf(last) : undefined,
    newer:
      cursor.before === undefined
        ? undefined
        : first === undefined
          ? cursor.before - 1
          : idOf(first),
  };
}

/** Orders by id, newest first (oldest first after an `after` cursor), from the cursor on. */
function idKeyset(query: Knex.QueryBuilder, column: string, cursor: Cursor): void {
  if (cursor.after !== undefined) query.where(column, '>', cursor.after).orderBy(column, 'asc');
  else {
    if (cursor.before !== undefined) query.where(column, '<', cursor.before);
    query.orderBy(column, 'desc');
  }
}

/** The dashboard's reads, for one database and table prefix. */
export class DashboardQueries {
  readonly #knex: Knex;
  readonly #t: TableNames;
  readonly #sqlite: boolean;
  readonly #requests: RequestQueries;
  readonly #variants: readonly string[];

  constructor(
    db: Pick<Database, 'knex' | 'dialect'>,
    tables: TableNames,
    requests: RequestQueries,
    variants: readonly string[],
  ) {
    this.#knex = db.knex;
    this.#t = tables;
    this.#sqlite = db.dialect === 'sqlite';
    this.#requests = requests;
    this.#variants = variants;
  }

  /**
   * `column = value` as a filter that must not pick the index: on SQLite, whose planner has no
   * statistics unless ANALYZE ran, a unary `+` keeps it on the index chosen for the list.
   * Postgres's planner has statistics and chooses well by itself.
   */
  #residual(query: Knex.QueryBuilder, column: string, value: string): void {
    if (this.#sqlite) query.whereRaw('+?? = ?', [column, value]);
    else query.where(column, value);
  }

  /** How many events match `column = value`, counting at most {@link PROBE_CAP}. */
  async #probe(column: string, value: string): Promise<number> {
    const inner = this.#knex(this.#t.events)
      .select(this.#knex.raw('1'))
      .where(column, value)
      .limit(PROBE_CAP)
      .as('probe');
    const [row] = (await this.#knex.count({ n: '*' }).from(inner)) as Row[];
    return Number(row?.n ?? 0);
  }

  /**
   * The index that serves an events list: the most selective filter's, found by counting each
   * filter's matches up to {@link PROBE_CAP} (a fraction of a millisecond each); the other
   * filters are checked on the rows it yields. A variant's index (on `variant, event_id`)
   * does not give the order, so it serves only a variant with few events; a large variant is
   * served by the primary key, where its events are dense.
   */
  async eventsPlan(filter: EventListFilter): Promise<EventsIndex> {
    const candidates: [EventsIndex, string][] = [];
    if (filter.status !== undefined) candidates.push(['status', filter.status]);
    if (filter.type !== undefined) candidates.push(['type', filter.type]);
    if (filter.variant !== undefined) candidates.push(['variant', filter.variant]);
    if (candidates.length === 0) return 'primary';
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only !== undefined && only[0] !== 'variant') return only[0];
    let best: EventsIndex = 'primary';
    let fewest = Number.POSITIVE_INFINITY;
    for (const [index, value] of candidates) {
      const n = await this.#probe(index, value);
      if (index === 'variant' && n >= PROBE_CAP) continue;
      if (n < fewest) [best, fewest] = [index, n];
    }
    return best;
  }

  /**
   * A page of events, newest first: by receive time when the status index serves it (that
   * index's order), by id otherwise.
   */
  async events(
    filter: EventListFilter,
    cursor: Cursor,
    limit: number,
  ): Promise<Page<EventSummary>> {
    const table = this.#t.events;
    const index = await this.eventsPlan(filter);
    const query = this.#knex(table)
      .select(EVENT_LIST_COLUMNS.map((c) => `${table}.${c}`))
      .limit(limit + 1);
    for (const column of ['status', 'type', 'variant'] as const) {
      const value = filter[column];
      if (value === undefined) continue;
      if (column === index) query.where(`${table}.${column}`, value);
      else this.#residual(query, `${table}.${column}`, value);
    }
    if (index === 'status') await timeKeyset(this.#knex, query, table, 'received_at', cursor);
    else idKeyset(query, `${table}.id`, cursor);
    const rows = ((await query) as Row[]).map((row) => summary(row));
    if (cursor.after !== undefined) rows.reverse();
    return toPage(rows, cursor, limit, (e) => e.id);
  }

  /**
   * Events whose provider event id is `text` (in any configured variant: one lookup of
   * the `variant, event_id` index each), or whose row id it is.
   */
  async search(text: string): Promise<EventSummary[]> {
    const table = this.#t.events;
    const query = this.#knex(table)
      .select(EVENT_LIST_COLUMNS.map((c) => `${table}.${c}`))
      .where((q) => {
        q.whereIn('variant', [...this.#variants]).andWhere('event_id', text);
      })
      .orderBy('id', 'desc')
      .limit(50);
    if (/^\d{1,15}$/.test(text)) query.orWhere('id', Number(text));
    return ((await query) as Row[]).map((row) => summary(row));
  }

  /** A page of the request log (see {@link RequestQueries.list}). */
  async requests(filter: RequestFilter, limit: number): Promise<Page<RequestLogEntry>> {
    const rows = await this.#requests.list({ ...filter, limit: limit + 1 });
    return toPage(rows, filter, limit, (r) => r.id);
  }

  /** A request-log line. */
  request(id: number): Promise<RequestLogEntry | undefined> {
    return this.#requests.get(id);
  }

  /** The overview of the 24 hours up to now (whole hours). */
  async overview(now: Date = new Date()): Promise<Overview> {
    const firstHour = Math.floor(now.getTime() / HOUR) - 23;
    const since = new Date(firstHour * HOUR);
    const { events, requests, deliveries } = this.#t;
    const knex = this.#knex;
    // The hour a request fell in, as hours since the epoch (SQLite stores epoch milliseconds).
    const hour = this.#sqlite
      ? knex.raw('CAST(?? / ? AS INTEGER) AS hour', ['received_at', HOUR])
      : knex.raw('CAST(FLOOR(EXTRACT(EPOCH FROM ??) / 3600) AS BIGINT) AS hour', ['received_at']);
    const [requestRows, eventRows, statusRows, dueRows] = (await Promise.all([
      // One pass over the day's range of the received_at index, for the table and the chart.
      knex(requests)
        .select(hour, 'variant', 'valid', 'status_code', 'error')
        .count({ n: '*' })
        .where('received_at', '>=', since)
        .groupBy('hour', 'variant', 'valid', 'status_code', 'error'),
      // Each status's range of the (status, received_at) index.
      knex(events)
        .select('variant', 'status')
        .count({ n: '*' })
        .whereIn('status', [...EVENT_STATUSES])
        .andWhere('received_at', '>=', since)
        .groupBy('variant', 'status'),
      knex(deliveries)
        .select('status')
        .count({ n: '*' })
        .whereIn('status', ['pending', 'running', 'failed', 'dead'])
        .groupBy('status'),
      // What the worker would claim now (Deliveries.claimDue): paused receivers' wait.
      knex(deliveries)
        .count({ n: '*' })
        .whereIn('status', ['pending', 'failed', 'running'])
        .andWhere((q) => q.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now))
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
        .whereNotIn('receiver', knex(this.#t.pausedReceivers).select('receiver')),
    ])) as Row[][];
    const hourly = Array.from({ length: 24 }, (_, i) => ({
      start: new Date((firstHour + i) * HOUR),
      valid: 0,
      refused: 0,
    }));
    const outcomes = new Map<string, Overview['requests'][number]>();
    for (const row of requestRows ?? []) {
      const n = Number(row.n);
      const bucket = hourly[Number(row.hour) - firstHour];
      if (bucket !== undefined) {
        if (row.valid) bucket.valid += n;
        else bucket.refused += n;
      }
      const error = row.error === null ? null : String(row.error);
      const key = JSON.stringify([row.variant, Boolean(row.valid), row.status_code, error]);
      const outcome = outcomes.get(key) ?? {
        variant: String(row.variant),
        valid: Boolean(row.valid),
        statusCode: Number(row.status_code),
        error,
        count: 0,
      };
      outcome.count += n;
      outcomes.set(key, outcome);
    }
    const byStatus = new Map((statusRows ?? []).map((r) => [String(r.status), Number(r.n)]));
    return {
      since,
      requests: [...outcomes.values()],
      events: (eventRows ?? []).map((r) => ({
        variant: String(r.variant),
        status: r.status as EventStatus,
        count: Number(r.n),
      })),
      hourly,
      deliveries: {
        due: Number(dueRows?.[0]?.n ?? 0),
        pending: byStatus.get('pending') ?? 0,
        running: byStatus.get('running') ?? 0,
        failed: byStatus.get('failed') ?? 0,
        dead: byStatus.get('dead') ?? 0,
      },
    };
  }

  /** Failed and dead deliveries by receiver, the most dead first. */
  async troubles(): Promise<ReceiverTroubles[]> {
    const rows = (await this.#knex(this.#t.deliveries)
      .select('receiver', 'status')
      .count({ n: '*' })
      .min({ next: 'next_attempt_at' })
      .whereIn('status', ['failed', 'dead'])
      .groupBy('receiver', 'status')) as Row[];
    const byReceiver = new Map<string, ReceiverTroubles>();
    for (const row of rows) {
      const receiver = String(row.receiver);
      const entry = byReceiver.get(receiver) ?? {
        receiver,
        failed: 0,
        dead: 0,
        nextAttemptAt: null,
      };
      if (row.status === 'dead') entry.dead = Number(row.n);
      else {
        entry.failed = Number(row.n);
        entry.nextAttemptAt = toDate(row.next);
      }
      byReceiver.set(receiver, entry);
    }
    return [...byReceiver.values()].sort(
      (a, b) => b.dead - a.dead || b.failed - a.failed || a.receiver.localeCompare(b.receiver),
    );
  }

  /**
   * A page of the deliveries with a status (one receiver's, or every one's), newest first, with
   * their events' ids. The page's ids come from the `(status, next_attempt_at)` index alone (it
   * ends with the row id on SQLite): sorting ids is cheap; only the page's rows are then read
   * and joined to their events. The cost grows with the number of deliveries in that status,
   * never with the table.
   */
  async deliveries(
    filter: { status: 'failed' | 'dead' | 'skipped'; receiver?: string },
    cursor: Cursor,
    limit: number,
  ): Promise<Page<DeliveryRow>> {
    const { deliveries, events } = this.#t;
    const ids = this.#knex(deliveries)
      .select('id')
      .where('status', filter.status)
      .limit(limit + 1);
    if (filter.receiver !== undefined) ids.where('receiver', filter.receiver);
    idKeyset(ids, 'id', cursor);
    const rows = (
      (await this.#knex(deliveries)
        .join(events, `${events}.id`, `${deliveries}.event`)
        .select(
          `${deliveries}.*`,
          `${events}.event_id as event_event_id`,
          `${events}.type as event_type`,
          `${events}.variant as event_variant`,
        )
        .whereIn(`${deliveries}.id`, ids)
        .orderBy(`${deliveries}.id`, 'desc')) as Row[]
    ).map((row) => ({
      ...toDelivery(row),
      eventId: String(row.event_event_id),
      eventType: String(row.event_type),
      variant: String(row.event_variant),
    }));
    return toPage(rows, cursor, limit, (d) => d.id);
  }
}

/** An `events` row without its payload. */
function summary(row: Row): EventSummary {
  const { payload: _, ...event } = toEvent(row, null);
  return event;
}
