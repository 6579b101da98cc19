/**
 * Rows of the `events` and `deliveries` tables: mapping them to the public shapes and back, and
 * the column lists the SQLite fast path binds its values in.
 */
import type { Database } from './database.js';
import { ROW_SLACK_COLUMN, rowSlack } from './row-slack.js';
import type { NewEvent } from './store-event.js';
import type {
  Delivery,
  DeliveryStatus,
  EventSource,
  EventStatus,
  IgnoredReason,
  LeasedDelivery,
  OutcomeRecord,
  StoredEvent,
} from './types.js';

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** A timestamp as either driver returns it (a Date, epoch milliseconds, or text), or null. */
export function toDate(value: unknown): Date | null {
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
    ignoredReason: (row.ignored_reason ?? null) as IgnoredReason | null,
    // SQLite stores 0/1.
    stale: row.stale === true || row.stale === 1,
    dedupeGroup: String(row.dedupe_group ?? row.variant),
    source: (row.source ?? 'webhook') as EventSource,
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
    deferredReason:
      row.deferred_reason === null || row.deferred_reason === undefined
        ? null
        : String(row.deferred_reason),
    deferredSince: toDate(row.deferred_since),
  };
}

/**
 * A new event as the storing transaction wrote it, as the fast paths return it without reading
 * it back.
 */
export function newStoredEvent(
  incoming: NewEvent,
  written: Pick<StoredEvent, 'id' | 'status' | 'processedAt' | 'stale'>,
): StoredEvent {
  return {
    ...written,
    variant: incoming.variant,
    provider: incoming.provider,
    eventId: incoming.eventId,
    type: incoming.type,
    livemode: incoming.livemode ?? null,
    payload: incoming.payload,
    receivedAt: incoming.receivedAt,
    createdAt: incoming.createdAt ?? null,
    ignoredReason: incoming.ignoredReason ?? null,
    dedupeGroup: incoming.dedupeGroup,
    source: incoming.source,
  };
}

/**
 * A delivery the storing transaction just created, pending and leased to the storing request
 * (its first attempt), as the fast paths return it without reading it back.
 */
export function newLeasedDelivery(
  id: number,
  event: number,
  receiver: string,
  lockedUntil: Date,
  lease: string,
): LeasedDelivery {
  return {
    id,
    event,
    receiver,
    status: 'pending',
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    lockedUntil,
    completedAt: null,
    deferredReason: null,
    deferredSince: null,
    lease,
    attempt: 1,
  };
}

/** The columns of an `events` row as the storing transaction writes it on SQLite. */
export const EVENT_COLUMNS = [
  'variant',
  'provider',
  'event_id',
  'type',
  'livemode',
  'status',
  'received_at',
  'created_at',
  'processed_at',
  'ignored_reason',
  'dedupe_group',
  'payload',
  ROW_SLACK_COLUMN,
  'source',
] as const;

/** The columns of a new after-commit delivery, as the SQLite fast path inserts it. */
export const NEW_DELIVERY_COLUMNS = [
  'event',
  'receiver',
  'status',
  'attempts',
  'locked_until',
  'lease_token',
  'created_at',
] as const;

/** The columns of a delivery written `skipped` by the storing transaction. */
export const SKIPPED_DELIVERY_COLUMNS = [
  'event',
  'receiver',
  'status',
  'attempts',
  'completed_at',
  'created_at',
] as const;

/** The columns a delivery's outcome sets. */
export const OUTCOME_COLUMNS = [
  'status',
  'attempts',
  'last_error',
  'next_attempt_at',
  'locked_until',
  'lease_token',
  'completed_at',
  'deferred_since',
  'deferred_reason',
] as const;

/**
 * The values a delivery's outcome sets (the keys are {@link OUTCOME_COLUMNS}); the lease is
 * given up. Write them only where the row still carries the runner's lease token.
 */
export function outcomeRow(
  delivery: LeasedDelivery,
  record: OutcomeRecord,
  now: Date,
): Record<(typeof OUTCOME_COLUMNS)[number], unknown> {
  // The attempt claimed for an abandoned delivery never ran, and a deferral does not count.
  const attempts =
    record.abandoned || record.status === 'deferred' ? delivery.attempt - 1 : delivery.attempt;
  const released = { locked_until: null, lease_token: null };
  if (record.status === 'succeeded') {
    return {
      status: 'succeeded',
      attempts,
      last_error: null,
      next_attempt_at: null,
      ...released,
      completed_at: now,
      deferred_since: null,
      deferred_reason: null,
    };
  }
  if (record.status === 'deferred') {
    return {
      status: 'pending',
      attempts,
      last_error: delivery.lastError,
      next_attempt_at: record.nextAttemptAt ?? now,
      ...released,
      completed_at: null,
      deferred_since: delivery.deferredSince ?? now,
      deferred_reason: record.reason ?? null,
    };
  }
  return {
    status: record.status,
    attempts,
    last_error: record.error ?? null,
    next_attempt_at: record.nextAttemptAt ?? null,
    ...released,
    completed_at: record.status === 'dead' ? now : null,
    // A failure keeps the time of the first deferral: deferFor is not started again.
    deferred_since: record.status === 'dead' ? null : delivery.deferredSince,
    deferred_reason: null,
  };
}

/**
 * Adds to an `events` row, on SQLite, the `row_slack` that keeps the row one size (row-slack.ts).
 * It sets the column on the row given rather than copying it: a copy of every event row cost
 * the hot path more than the slack saves.
 */
export function withRowSlack<
  R extends Record<string, unknown> & { status: string; processed_at: Date | null },
>(row: R, dialect: Database['dialect']): R {
  if (dialect === 'sqlite') {
    (row as Record<string, unknown>)[ROW_SLACK_COLUMN] = rowSlack(row.status, row.processed_at);
  }
  return row;
}
