/**
 * Storing one verified webhook, the first unit of work of its life: in one transaction, insert
 * the event (idempotently), write the provider object it is about to the objects mirror (which
 * tells whether the event is stale), record the payment signal it reports (emitted once per
 * variant and key), run the atomic receivers with the transaction, insert one delivery per
 * receiver (`skipped` for a `skipStale` receiver of a stale event) and the request-log line. A
 * duplicate (an event id already stored in the variant's dedupe group, by whichever of its
 * variants) inserts nothing but its log line and returns the stored event.
 *
 * Two versions side by side, which write the same rows: on a Knex transaction, and as prepared
 * statements on the SQLite fast path (sqlite-direct.ts) when no atomic receiver needs a Knex
 * transaction.
 */
import type { Knex } from 'knex';
import { emit, emitDirect, emitStatement, type SignalEmission } from '../objects/emitted.js';
import {
  type MirrorStatements,
  mirrorStatements,
  type ObjectWrite,
  writeObject,
  writeObjectDirect,
} from '../objects/mirror.js';
import type { RegisteredReceiver } from '../signals/registry.js';
import type { Database } from './database.js';
import { newLeaseToken } from './deliveries.js';
import { newEventStatus, processedAtFor } from './event-status.js';
import type { Unit } from './group-commit.js';
import type { PreparedSql } from './postgres-direct.js';
import { REQUEST_LOG_COLUMNS } from './requests.js';
import { ROW_SLACK_COLUMN, rowSlack } from './row-slack.js';
import {
  EVENT_COLUMNS,
  NEW_DELIVERY_COLUMNS,
  newLeasedDelivery,
  newStoredEvent,
  type Row,
  SKIPPED_DELIVERY_COLUMNS,
  toDelivery,
  toEvent,
  withRowSlack,
} from './rows.js';
import { type DirectConnection, insertStatement, valuesOf } from './sqlite-direct.js';
import {
  type PostgresStoreShape,
  postgresStoreStatement,
  postgresStoreStep,
} from './store-event-postgres.js';
import type { TableNames } from './table-names.js';
import type {
  EventSource,
  EventStatus,
  IgnoredReason,
  LeasedDelivery,
  StoredEvent,
} from './types.js';

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
  /** The variant's dedupe group: the event is stored once per group and event id. */
  dedupeGroup: string;
  /** Why it is stored without deliveries (then `receivers` is empty). */
  ignoredReason?: IgnoredReason | undefined;
  /** A webhook, or a copy fetched from the provider's API. */
  source: EventSource;
}

/**
 * The request-log row to insert in the storing transaction once the event row exists (no extra
 * commit per webhook), given the stored event and whether the event row holds the request's
 * body byte for byte (a new event, or a redelivery of the same payload).
 */
export type LogRow = (event: StoredEvent, bodyInEvent: boolean) => Record<string, unknown>;

/**
 * Which signal a delivery carries: the event's own type, or the normalized payment signal it
 * reports.
 */
export type DeliveryKind = 'event' | 'payment';

/** Runs one atomic receiver inside the storing transaction. */
export type AtomicRunner = (
  trx: Knex.Transaction,
  event: StoredEvent,
  receiver: RegisteredReceiver,
  kind: DeliveryKind,
) => Promise<void>;

/** The payment signal an event reports, with the receivers that listen to it. */
export interface PaymentEmission extends SignalEmission {
  receivers: readonly RegisteredReceiver[];
}

/** What {@link EventStore.store} takes. */
export interface StoreInput {
  event: NewEvent;
  /** The receivers that match the event's type: a delivery each. */
  receivers: readonly RegisteredReceiver[];
  /** The provider object the event is about, for the mirror (and `stale`). */
  object?: ObjectWrite | undefined;
  /**
   * The normalized payment signal the event reports: its receivers get a delivery each when this
   * event is the first of its variant to report the key.
   */
  payment?: PaymentEmission | undefined;
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
  /** The receivers whose deliveries were recorded `skipped` (a stale event). */
  skipped: string[];
  /** Whether this event emitted its payment signal (false: none, or reported first by another). */
  emitted: boolean;
}

/** The SQL of the fast path's statements, built once per store (values bound in column order). */
export interface StoreEventStatements {
  insertEvent: string;
  selectEvent: string;
  /** Sets what the storing transaction learns after the insert: status, staleness. */
  updateEvent: string;
  insertDelivery: string;
  insertSkippedDelivery: string;
  insertRequest: string;
  mirror: MirrorStatements;
  emit: string;
  /** The Postgres fast path's one statement, for the parts a webhook has. */
  postgres(shape: PostgresStoreShape): PreparedSql;
}

/** Builds the fast path's statements for the tables of a prefix. */
export function storeEventStatements(t: TableNames): StoreEventStatements {
  const postgresStatements = new Map<string, PreparedSql>();
  return {
    insertEvent: insertStatement(
      t.events,
      EVENT_COLUMNS,
      'ON CONFLICT ("dedupe_group", "event_id") DO NOTHING',
    ),
    selectEvent: `SELECT * FROM "${t.events}" WHERE "dedupe_group" = ? AND "event_id" = ?`,
    updateEvent: `UPDATE "${t.events}" SET "status" = ?, "processed_at" = ?, "${ROW_SLACK_COLUMN}" = ?, "stale" = ? WHERE "id" = ?`,
    insertDelivery: insertStatement(t.deliveries, NEW_DELIVERY_COLUMNS),
    insertSkippedDelivery: insertStatement(t.deliveries, SKIPPED_DELIVERY_COLUMNS),
    insertRequest: insertStatement(t.requests, REQUEST_LOG_COLUMNS),
    mirror: mirrorStatements(t),
    emit: emitStatement(t),
    postgres: (shape) => {
      const key = `${+shape.object}${+shape.payment}${+shape.log}`;
      let statement = postgresStatements.get(key);
      if (statement === undefined) {
        statement = postgresStoreStatement(t, shape);
        postgresStatements.set(key, statement);
      }
      return statement;
    },
  };
}

/** What the unit needs of its store. */
export interface StoreEventContext {
  tables: TableNames;
  dialect: Database['dialect'];
  statements: StoreEventStatements;
}

/** One delivery the storing transaction writes, and how. */
interface Planned {
  receiver: RegisteredReceiver;
  kind: DeliveryKind;
  /** Run inside the transaction, after the commit, or never (a stale event). */
  how: 'atomic' | 'after' | 'skipped';
}

/**
 * The deliveries of a new event: one per receiver of its type and, when it emits its payment
 * signal, one per receiver of that; atomic ones first. A `skipStale` receiver of a stale event
 * is skipped (payment receivers cannot be: their signal is never stale).
 */
function plan(
  receivers: readonly RegisteredReceiver[],
  paymentReceivers: readonly RegisteredReceiver[],
  stale: boolean,
): Planned[] {
  const all: Planned[] = [
    ...receivers.map((receiver) => ({
      receiver,
      kind: 'event' as const,
      how:
        stale && receiver.skipStale ? ('skipped' as const) : receiver.atomic ? 'atomic' : 'after',
    })),
    ...paymentReceivers.map((receiver) => ({
      receiver,
      kind: 'payment' as const,
      how: receiver.atomic ? ('atomic' as const) : ('after' as const),
    })),
  ] as Planned[];
  return [...all.filter((p) => p.how === 'atomic'), ...all.filter((p) => p.how !== 'atomic')];
}

/** The status of an event with these deliveries, as the storing transaction leaves it. */
function statusOf(planned: readonly Planned[]): EventStatus {
  return newEventStatus(planned.length, planned.filter((p) => p.how === 'after').length);
}

/** The unit of work that stores one event. */
export function storeEvent(context: StoreEventContext, input: StoreInput): Unit<StoreResult> {
  const { tables: t, dialect, statements } = context;
  const { event: incoming, receivers, object, payment, runAtomic, leaseMs, logRow } = input;
  const paymentReceivers = payment?.receivers ?? [];
  // The event row is inserted first (every other row refers to it), with the status it gets
  // when it is not stale and emits its payment signal; anything else updates it afterwards.
  const expected = plan(receivers, paymentReceivers, false);
  const hasAtomic = expected.some((p) => p.how === 'atomic');
  // With atomic receivers, the event is pending until they have run in the transaction.
  const insertedStatus = hasAtomic ? 'pending' : statusOf(expected);
  const eventRow = (now: Date) =>
    withRowSlack(
      {
        variant: incoming.variant,
        provider: incoming.provider,
        event_id: incoming.eventId,
        type: incoming.type,
        livemode: incoming.livemode ?? null,
        status: insertedStatus,
        received_at: incoming.receivedAt,
        created_at: incoming.createdAt ?? null,
        processed_at: hasAtomic ? null : processedAtFor(insertedStatus, now),
        ignored_reason: incoming.ignoredReason ?? null,
        dedupe_group: incoming.dedupeGroup,
        payload: incoming.payloadText,
        source: incoming.source,
      },
      dialect,
    );
  /** The deliveries, given what the transaction learnt: staleness, and whether it emitted. */
  const deliveriesFor = (stale: boolean, emitted: boolean) =>
    plan(receivers, emitted ? paymentReceivers : [], stale);
  const deliveryRow = (p: Planned, eventId: number, now: Date): Record<string, unknown> => {
    const base = { event: eventId, receiver: p.receiver.name };
    if (p.how === 'atomic') {
      return { ...base, status: 'succeeded', attempts: 1, completed_at: now, created_at: now };
    }
    if (p.how === 'skipped') {
      return { ...base, status: 'skipped', attempts: 0, completed_at: now, created_at: now };
    }
    // Leased to this request from birth: no worker takes it while it runs here.
    const lockedUntil = new Date(now.getTime() + leaseMs);
    return {
      ...base,
      status: 'pending',
      attempts: 0,
      locked_until: lockedUntil,
      lease_token: lease,
      created_at: now,
    };
  };
  // The lease this request holds its new deliveries under.
  const lease = newLeaseToken();
  const skippedOf = (planned: readonly Planned[]) =>
    planned.filter((p) => p.how === 'skipped').map((p) => p.receiver.name);

  const knex = async (trx: Knex.Transaction): Promise<StoreResult> => {
    const now = new Date();
    const inserted = (await trx(t.events)
      .insert(eventRow(now))
      .onConflict(['dedupe_group', 'event_id'])
      .ignore()
      .returning('*')) as Row[];
    const row = inserted[0];
    if (row === undefined) {
      const existing = (await trx(t.events)
        .where({ dedupe_group: incoming.dedupeGroup, event_id: incoming.eventId })
        .first()) as Row;
      const event = toEvent(existing);
      if (logRow !== undefined) {
        await trx(t.requests).insert(logRow(event, existing.payload === incoming.payloadText));
      }
      return { event, duplicate: true, deliveries: [], skipped: [], emitted: false };
    }
    let event = toEvent(row, incoming.payload);
    const stale =
      object !== undefined &&
      (await writeObject(trx, statements.mirror, incoming.variant, object, event.id, now)) ===
        'stale';
    const emitted =
      payment !== undefined && (await emit(trx, t, incoming.variant, payment, event.id, now));
    const planned = deliveriesFor(stale, emitted);
    event = { ...event, stale };
    for (const p of planned) {
      if (p.how === 'atomic') await runAtomic(trx, event, p.receiver, p.kind);
    }
    const status = statusOf(planned);
    if (status !== insertedStatus || stale) {
      const processedAt = processedAtFor(status, now);
      await trx(t.events)
        .where({ id: event.id })
        .update(
          withRowSlack(
            { status, processed_at: processedAt, ...(stale ? { stale: true } : {}) },
            dialect,
          ),
        );
      event = { ...event, status, processedAt };
    }
    let deliveries: LeasedDelivery[] = [];
    if (planned.length > 0) {
      const created = (await trx(t.deliveries)
        .insert(planned.map((p) => deliveryRow(p, event.id, now)))
        .returning('*')) as Row[];
      deliveries = created
        .map(toDelivery)
        .filter((d) => d.status === 'pending')
        .map((d) => ({ ...d, lease, attempt: 1 }));
    }
    if (logRow !== undefined) await trx(t.requests).insert(logRow(event, true));
    return { event, duplicate: false, deliveries, skipped: skippedOf(planned), emitted };
  };

  // The same writes as prepared statements; an atomic receiver needs a Knex transaction.
  const direct = hasAtomic
    ? undefined
    : (db: DirectConnection): StoreResult => {
        const now = new Date();
        const row = eventRow(now);
        const id = db.insertValues(statements.insertEvent, valuesOf(row, EVENT_COLUMNS));
        if (id === undefined) {
          const existing = db.get(
            statements.selectEvent,
            incoming.dedupeGroup,
            incoming.eventId,
          ) as Row;
          const event = toEvent(existing);
          if (logRow !== undefined) {
            const line = logRow(event, existing.payload === incoming.payloadText);
            db.runValues(statements.insertRequest, valuesOf(line, REQUEST_LOG_COLUMNS));
          }
          return { event, duplicate: true, deliveries: [], skipped: [], emitted: false };
        }
        const stale =
          object !== undefined &&
          writeObjectDirect(db, statements.mirror, incoming.variant, object, id, now) === 'stale';
        const emitted =
          payment !== undefined &&
          emitDirect(db, statements.emit, incoming.variant, payment, id, now);
        const planned = deliveriesFor(stale, emitted);
        const status = statusOf(planned);
        let processedAt = row.processed_at;
        if (status !== insertedStatus || stale) {
          processedAt = processedAtFor(status, now);
          db.runValues(statements.updateEvent, [
            status,
            processedAt,
            rowSlack(status, processedAt),
            stale,
            id,
          ]);
        }
        const event = newStoredEvent(incoming, { id, status, processedAt, stale });
        // No atomic receiver here: every delivery runs after the commit or is skipped. The
        // values are those deliveryRow() gives the Knex path, in the statements' column order.
        const deliveries: LeasedDelivery[] = [];
        const lockedUntil = new Date(now.getTime() + leaseMs);
        for (const p of planned) {
          if (p.how === 'skipped') {
            db.runValues(statements.insertSkippedDelivery, [
              id,
              p.receiver.name,
              'skipped',
              0,
              now,
              now,
            ]);
            continue;
          }
          const deliveryId = db.insertValues(statements.insertDelivery, [
            id,
            p.receiver.name,
            'pending',
            0,
            lockedUntil,
            lease,
            now,
          ]) as number;
          deliveries.push(newLeasedDelivery(deliveryId, id, p.receiver.name, lockedUntil, lease));
        }
        if (logRow !== undefined) {
          db.runValues(
            statements.insertRequest,
            valuesOf(logRow(event, true), REQUEST_LOG_COLUMNS),
          );
        }
        return { event, duplicate: false, deliveries, skipped: skippedOf(planned), emitted };
      };
  // The same writes in one statement on Postgres (store-event-postgres.ts); an atomic receiver
  // needs a Knex transaction.
  const postgres = hasAtomic ? undefined : () => postgresStoreStep(statements, t, input, lease);
  return { knex, direct, postgres };
}
