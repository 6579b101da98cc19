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
 */
import type { Knex } from 'knex';
import type { TableNames } from '../store/migrations.js';
import type { DirectConnection } from '../store/sqlite-direct.js';

/** What the storing transaction writes to the mirror for one event. */
export interface ObjectWrite {
  /** The provider's object type (`payment_intent`, `transaction`, ...). */
  type: string;
  /** Its id at the provider. */
  id: string;
  /** Microseconds since the epoch; absent when the provider gives none. */
  version?: number | undefined;
  /** The event's data object, as JSON text. */
  data: string;
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

/** Builds the statements. */
export function mirrorStatements(t: TableNames): MirrorStatements {
  const table = `"${t.objects}"`;
  return {
    upsert:
      `INSERT INTO ${table} ("variant", "object_type", "object_id", "version", "data", "event", ` +
      `"updated_at") VALUES (?, ?, ?, ?, ?, ?, ?) ` +
      `ON CONFLICT ("variant", "object_type", "object_id") DO UPDATE SET ` +
      `"version" = excluded."version", "data" = excluded."data", "event" = excluded."event", ` +
      `"updated_at" = excluded."updated_at", "refresh_requested_at" = NULL ` +
      // A newer version replaces the state; an entry without a version is replaced by anything
      // (last writer wins). NULL > x is not true: an event without a version never replaces a
      // versioned state, and equal versions keep the first stored.
      `WHERE ${table}."version" IS NULL OR excluded."version" > ${table}."version"`,
    select: `SELECT "id", "version" FROM ${table} WHERE "variant" = ? AND "object_type" = ? AND "object_id" = ?`,
    markRefresh: `UPDATE ${table} SET "refresh_requested_at" = ? WHERE "id" = ? AND "refresh_requested_at" IS NULL`,
  };
}

function upsertValues(variant: string, write: ObjectWrite, event: number, now: Date): Knex.Value[] {
  return [variant, write.type, write.id, write.version ?? null, write.data, event, now];
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
 * What to write to the mirror for an event about `ref` whose data object is `data`; undefined
 * when the data cannot be stored as JSON (a custom provider's cyclic or BigInt data).
 */
export function objectWrite(
  ref: { type: string; id: string; version?: number | undefined },
  data: unknown,
  refreshOnTie: boolean,
): ObjectWrite | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(data ?? null);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string') return undefined; // a function, a symbol
  return { type: ref.type, id: ref.id, version: ref.version, data: text, refreshOnTie };
}
