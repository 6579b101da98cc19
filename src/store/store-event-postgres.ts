/**
 * Storing one webhook on the Postgres fast path (postgres-direct.ts): the writes of the Knex
 * path of store-event.ts in one statement of data-modifying CTEs, so one round trip and the
 * implicit transaction of a single statement. The event row is written last with what the
 * others learnt (its status, whether it is stale), under an id taken from its sequence first, so
 * that the objects mirror, the payment signal, the deliveries and the request-log line can refer
 * to it; a duplicate writes its log line only.
 *
 * What one snapshot cannot decide makes the statement fail, and the unit runs again on the Knex
 * path, whose later statements read afresh: a concurrent insert of the same event (the unique
 * violation of the event row), and an entry of the objects mirror committed by another
 * transaction after this statement began (its status is then left NULL, a not-null violation).
 * Either way the statement rolled back whole.
 */
import { REPLACE_STATE } from '../objects/mirror.js';
import { processedAtFor, statusFromCountsSql } from './event-status.js';
import { lockKey } from './postgres-batches.js';
import { type PgStep, type PreparedSql, prepared } from './postgres-direct.js';
import { REQUEST_LOG_COLUMNS } from './requests.js';
import { newLeasedDelivery, newStoredEvent, type Row, toEvent } from './rows.js';
import type { StoreEventStatements, StoreInput, StoreResult } from './store-event.js';
import type { TableNames } from './table-names.js';
import type { EventStatus, LeasedDelivery, StoredEvent } from './types.js';

/** Which parts a webhook's statement has. */
export interface PostgresStoreShape {
  /** It writes the objects mirror. */
  object: boolean;
  /** It emits a payment signal. */
  payment: boolean;
  /** It writes a request-log line. */
  log: boolean;
}

/** The request-log columns bound as values (`event` and `body` are chosen in the statement). */
const BOUND_LOG_COLUMNS = REQUEST_LOG_COLUMNS.filter((c) => c !== 'event' && c !== 'body');

/** The SQL type each bound log column is cast to. */
const LOG_TYPES: Record<(typeof REQUEST_LOG_COLUMNS)[number], string> = {
  variant: 'text',
  received_at: 'timestamptz',
  remote_ip: 'text',
  headers: 'text',
  body: 'text',
  body_size: 'integer',
  valid: 'boolean',
  status_code: 'integer',
  error: 'text',
  event: 'integer',
  duration_ms: 'integer',
};

/**
 * The values, in order: variant, provider, event id, type, livemode, received_at, created_at,
 * ignored_reason, payload, now, receiver names, their skipStale flags, whether each receives the
 * payment signal, the lease's end, the lease token, the dedupe group, the source; then with `object`: object type, id,
 * version, data, data path, refresh-on-tie; with `payment`: key, signal; with `log`: the log columns of
 * {@link BOUND_LOG_COLUMNS}, the body when the event does not hold it, the body when it does.
 */
export function postgresStoreStatement(t: TableNames, shape: PostgresStoreShape): PreparedSql {
  const q = (name: string) => `"${name}"`;
  let n = 17;
  const next = () => {
    n += 1;
    return `$${n}`;
  };
  const ctes: string[] = [
    `"old" AS (SELECT * FROM ${q(t.events)} WHERE "dedupe_group" = $16::text AND "event_id" = $3::text)`,
    `"new" AS (SELECT nextval(pg_get_serial_sequence('${q(t.events)}', 'id'))::integer AS "id" ` +
      `WHERE NOT EXISTS (SELECT 1 FROM "old"))`,
    `"receivers" AS (SELECT * FROM unnest($11::text[], $12::boolean[], $13::boolean[]) ` +
      `AS r("name", "skip_stale", "payment"))`,
  ];
  let stale = 'false';
  let unknown = 'false';
  if (shape.object) {
    const [type, id, version, data, dataPath, refreshOnTie] = [
      next(),
      next(),
      next(),
      next(),
      next(),
      next(),
    ];
    const objects = q(t.objects);
    const v = `${version}::bigint`;
    ctes.push(
      `"object_written" AS (INSERT INTO ${objects} ("variant", "object_type", "object_id", ` +
        `"version", "data", "data_path", "event", "updated_at") SELECT $1::text, ${type}::text, ` +
        `${id}::text, ${v}, ${data}::text, ${dataPath}::text, "new"."id", $10::timestamptz ` +
        `FROM "new" ON CONFLICT ("variant", "object_type", "object_id") DO UPDATE SET ` +
        `${REPLACE_STATE} ` +
        `WHERE ${objects}."version" IS NULL OR excluded."version" > ${objects}."version" ` +
        `RETURNING "id")`,
      // Locked, so that an entry updated since the statement began is read as it is now.
      `"object_kept" AS (SELECT "id", "version" FROM ${objects} WHERE "variant" = $1::text ` +
        `AND "object_type" = ${type}::text AND "object_id" = ${id}::text ` +
        `AND EXISTS (SELECT 1 FROM "new") FOR SHARE)`,
      `"object_marked" AS (UPDATE ${objects} SET "refresh_requested_at" = $10::timestamptz ` +
        `WHERE "id" = (SELECT "id" FROM "object_kept" WHERE "version" = ${v}) ` +
        `AND "refresh_requested_at" IS NULL AND ${refreshOnTie}::boolean ` +
        `AND NOT EXISTS (SELECT 1 FROM "object_written"))`,
    );
    stale =
      `(NOT EXISTS (SELECT 1 FROM "object_written") AND ` +
      `coalesce((SELECT "version" FROM "object_kept") > ${v}, false))`;
    // Not written, yet no entry at least as new is in sight: one was committed meanwhile.
    unknown =
      `(${v} IS NOT NULL AND EXISTS (SELECT 1 FROM "new") ` +
      `AND NOT EXISTS (SELECT 1 FROM "object_written") ` +
      `AND NOT EXISTS (SELECT 1 FROM "object_kept" WHERE "version" >= ${v}))`;
  }
  let emitted = 'false';
  if (shape.payment) {
    const [key, signal] = [next(), next()];
    ctes.push(
      `"emitted" AS (INSERT INTO ${q(t.paymentSignals)} ("variant", "key", "signal", "event", ` +
        `"created_at") SELECT $1::text, ${key}::text, ${signal}::text, "new"."id", $10::timestamptz ` +
        `FROM "new" ON CONFLICT ("variant", "key") DO NOTHING RETURNING "id")`,
    );
    emitted = 'EXISTS (SELECT 1 FROM "emitted")';
  }
  ctes.push(
    `"facts" AS (SELECT ${stale} AS "stale", ${emitted} AS "emitted", ${unknown} AS "unknown")`,
    // The deliveries of store-event.ts's plan(): a payment receiver's only when this event
    // emitted the signal; a skipStale receiver's of a stale event skipped.
    `"planned" AS (SELECT r."name", (NOT r."payment" AND r."skip_stale" AND f."stale") AS "skipped" ` +
      `FROM "receivers" r, "facts" f WHERE NOT r."payment" OR f."emitted")`,
    // The rule of event-status.ts for a new event (none of its deliveries has failed yet).
    // NULL (which the insert refuses) when undecided.
    `"status" AS (SELECT CASE WHEN (SELECT "unknown" FROM "facts") THEN NULL ELSE ` +
      `${statusFromCountsSql('count(*)', 'count(*) FILTER (WHERE NOT "skipped")', '0')} END ` +
      `AS "status" FROM "planned")`,
    `"event" AS (INSERT INTO ${q(t.events)} ("id", "variant", "provider", "event_id", "type", ` +
      `"livemode", "status", "received_at", "created_at", "processed_at", "ignored_reason", ` +
      `"payload", "stale", "dedupe_group", "source") SELECT "new"."id", $1::text, $2::text, $3::text, ` +
      `$4::text, $5::boolean, s."status", $6::timestamptz, $7::timestamptz, CASE WHEN ` +
      `s."status" IN ('processed', 'ignored') THEN $10::timestamptz END, $8::text, $9::text, ` +
      `f."stale", $16::text, $17::text ` +
      `FROM "new", "status" s, "facts" f RETURNING "id")`,
    `"delivered" AS (INSERT INTO ${q(t.deliveries)} ("event", "receiver", "status", "attempts", ` +
      `"locked_until", "lease_token", "completed_at", "created_at") SELECT "new"."id", p."name", ` +
      `CASE WHEN p."skipped" THEN 'skipped' ELSE 'pending' END, 0, ` +
      `CASE WHEN NOT p."skipped" THEN $14::timestamptz END, ` +
      `CASE WHEN NOT p."skipped" THEN $15::text END, ` +
      `CASE WHEN p."skipped" THEN $10::timestamptz END, $10::timestamptz ` +
      `FROM "new", "planned" p RETURNING "id", "receiver", "status")`,
  );
  if (shape.log) {
    const bound = BOUND_LOG_COLUMNS.map((c) => `${next()}::${LOG_TYPES[c]}`);
    const [bodyApart, bodyInEvent] = [next(), next()];
    ctes.push(
      `"logged" AS (INSERT INTO ${q(t.requests)} (${[...BOUND_LOG_COLUMNS, 'body', 'event']
        .map(q)
        .join(', ')}) SELECT ${bound.join(', ')}, CASE WHEN e."same" THEN ${bodyInEvent}::text ` +
        `ELSE ${bodyApart}::text END, e."id" FROM (SELECT "id", true AS "same" FROM "new" ` +
        `UNION ALL SELECT "id", "payload" = $9::text FROM "old") e)`,
    );
  }
  const deliveries = (column: string, alias: string) =>
    `(SELECT array_agg("${column}" ORDER BY "id") FROM "delivered") AS "${alias}"`;
  const text =
    `WITH ${ctes.join(', ')} SELECT (SELECT "id" FROM "new") AS "new_id", ` +
    `(SELECT "status" FROM "status") AS "new_status", f."stale" AS "new_stale", ` +
    `f."emitted" AS "new_emitted", ${deliveries('id', 'delivery_ids')}, ` +
    `${deliveries('receiver', 'delivery_receivers')}, ` +
    `${deliveries('status', 'delivery_statuses')}, o.* FROM "facts" f LEFT JOIN "old" o ON true`;
  return prepared(text);
}

/**
 * The fast path's version of store-event.ts's unit (without atomic receivers): the statement for
 * the parts the webhook has, its values, and the result the Knex path would give.
 */
export function postgresStoreStep(
  statements: StoreEventStatements,
  t: TableNames,
  input: StoreInput,
  lease: string,
): PgStep<StoreResult> {
  const { event: incoming, receivers, object, payment, leaseMs, logRow } = input;
  const now = new Date();
  const all = [
    ...receivers.map((receiver) => ({ receiver, payment: false })),
    ...(payment?.receivers ?? []).map((receiver) => ({ receiver, payment: true })),
  ];
  const lockedUntil = new Date(now.getTime() + leaseMs);
  const values: unknown[] = [
    incoming.variant,
    incoming.provider,
    incoming.eventId,
    incoming.type,
    incoming.livemode ?? null,
    incoming.receivedAt,
    incoming.createdAt ?? null,
    incoming.ignoredReason ?? null,
    incoming.payloadText,
    now,
    all.map((r) => r.receiver.name),
    all.map((r) => r.receiver.skipStale === true),
    all.map((r) => r.payment),
    lockedUntil,
    lease,
    incoming.dedupeGroup,
    incoming.source,
  ];
  if (object !== undefined) {
    values.push(
      object.type,
      object.id,
      object.version ?? null,
      object.data,
      object.path,
      object.refreshOnTie,
    );
  }
  if (payment !== undefined) values.push(payment.key, payment.signal);
  if (logRow !== undefined) {
    // The statement sets the line's event, and picks the body by whether the event holds it.
    const placeholder = { id: 0 } as StoredEvent;
    const apart = logRow(placeholder, false);
    values.push(...BOUND_LOG_COLUMNS.map((c) => apart[c]), apart.body);
    values.push(logRow(placeholder, true).body);
  }
  const shape = {
    object: object !== undefined,
    payment: payment !== undefined,
    log: logRow !== undefined,
  };

  const result = (row: Row): StoreResult => {
    if (row.new_id === null) {
      return { event: toEvent(row), duplicate: true, deliveries: [], skipped: [], emitted: false };
    }
    const id = Number(row.new_id);
    const status = row.new_status as EventStatus;
    const event = newStoredEvent(incoming, {
      id,
      status,
      processedAt: processedAtFor(status, now),
      stale: row.new_stale === true,
    });
    const ids = (row.delivery_ids ?? []) as unknown[];
    const names = (row.delivery_receivers ?? []) as string[];
    const statuses = (row.delivery_statuses ?? []) as string[];
    const deliveries: LeasedDelivery[] = [];
    const skipped: string[] = [];
    ids.forEach((deliveryId, i) => {
      const receiver = names[i] as string;
      if (statuses[i] === 'skipped') {
        skipped.push(receiver);
        return;
      }
      deliveries.push(newLeasedDelivery(Number(deliveryId), id, receiver, lockedUntil, lease));
    });
    return { event, duplicate: false, deliveries, skipped, emitted: row.new_emitted === true };
  };
  return {
    statement: statements.postgres(shape),
    values,
    locks: storeLocks(t, input),
    result: ([row]) => result(row as Row),
  };
}

/**
 * The rows the statement locks, in the order it takes them: its object's entry (inserted or
 * updated by its unique key), its payment signal's (an insert that waits for another
 * transaction's of the same key), its event's (the same, by dedupe group and event id). A
 * duplicate takes none of them; it only shares the stored event's row with foreign-key checks,
 * which no other write of a batch waits for. Deliveries and the request-log line are new rows
 * of the new event, which nothing else can see.
 */
function storeLocks(t: TableNames, input: StoreInput): string[] {
  const { event, object, payment } = input;
  const locks: string[] = [];
  if (object !== undefined) locks.push(lockKey(t.objects, event.variant, object.type, object.id));
  if (payment !== undefined) locks.push(lockKey(t.paymentSignals, event.variant, payment.key));
  locks.push(lockKey(t.events, event.dedupeGroup, event.eventId));
  return locks;
}
