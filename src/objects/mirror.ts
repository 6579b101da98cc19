/**
 * The objects mirror: the newest known state of each provider object, written in the storing
 * transaction of every event that names one (its provider's `facts()`). An older event never
 * overwrites a newer state and a tie keeps the first stored, so the order events arrive in does
 * not matter; what the mirror cannot order (events without a version) is last-writer-wins. The
 * write is one upsert whose `WHERE` decides, race-free on SQLite (writes are serialised) and on
 * Postgres (a conflicting insert waits for the other transaction, then sees its row, locked).
 *
 * Two versions side by side, like the rest of the storing unit (store-event.ts): on a Knex
 * transaction, and as prepared statements on the SQLite fast path.
 *
 * A state is stored one of two ways. When the event's `signal.data` is a plain subtree of its
 * payload (the provider's facts name its `path`, Stripe's `data.object`), the entry holds that
 * path in `data_path` and no `data`: the state is read from the event's stored payload, which
 * then is not written a second time. Otherwise `data` holds the state's JSON and `data_path` is
 * null. An entry's event keeps its payload until it is pruned, and pruning materialises the
 * entries that point at it (writes their `data`) in the transaction that deletes it.
 */
import type { Knex } from 'knex';
import { readAt } from '../providers/shared/data-path.js';
import type { ObjectRef } from '../providers/types.js';
import type { DirectConnection } from '../store/sqlite-direct.js';
import type { TableNames } from '../store/table-names.js';

/** What the storing transaction writes to the mirror for one event. */
export interface ObjectWrite {
  /** The provider's object type (`payment_intent`, `transaction`, ...). */
  type: string;
  /** Its id at the provider. */
  id: string;
  /** Microseconds since the epoch; absent when the provider gives none. */
  version?: number | undefined;
  /** The event's data object, as JSON text; null when {@link path} points at it. */
  data: string | null;
  /** Where the data object sits in the event's payload, as a JSON array; else null. */
  path: string | null;
  /** Whether a tie marks the entry for a refresh (the variant has API access). */
  refreshOnTie: boolean;
}

/**
 * What became of the write: `written` (a new entry, or a newer state), `stale` (the entry holds
 * a newer version), `tie` (the same version, kept as first stored), `kept` (an event without a
 * version never replaces a versioned state).
 */
export type MirrorOutcome = 'written' | 'stale' | 'tie' | 'kept';

/** The mirror's statements for the tables of a prefix, built once per store. */
export interface MirrorStatements {
  /** The upsert; values: {@link upsertValues}. Changes one row when it wrote. */
  upsert: string;
  /** The entry's id and version, by (variant, object_type, object_id). */
  select: string;
  /** Marks an entry for a refresh (values: time, id), keeping an earlier mark. */
  markRefresh: string;
}

/**
 * What replacing an entry's state sets, in the upsert of both fast paths: both ways of holding
 * the state, so that a copy clears an earlier pointer and a pointer an earlier copy.
 */
export const REPLACE_STATE =
  '"version" = excluded."version", "data" = excluded."data", ' +
  '"data_path" = excluded."data_path", "event" = excluded."event", ' +
  '"updated_at" = excluded."updated_at", "refresh_requested_at" = NULL';

/** Builds the statements. */
export function mirrorStatements(t: TableNames): MirrorStatements {
  const table = `"${t.objects}"`;
  return {
    upsert:
      `INSERT INTO ${table} ("variant", "object_type", "object_id", "version", "data", ` +
      `"data_path", "event", "updated_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ` +
      `ON CONFLICT ("variant", "object_type", "object_id") DO UPDATE SET ${REPLACE_STATE} ` +
      // A newer version replaces the state; an entry without a version is replaced by anything
      // (last writer wins). NULL > x is not true: an event without a version never replaces a
      // versioned state, and equal versions keep the first stored.
      `WHERE ${table}."version" IS NULL OR excluded."version" > ${table}."version"`,
    select: `SELECT "id", "version" FROM ${table} WHERE "variant" = ? AND "object_type" = ? AND "object_id" = ?`,
    markRefresh: `UPDATE ${table} SET "refresh_requested_at" = ? WHERE "id" = ? AND "refresh_requested_at" IS NULL`,
  };
}

function upsertValues(variant: string, write: ObjectWrite, event: number, now: Date): Knex.Value[] {
  return [variant, write.type, write.id, write.version ?? null, write.data, write.path, event, now];
}

/** The outcome of a write that changed nothing, from the entry that stopped it. */
function outcomeOf(
  write: ObjectWrite,
  existing: Record<string, unknown> | undefined,
): MirrorOutcome {
  if (write.version === undefined || existing === undefined) return 'kept';
  // Postgres returns a bigint as a string.
  const version = Number(existing.version);
  return version > write.version ? 'stale' : 'tie';
}

/** The rows of a raw query's result, as better-sqlite3 (an array) or pg (`rows`) gives them. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  return Array.isArray(result)
    ? result
    : ((result as { rows: Record<string, unknown>[] }).rows ?? []);
}

/** Writes the event's object to the mirror on a Knex transaction. */
export async function writeObject(
  trx: Knex.Transaction,
  statements: MirrorStatements,
  variant: string,
  write: ObjectWrite,
  event: number,
  now: Date,
): Promise<MirrorOutcome> {
  const written = rowsOf(
    await trx.raw(`${statements.upsert} RETURNING "id"`, upsertValues(variant, write, event, now)),
  );
  if (written.length > 0) return 'written';
  const [existing] = rowsOf(await trx.raw(statements.select, [variant, write.type, write.id]));
  const outcome = outcomeOf(write, existing);
  if (outcome === 'tie' && write.refreshOnTie) {
    await trx.raw(statements.markRefresh, [now, existing?.id as number]);
  }
  return outcome;
}

/** The same write, on the SQLite fast path. */
export function writeObjectDirect(
  db: DirectConnection,
  statements: MirrorStatements,
  variant: string,
  write: ObjectWrite,
  event: number,
  now: Date,
): MirrorOutcome {
  // Without RETURNING (SQLite runs it through a temporary table: docs/performance.md).
  if (db.runValues(statements.upsert, upsertValues(variant, write, event, now)) > 0) {
    return 'written';
  }
  const existing = db.get(statements.select, variant, write.type, write.id);
  const outcome = outcomeOf(write, existing);
  if (outcome === 'tie' && write.refreshOnTie) db.run(statements.markRefresh, now, existing?.id);
  return outcome;
}

/**
 * What to write to the mirror for an event about `ref` whose data object is `data` and payload
 * `payload`: a pointer when `data` is the very value at `ref.path` in the payload (nothing to
 * serialise), else a copy; undefined when the data cannot be stored as JSON (a custom provider's
 * cyclic or BigInt data).
 */
export function objectWrite(
  ref: ObjectRef,
  data: unknown,
  payload: unknown,
  refreshOnTie: boolean,
): ObjectWrite | undefined {
  const { type, id, version } = ref;
  // Identity, not equality: a value the provider built or transformed is copied.
  if (ref.path !== undefined && data !== undefined && readAt(payload, ref.path) === data) {
    return { type, id, version, data: null, path: JSON.stringify(ref.path), refreshOnTie };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(data ?? null);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string') return undefined; // a function, a symbol
  return { type, id, version, data: text, path: null, refreshOnTie };
}

/**
 * The state an entry holds: its `data`, or the value at its `data_path` in its event's payload
 * (null when that is gone: an event deleted by something other than the library's prune).
 */
export function entryState(data: unknown, path: unknown, payload: unknown): unknown {
  if (data !== null && data !== undefined) return JSON.parse(String(data));
  if (path === null || path === undefined || payload === null || payload === undefined) {
    return null;
  }
  try {
    return readAt(JSON.parse(String(payload)), JSON.parse(String(path)) as string[]) ?? null;
  } catch {
    // A payload that is not JSON (a custom provider's): no state, rather than a read, or a
    // prune's materialisation, that fails on every run.
    return null;
  }
}

/**
 * Writes the state of the entries that point at the payloads of the events `events` selects (a
 * query of their ids) into their `data`, clearing their path: run in the transaction that
 * deletes those events, before it deletes them.
 */
export async function materialiseEntries(
  trx: Knex.Transaction,
  t: TableNames,
  events: Knex.QueryBuilder,
): Promise<void> {
  const rows = (await trx(t.objects)
    .join(t.events, `${t.events}.id`, `${t.objects}.event`)
    .whereIn(`${t.objects}.event`, events)
    .whereNull(`${t.objects}.data`)
    .select(
      `${t.objects}.id`,
      `${t.objects}.event`,
      `${t.objects}.data_path`,
      `${t.events}.payload`,
    )) as Record<string, unknown>[];
  for (const row of rows) {
    // Only if it still points there: on Postgres a newer state may have replaced it meanwhile.
    await trx(t.objects)
      .where({ id: row.id, event: row.event })
      .whereNull('data')
      .update({
        data: JSON.stringify(entryState(null, row.data_path, row.payload)),
        data_path: null,
      });
  }
}
