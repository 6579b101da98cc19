/**
 * Storing one verified webhook, the first unit of work of its life: in one transaction, insert
 * the event (idempotently), run the atomic receivers with the transaction, insert one delivery
 * per receiver and the request-log line. A duplicate inserts nothing but its log line and
 * returns the stored event.
 *
 * Two versions side by side, which write the same rows: on a Knex transaction, and as prepared
 * statements on the SQLite fast path (sqlite-direct.ts) when no atomic receiver needs a Knex
 * transaction.
 */
import type { Knex } from 'knex';
import type { RegisteredReceiver } from '../signals/registry.js';
import type { Database } from './database.js';
import { newLeaseToken } from './deliveries.js';
import { newEventStatus, processedAtFor } from './event-status.js';
import type { Unit } from './group-commit.js';
import type { TableNames } from './migrations.js';
import { REQUEST_LOG_COLUMNS } from './requests.js';
import {
  EVENT_COLUMNS,
  NEW_DELIVERY_COLUMNS,
  type Row,
  toDelivery,
  toEvent,
  withRowSlack,
} from './rows.js';
import { type DirectConnection, insertStatement, valuesOf } from './sqlite-direct.js';
import type { IgnoredReason, LeasedDelivery, StoredEvent } from './types.js';

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
  /** Why it is stored without deliveries (then `receivers` is empty). */
  ignoredReason?: IgnoredReason | undefined;
}

/**
 * The request-log row to insert in the storing transaction once the event row exists (no extra
 * commit per webhook), given the stored event and whether the event row holds the request's
 * body byte for byte (a new event, or a redelivery of the same payload).
 */
export type LogRow = (event: StoredEvent, bodyInEvent: boolean) => Record<string, unknown>;

/** Runs one atomic receiver inside the storing transaction. */
export type AtomicRunner = (
  trx: Knex.Transaction,
  event: StoredEvent,
  receiver: RegisteredReceiver,
) => Promise<void>;

/** What {@link EventStore.store} takes. */
export interface StoreInput {
  event: NewEvent;
  /** The receivers that match the event: a delivery each. */
  receivers: readonly RegisteredReceiver[];
  runAtomic: AtomicRunner;
  /** The lease the new after-commit deliveries are born with, held by the storing request. */
  leaseMs: number;
  /** The request-log line, when the log is on. */
  logRow?: LogRow | undefined;
}

/** Result of the storing transaction. */
export interface StoreResult {
  event: StoredEvent;
  duplicate: boolean;
  /** The after-commit deliveries this request created and holds the lease on. */
  deliveries: LeasedDelivery[];
}

/** The SQL of the fast path's statements, built once per store (values bound in column order). */
export interface StoreEventStatements {
  insertEvent: string;
  selectEvent: string;
  insertDelivery: string;
  insertRequest: string;
}

/** Builds the fast path's statements for the tables of a prefix. */
export function storeEventStatements(t: TableNames): StoreEventStatements {
  return {
    insertEvent: insertStatement(
      t.events,
      EVENT_COLUMNS,
      'ON CONFLICT ("variant", "event_id") DO NOTHING',
    ),
    selectEvent: `SELECT * FROM "${t.events}" WHERE "variant" = ? AND "event_id" = ?`,
    insertDelivery: insertStatement(t.deliveries, NEW_DELIVERY_COLUMNS),
    insertRequest: insertStatement(t.requests, REQUEST_LOG_COLUMNS),
  };
}

/** What the unit needs of its store. */
export interface StoreEventContext {
  tables: TableNames;
  dialect: Database['dialect'];
  statements: StoreEventStatements;
}

/** The unit of work that stores one event. */
export function storeEvent(context: StoreEventContext, input: StoreInput): Unit<StoreResult> {
  const { tables: t, dialect, statements } = context;
  const { event: incoming, receivers, runAtomic, leaseMs, logRow } = input;
  const afterCommit = receivers.filter((r) => !r.atomic);
  const atomic = receivers.filter((r) => r.atomic);
  const status = newEventStatus(receivers.length, afterCommit.length);
  // The lease this request holds its new deliveries under.
  const lease = newLeaseToken();
  // With atomic receivers, the event is pending until they have run in the transaction.
  const eventRow = (now: Date) =>
    withRowSlack(
      {
        variant: incoming.variant,
        provider: incoming.provider,
        event_id: incoming.eventId,
        type: incoming.type,
        livemode: incoming.livemode ?? null,
        status: atomic.length > 0 ? 'pending' : status,
        received_at: incoming.receivedAt,
        created_at: incoming.createdAt ?? null,
        processed_at: atomic.length > 0 ? null : processedAtFor(status, now),
        ignored_reason: incoming.ignoredReason ?? null,
        payload: incoming.payloadText,
      },
      dialect,
    );
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
      lease_token: lease,
      created_at: now,
    })),
  ];

  const knex = async (trx: Knex.Transaction): Promise<StoreResult> => {
    const now = new Date();
    const inserted = (await trx(t.events)
      .insert(eventRow(now))
      .onConflict(['variant', 'event_id'])
      .ignore()
      .returning('*')) as Row[];
    const row = inserted[0];
    if (row === undefined) {
      const existing = (await trx(t.events)
        .where({ variant: incoming.variant, event_id: incoming.eventId })
        .first()) as Row;
      const event = toEvent(existing);
      if (logRow !== undefined) {
        await trx(t.requests).insert(logRow(event, existing.payload === incoming.payloadText));
      }
      return { event, duplicate: true, deliveries: [] };
    }
    let event = toEvent(row, incoming.payload);
    for (const entry of atomic) await runAtomic(trx, event, entry);
    if (atomic.length > 0) {
      const processedAt = processedAtFor(status, now);
      await trx(t.events)
        .where({ id: event.id })
        .update(withRowSlack({ status, processed_at: processedAt }, dialect));
      event = { ...event, status, processedAt };
    }
    const rows = deliveryRows(event.id, now);
    let deliveries: LeasedDelivery[] = [];
    if (rows.length > 0) {
      const created = (await trx(t.deliveries).insert(rows).returning('*')) as Row[];
      deliveries = created
        .map(toDelivery)
        .filter((d) => d.status === 'pending')
        .map((d) => ({ ...d, lease, attempt: 1 }));
    }
    if (logRow !== undefined) await trx(t.requests).insert(logRow(event, true));
    return { event, duplicate: false, deliveries };
  };

  // The same writes as prepared statements; an atomic receiver needs a Knex transaction.
  const direct =
    atomic.length > 0
      ? undefined
      : (db: DirectConnection): StoreResult => {
          const now = new Date();
          const row = eventRow(now);
          const id = db.insertValues(statements.insertEvent, valuesOf(row, EVENT_COLUMNS));
          if (id === undefined) {
            const existing = db.get(
              statements.selectEvent,
              incoming.variant,
              incoming.eventId,
            ) as Row;
            const event = toEvent(existing);
            if (logRow !== undefined) {
              const line = logRow(event, existing.payload === incoming.payloadText);
              db.runValues(statements.insertRequest, valuesOf(line, REQUEST_LOG_COLUMNS));
            }
            return { event, duplicate: true, deliveries: [] };
          }
          const event: StoredEvent = {
            id,
            variant: incoming.variant,
            provider: incoming.provider,
            eventId: incoming.eventId,
            type: incoming.type,
            livemode: row.livemode,
            payload: incoming.payload,
            status: row.status,
            receivedAt: incoming.receivedAt,
            createdAt: row.created_at,
            processedAt: row.processed_at,
            ignoredReason: row.ignored_reason,
          };
          // No atomic receiver here: every delivery is an after-commit one, leased to this
          // request from birth (as deliveryRows() writes them for the Knex path).
          const deliveries: LeasedDelivery[] = [];
          const lockedUntil = new Date(now.getTime() + leaseMs);
          for (const r of afterCommit) {
            const id = db.insertValues(statements.insertDelivery, [
              event.id,
              r.name,
              'pending',
              0,
              lockedUntil,
              lease,
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
              lease,
              attempt: 1,
            });
          }
          if (logRow !== undefined) {
            db.runValues(
              statements.insertRequest,
              valuesOf(logRow(event, true), REQUEST_LOG_COLUMNS),
            );
          }
          return { event, duplicate: false, deliveries };
        };
  return { knex, direct };
}
