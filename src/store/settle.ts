/**
 * Settling a dispatch run, the second unit of work of a webhook's life: in one transaction,
 * record each delivery's outcome and give the event the status its deliveries now add up to
 * (event-status.ts). Under group commit, the run's outcomes share a COMMIT with other requests.
 * An outcome is written only where the row still carries the runner's lease token
 * (deliveries.ts); one whose lease another runner took over is left out, and reported.
 *
 * Two versions side by side, which write the same rows: on a Knex transaction, and as prepared
 * statements on the SQLite fast path (sqlite-direct.ts).
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
  toCounts,
} from './event-status.js';
import type { Unit } from './group-commit.js';
import type { TableNames } from './migrations.js';
import { ROW_SLACK_COLUMN, rowSlack } from './row-slack.js';
import { OUTCOME_COLUMNS, outcomeRow, type Row } from './rows.js';
import { type DirectConnection, valuesOf } from './sqlite-direct.js';
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
}

/** Builds the statements for the tables of a prefix. */
export function settleStatements(t: TableNames): SettleStatements {
  return {
    refreshStatus: refreshStatusSql(t),
    updateDelivery: `UPDATE "${t.deliveries}" SET ${OUTCOME_COLUMNS.map((c) => `"${c}" = ?`).join(', ')} WHERE "id" = ? AND "lease_token" = ?`,
    deliveryCounts: deliveryCountsSql(t),
    updateEventStatus: `UPDATE "${t.events}" SET "status" = ?, "processed_at" = ?, "${ROW_SLACK_COLUMN}" = ? WHERE "id" = ?`,
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
        .where({ id: delivery.id, lease_token: delivery.lease })
        .update(set);
      if (changed === 0) lost.push(delivery);
    }
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
      values.push(delivery.id, delivery.lease);
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
  return { knex, direct };
}
