/**
 * Settling a dispatch run, the second unit of work of a webhook's life: in one transaction,
 * record each delivery's outcome and give the event the status its deliveries now add up to
 * (event-status.ts). Under group commit, the run's outcomes share a COMMIT with other requests.
 * An outcome is written only where the row still carries the runner's lease token
 * (deliveries.ts); one whose lease another runner took over is left out, and reported, as is
 * one of another event's delivery (a run settles the deliveries of one event).
 *
 * Three versions side by side, which write the same rows: on a Knex transaction, as prepared
 * statements on the SQLite fast path (sqlite-direct.ts), and as one statement on the Postgres
 * fast path (postgres-direct.ts).
 */
import type { Knex } from 'knex';
import type { Database } from './database.js';
import {
  countStatuses,
  deliveryCountsSql,
  eventStatus,
  processedAtFor,
  refreshStatusBindings,
  refreshStatusSql,
  settledSql,
  statusFromCountsSql,
  toCounts,
} from './event-status.js';
import type { Unit } from './group-commit.js';
import { lockKey } from './postgres-batches.js';
import { KnexFollowUp, type PgStep, type PreparedSql, prepared } from './postgres-direct.js';
import { ROW_SLACK_COLUMN, rowSlack } from './row-slack.js';
import { OUTCOME_COLUMNS, outcomeRow, type Row } from './rows.js';
import { type DirectConnection, valuesOf } from './sqlite-direct.js';
import type { TableNames } from './table-names.js';
import type { DeliveryStatus, EventStatus, LeasedDelivery, OutcomeRecord } from './types.js';

/** One delivery's outcome, to record. */
export interface DeliveryRecord {
  delivery: LeasedDelivery;
  record: OutcomeRecord;
}

/** What settling did. */
export interface Settled {
  /** The event's new status (`pending` for an event that is gone). */
  status: EventStatus;
  /** The deliveries whose outcome was not written: another runner holds them now. */
  lost: readonly LeasedDelivery[];
}

/** The SQL of the statements, built once per store (values bound in column order). */
export interface SettleStatements {
  /** SQLite on Knex: the status rule's SQL twin. */
  refreshStatus: string;
  /** The fast path's. */
  updateDelivery: string;
  deliveryCounts: string;
  updateEventStatus: string;
  /** The Postgres fast path's (see {@link postgresSettleSql}). */
  postgres: PreparedSql;
}

/** The SQL type of each outcome column, for the arrays the Postgres statement unnests. */
const OUTCOME_TYPES: Record<(typeof OUTCOME_COLUMNS)[number], string> = {
  status: 'text',
  attempts: 'integer',
  last_error: 'text',
  next_attempt_at: 'timestamptz',
  locked_until: 'timestamptz',
  lease_token: 'text',
  completed_at: 'timestamptz',
  deferred_since: 'timestamptz',
  deferred_reason: 'text',
};

/**
 * Postgres, one statement: write each outcome under its lease, then set the event's status from
 * its deliveries, the ones just written included (one snapshot does not see its own writes).
 * Values: the event's id, the time, the deliveries' ids, their lease tokens, then one array per
 * outcome column. Returns the new status and the ids written.
 *
 * The deliveries are found through the event's index, not by joining the outcome arrays on their
 * ids: the plan a connection caches for a named statement is built at its first executions, on a
 * fresh database against a table the planner takes for a few pages, and a join on the ids is then
 * a hash join over a scan of every delivery, kept until autovacuum next analyses the table. An
 * equality on the event's index column is an index scan whatever the table's size is taken for.
 *
 * Another runner settling the same event at the same time may have written deliveries this
 * snapshot does not see: the Knex path serialises the two on the event row, then reads afresh.
 * Here the event row is updated only if it is the version the snapshot saw (its `xmin`);
 * otherwise the status comes back NULL and the caller refreshes it in a transaction of its own.
 */
function postgresSettleSql(t: TableNames): string {
  const columns = OUTCOME_COLUMNS.map((c) => `"${c}"`);
  const arrays = OUTCOME_COLUMNS.map((c, i) => `$${i + 5}::${OUTCOME_TYPES[c]}[]`);
  const rule = statusFromCountsSql('"total"', '"unfinished"', '"broken"');
  return (
    `WITH "outcome" AS (SELECT * FROM unnest($3::integer[], $4::text[], ${arrays.join(', ')}) ` +
    `AS o("id", "lease", ${columns.join(', ')})), ` +
    `"written" AS (UPDATE "${t.deliveries}" AS d SET ${columns.map((c) => `${c} = o.${c}`).join(', ')} ` +
    `FROM "outcome" o WHERE d."event" = $1::integer AND d."id" = o."id" ` +
    `AND d."lease_token" = o."lease" RETURNING d."id", d."status"), ` +
    `"statuses" AS (SELECT "status" FROM "${t.deliveries}" WHERE "event" = $1::integer ` +
    `AND "id" NOT IN (SELECT "id" FROM "written") UNION ALL SELECT "status" FROM "written"), ` +
    `"counts" AS (SELECT count(*) AS "total", count(*) FILTER (WHERE NOT ${settledSql('"status"')}) ` +
    `AS "unfinished", count(*) FILTER (WHERE "status" IN ('failed', 'dead')) AS "broken" ` +
    `FROM "statuses"), ` +
    `"refreshed" AS (UPDATE "${t.events}" AS e SET "status" = c."status", "processed_at" = ` +
    `CASE WHEN c."status" IN ('processed', 'ignored') THEN $2::timestamptz END ` +
    `FROM (SELECT ${rule} AS "status" FROM "counts") c WHERE e."id" = $1::integer ` +
    `AND e."xmin" = (SELECT "xmin" FROM "${t.events}" WHERE "id" = $1::integer) ` +
    `RETURNING e."status") ` +
    `SELECT (SELECT "status" FROM "refreshed") AS "status", ARRAY(SELECT "id" FROM "written") AS "written"`
  );
}

/** Builds the statements for the tables of a prefix. */
export function settleStatements(t: TableNames): SettleStatements {
  return {
    refreshStatus: refreshStatusSql(t),
    updateDelivery: `UPDATE "${t.deliveries}" SET ${OUTCOME_COLUMNS.map((c) => `"${c}" = ?`).join(', ')} WHERE "id" = ? AND "lease_token" = ? AND "event" = ?`,
    deliveryCounts: deliveryCountsSql(t),
    updateEventStatus: `UPDATE "${t.events}" SET "status" = ?, "processed_at" = ?, "${ROW_SLACK_COLUMN}" = ? WHERE "id" = ?`,
    postgres: prepared(postgresSettleSql(t)),
  };
}

/** What the unit needs of its store. */
export interface SettleContext {
  tables: TableNames;
  dialect: Database['dialect'];
  statements: SettleStatements;
}

/**
 * The unit of work that records `outcomes` and refreshes the status of event `eventId`; it
 * returns the new status (`pending` for an event that is gone) and the outcomes left out.
 */
export function settleEvent(
  context: SettleContext,
  eventId: number,
  outcomes: readonly DeliveryRecord[],
): Unit<Settled> {
  const { tables: t, dialect, statements } = context;
  const updates = () => {
    const now = new Date();
    return outcomes.map(({ delivery, record }) => ({
      delivery,
      set: outcomeRow(delivery, record, now),
    }));
  };

  const knex = async (trx: Knex.Transaction): Promise<Settled> => {
    const lost: LeasedDelivery[] = [];
    for (const { delivery, set } of updates()) {
      const changed = await trx(t.deliveries)
        .where({ id: delivery.id, lease_token: delivery.lease, event: eventId })
        .update(set);
      if (changed === 0) lost.push(delivery);
    }
    return refresh(trx, lost);
  };

  /** The event's status from its deliveries, in the transaction that wrote their outcomes. */
  const refresh = async (trx: Knex.Transaction, lost: LeasedDelivery[]): Promise<Settled> => {
    if (dialect === 'sqlite') {
      const rows = (await trx.raw(
        statements.refreshStatus,
        refreshStatusBindings(eventId),
      )) as Row[];
      return { status: (rows[0]?.status as EventStatus | undefined) ?? 'pending', lost };
    }
    // The event row is locked, so that two runners finishing together serialise here.
    const current = (await trx(t.events).where({ id: eventId }).forUpdate().first('status')) as
      | Row
      | undefined;
    if (current === undefined) return { status: 'pending', lost };
    const rows = (await trx(t.deliveries).where({ event: eventId }).select('status')) as Row[];
    const status = eventStatus(countStatuses(rows.map((r) => r.status as DeliveryStatus)));
    await trx(t.events)
      .where({ id: eventId })
      .update({ status, processed_at: processedAtFor(status) });
    return { status, lost };
  };

  const direct = (db: DirectConnection): Settled => {
    const lost: LeasedDelivery[] = [];
    for (const { delivery, set } of updates()) {
      const values = valuesOf(set, OUTCOME_COLUMNS);
      values.push(delivery.id, delivery.lease, eventId);
      if (db.runValues(statements.updateDelivery, values) === 0) lost.push(delivery);
    }
    // Read, then write: the fast path holds the write lock (BEGIN IMMEDIATE), so nothing comes
    // between, and two plain statements cost less than the one of the Knex path.
    const status = eventStatus(toCounts(db.get(statements.deliveryCounts, eventId) as Row));
    const processedAt = processedAtFor(status);
    const changed = db.runValues(statements.updateEventStatus, [
      status,
      processedAt,
      rowSlack(status, processedAt),
      eventId,
    ]);
    return { status: changed === 0 ? 'pending' : status, lost };
  };

  const postgres = (): PgStep<Settled> => {
    const sets = updates();
    return {
      statement: statements.postgres,
      values: [
        eventId,
        new Date(),
        sets.map((u) => u.delivery.id),
        sets.map((u) => u.delivery.lease),
        ...OUTCOME_COLUMNS.map((c) => sets.map((u) => u.set[c])),
      ],
      // The event's deliveries, then its row: the rows of one event, under its key.
      locks: [lockKey(t.events, eventId)],
      result([row]) {
        const written = new Set(((row as Row).written as unknown[]).map(Number));
        const lost = sets.filter((u) => !written.has(u.delivery.id)).map((u) => u.delivery);
        // Raced with another runner (or the event is gone): the status is refreshed afresh.
        if ((row as Row).status === null) return new KnexFollowUp((trx) => refresh(trx, lost));
        return { status: (row as Row).status as EventStatus, lost };
      },
    };
  };
  return { knex, direct, postgres };
}
