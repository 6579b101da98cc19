/**
 * The batches of the Postgres fast path under group commit (group-commit.ts): the order their
 * steps run in, and their text, one `EXECUTE` of a prepared statement per step with its values
 * as literals, cut into parts that are each sent and committed on their own.
 *
 * Order. Two batches are in flight at once on two connections (more with several app
 * instances), and a step's statement locks rows as it goes. Were one batch to lock X then Y and
 * another Y then X, Postgres would find the deadlock only after `deadlock_timeout` (1 s by
 * default), abort one, and run nothing of it: its units would run again alone. So a batch runs
 * its steps sorted by the keys they lock (`PgStep.locks`), and two batches meet on their first
 * common key. The order of units within a batch means nothing: they arrived concurrently, each
 * is answered with its own result, and a webhook's settling is submitted only once its storing
 * has committed, so never joins its batch. Steps with the same keys keep their arrival order.
 *
 * A step that locks several keys (a store: its object's entry, its payment signal, its event)
 * takes them in its statement's order, which sorting steps cannot change: two batches whose
 * steps share a later key but not the first (a PaymentIntent's and a Charge's events, which
 * report one payment signal) can still lock in opposite orders. Postgres then breaks the
 * deadlock as before.
 *
 * Size. A part's text stays within a bound (see {@link MAX_BATCH_TEXT}); a step alone past it,
 * or whose values cannot be sent as literals, runs alone with its values bound.
 */
import type { PgStep, PreparedSql } from './postgres-direct.js';

/**
 * The longest text of a batch part, in bytes. A batch is up to `groupCommit.maxBatch` (100)
 * webhooks of up to `bodyLimit` (2 MB) each; as one text that is hundreds of MB, which Node
 * builds as one string (V8 refuses strings past 512 MB) and the server holds with its parse tree
 * and every literal's copy at once. 16 MB is a hundred webhooks of 150 KB: typical batches stay
 * whole, and past it one round trip more per 16 MB costs nothing beside sending the bytes.
 */
export const MAX_BATCH_TEXT = 16 * 1024 * 1024;

/** A value as the text of an SQL literal's content (before quoting), as `pg` would bind it. */
function literalText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const items = value.map((item) =>
      item === null || item === undefined
        ? 'NULL'
        : `"${literalText(item).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
    );
    return `{${items.join(',')}}`;
  }
  return String(value);
}

/** An SQL string literal of `text`, quoted as `pg`'s `escapeLiteral` quotes it. */
function quoteLiteral(text: string): string {
  const quoted = text.replace(/'/g, "''");
  return text.includes('\\') ? ` E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/** A statement's name as prepared for batches (apart from the names `pg` prepares itself). */
export function batchName(statement: PreparedSql): string {
  return `${statement.name}_b`;
}

/**
 * A step as batch text: an `EXECUTE` with its values as literals; undefined when a value holds a
 * NUL, which a query's text cannot carry (the server refuses it as a bound value too, so the
 * step fails alone).
 */
function stepText(step: PgStep<unknown>): string | undefined {
  const values: string[] = [];
  for (const value of step.values) {
    if (value === null || value === undefined) {
      values.push('NULL');
      continue;
    }
    const text = literalText(value);
    if (text.includes('\0')) return undefined;
    values.push(quoteLiteral(text));
  }
  return `EXECUTE ${batchName(step.statement)}(${values.join(', ')})`;
}

/**
 * The lock key of a row: its table and the values of the unique key it is found or inserted by,
 * unambiguous whatever the values hold.
 */
export function lockKey(table: string, ...key: readonly (string | number)[]): string {
  return JSON.stringify([table, ...key]);
}

/** Orders two lists of lock keys: key by key, by code unit (the same in every process). */
function compareLocks(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const [x, y] = [a[i] as string, b[i] as string];
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The positions of `steps` in the order a batch runs them: by their lock keys, stably. */
export function lockOrder(steps: readonly PgStep<unknown>[]): number[] {
  const locks = steps.map((step) => step.locks);
  return locks
    .map((_, i) => i)
    .sort((i, j) => compareLocks(locks[i] as string[], locks[j] as string[]));
}

/** A part of a batch, sent and committed on its own. */
export interface BatchPart {
  /** Its steps' positions in the batch, in the order they run. */
  readonly positions: readonly number[];
  /** Its text; undefined for a step that runs alone. */
  readonly text: string | undefined;
}

/**
 * Cuts a batch into parts, its steps in lock order: each part's text at most `maxText` bytes.
 * Built one part at a time, so that no more than one part's text is held at once.
 */
export function* batchParts(
  steps: readonly PgStep<unknown>[],
  maxText: number = MAX_BATCH_TEXT,
): Generator<BatchPart> {
  let positions: number[] = [];
  let texts: string[] = [];
  let bytes = 0;
  const flush = (): BatchPart => {
    const part = { positions, text: positions.length > 1 ? texts.join('; ') : undefined };
    positions = [];
    texts = [];
    bytes = 0;
    return part;
  };
  for (const position of lockOrder(steps)) {
    let text: string | undefined;
    try {
      text = stepText(steps[position] as PgStep<unknown>);
    } catch {
      // A value that cannot be written as text (a string past the longest): it is bound alone.
      text = undefined;
    }
    if (text === undefined) {
      yield { positions: [position], text: undefined };
      continue;
    }
    const size = Buffer.byteLength(text);
    // Each text after the first is joined with '; '.
    if (positions.length > 0 && bytes + 2 + size > maxText) yield flush();
    bytes += (positions.length > 0 ? 2 : 0) + size;
    positions.push(position);
    texts.push(text);
  }
  if (positions.length > 0) yield flush();
}
