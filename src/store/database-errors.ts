/**
 * Database errors as they may be logged: without the values bound to the failed query. Knex
 * prefixes a driver's message with the query, its bound values inlined where the SQL has `?`
 * (SQLite); a timeout carries `sql` and `bindings`; Postgres' `detail` and `where` quote the
 * failing row (`Failing row contains (..., <payload>)`). What is kept says what failed: the
 * driver's own message, its code, and the table, column and constraint at fault.
 */

/** The fields of a driver's error that name what failed without quoting any value. */
const SAFE_FIELDS = [
  'code',
  'errno',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

/** How deep a chain of causes is followed. */
const MAX_DEPTH = 5;

/** The first word of a statement, as Knex puts the statement in front of the driver's message. */
const STATEMENT =
  /^\s*\(?\s*(select|insert|update|delete|with|pragma|create|alter|drop|begin|commit|rollback|savepoint|release|truncate|set|lock|values)\b/i;

/** An error raised by the database, its driver or Knex running a query. */
function isDatabaseError(error: Error): boolean {
  const fields = error as Error & Record<string, unknown>;
  return (
    error.name === 'SqliteError' || // better-sqlite3
    error.name === 'KnexTimeoutError' ||
    'bindings' in fields ||
    'sql' in fields ||
    // pg's DatabaseError (named 'error'): a severity, a SQLSTATE code, the server's routine
    (typeof fields.severity === 'string' && typeof fields.code === 'string' && 'routine' in fields)
  );
}

/**
 * The driver's own message: Knex's `<statement with values> - <message>` loses its statement.
 * The driver's message is last, so whatever the values hold, none of them is kept.
 */
function driverMessage(message: string): string {
  if (!STATEMENT.test(message)) return message;
  const at = message.lastIndexOf(' - ');
  return at === -1
    ? 'the query failed (its message held the statement, left out)'
    : message.slice(at + 3);
}

/** The stack frames of `error`, when its stack starts with one of `headers`; else none. */
function framesOf(error: Error, headers: readonly string[]): string {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  for (const header of headers) {
    if (stack.startsWith(`${header}\n`)) return stack.slice(header.length);
  }
  return '';
}

function sanitize(error: Error, depth: number): Error {
  const message = driverMessage(error.message);
  const copy = new Error(message);
  copy.name = error.name;
  // The stack's first line is the message it had when the stack was first read: Knex's, or the
  // driver's. Frames are kept only when that line is recognised, so no statement can slip in.
  copy.stack = `${error.name}: ${message}${framesOf(error, [
    `${error.name}: ${error.message}`,
    `${error.name}: ${message}`,
  ])}`;
  const target = copy as unknown as Record<string, unknown>;
  for (const field of SAFE_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (value !== undefined) target[field] = value;
  }
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined) {
    Object.defineProperty(copy, 'cause', {
      value: withoutBoundValues(cause, depth + 1),
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/**
 * `error` as it may be logged: a database error is replaced by a copy without bound values (see
 * the module comment); another error is returned as it is, or copied when one of its causes is
 * a database error. The original is never changed.
 */
export function withoutBoundValues(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  if (depth > MAX_DEPTH) return undefined; // the end of a long chain of causes is left out
  if (isDatabaseError(error)) return sanitize(error, depth);
  const cause = (error as { cause?: unknown }).cause;
  if (cause === undefined) return error;
  const safeCause = withoutBoundValues(cause, depth + 1);
  if (safeCause === cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error));
  // From Node 24 (V8 13), `stack` is an own accessor that reads a slot only real errors have: the
  // copied accessor would answer undefined, so the copy gets the text itself.
  Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, configurable: true });
  Object.defineProperty(copy, 'cause', { value: safeCause, writable: true, configurable: true });
  return copy;
}
