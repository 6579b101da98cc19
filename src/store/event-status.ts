/**
 * An event's status from its deliveries, the one rule of the store: `ignored` when it has none,
 * `processed` when all succeeded or were skipped (a `skipStale` receiver on a stale event),
 * `failed` when any failed or is dead, else `pending`. An event is processed (`processed_at`)
 * once it is `processed` or `ignored`.
 *
 * The rule is written here in TypeScript and in SQL, and nowhere else: the storing transaction
 * (the status a new event starts with), the SQLite fast path and Knex on Postgres apply the
 * TypeScript, the Knex path on SQLite and the Postgres fast path the SQL twin (the fast path's
 * storing statement restates it for a new event, which has no failed delivery:
 * store-event-postgres.ts). test/store/event-status.test.ts runs every path.
 */

import { ROW_SLACK_COLUMN, rowSlackSql } from './row-slack.js';
import type { TableNames } from './table-names.js';
import type { DeliveryStatus, EventStatus } from './types.js';

/** What the rule reads of an event's deliveries. */
export interface DeliveryCounts {
  /** How many deliveries the event has. */
  total: number;
  /** How many are not settled: neither succeeded nor skipped. */
  unfinished: number;
  /** How many failed or are dead. */
  broken: number;
}

/** An event's status from the counts of its deliveries. */
export function eventStatus({ total, unfinished, broken }: DeliveryCounts): EventStatus {
  if (total === 0) return 'ignored';
  if (unfinished === 0) return 'processed';
  return broken > 0 ? 'failed' : 'pending';
}

/** When an event that just got `status` was processed: `now` if it is settled, else null. */
export function processedAtFor(status: EventStatus, now: Date = new Date()): Date | null {
  return status === 'processed' || status === 'ignored' ? now : null;
}

/** The delivery statuses that count as settled. */
const SETTLED: readonly DeliveryStatus[] = ['succeeded', 'skipped'];
const SETTLED_SQL = `(${SETTLED.map((s) => `'${s}'`).join(', ')})`;

/** The counts of a list of delivery statuses. */
export function countStatuses(statuses: readonly DeliveryStatus[]): DeliveryCounts {
  return {
    total: statuses.length,
    unfinished: statuses.filter((s) => !SETTLED.includes(s)).length,
    broken: statuses.filter((s) => s === 'failed' || s === 'dead').length,
  };
}

/**
 * The status a new event is stored with, given its number of deliveries and how many of them
 * run after the commit: its atomic receivers' deliveries are written succeeded (they ran inside
 * the storing transaction) and the skipped ones skipped, its after-commit ones pending.
 */
export function newEventStatus(deliveries: number, afterCommit: number): EventStatus {
  return eventStatus({ total: deliveries, unfinished: afterCommit, broken: 0 });
}

/**
 * The rule as an SQL expression over three count expressions (standard SQL: Postgres and
 * SQLite).
 */
export function statusFromCountsSql(total: string, unfinished: string, broken: string): string {
  return (
    `CASE WHEN ${total} = 0 THEN 'ignored' WHEN ${unfinished} = 0 THEN 'processed' ` +
    `WHEN ${broken} > 0 THEN 'failed' ELSE 'pending' END`
  );
}

/** A condition that holds for a settled delivery status, over the column expression `status`. */
export function settledSql(status: string): string {
  return `${status} IN ${SETTLED_SQL}`;
}

/**
 * SQLite: the statement that reads an event's {@link DeliveryCounts} (one bound value: the
 * event's row id).
 */
export function deliveryCountsSql(t: TableNames): string {
  return (
    `SELECT count(*) AS "total", total("status" NOT IN ${SETTLED_SQL}) AS "unfinished", ` +
    `total("status" IN ('failed', 'dead')) AS "broken" FROM "${t.deliveries}" WHERE "event" = ?`
  );
}

/** Reads a row of {@link deliveryCountsSql}. */
export function toCounts(row: Record<string, unknown>): DeliveryCounts {
  return {
    total: Number(row.total),
    unfinished: Number(row.unfinished),
    broken: Number(row.broken),
  };
}

/**
 * SQLite, the rule's SQL twin: one statement that recomputes an event's status from its
 * deliveries and sets it, with `processed_at` and the `row_slack` that keeps the row one size
 * (row-slack.ts); returns the new status. One statement, because SQLite runs it alone (writes
 * are serialised), whereas a read-then-write transaction on Knex could fail at once with
 * SQLITE_BUSY when another process wrote meanwhile. Its values: {@link refreshStatusBindings}.
 */
export function refreshStatusSql(t: TableNames): string {
  const any = `SELECT 1 FROM "${t.deliveries}" WHERE "event" = ?`;
  const unsettled = `${any} AND "status" NOT IN ${SETTLED_SQL}`;
  const broken = `${any} AND "status" IN ('failed', 'dead')`;
  const status =
    `SELECT CASE WHEN NOT EXISTS (${any}) THEN 'ignored' ` +
    `WHEN NOT EXISTS (${unsettled}) THEN 'processed' WHEN EXISTS (${broken}) THEN 'failed' ` +
    `ELSE 'pending' END AS "s"`;
  const withTime = `SELECT "s", CASE WHEN "s" IN ('processed', 'ignored') THEN ? END AS "p" FROM (${status})`;
  return (
    `UPDATE "${t.events}" SET ("status", "processed_at", "${ROW_SLACK_COLUMN}") = ` +
    `(SELECT "s", "p", ${rowSlackSql('"s"', '"p"')} FROM (${withTime})) ` +
    `WHERE "id" = ? RETURNING "status"`
  );
}

/** The values of {@link refreshStatusSql}, in the order of its placeholders (the time first). */
export function refreshStatusBindings(eventId: number): number[] {
  return [Date.now(), eventId, eventId, eventId, eventId];
}
