/**
 * SQLite: an event row that keeps one size whatever its status, so that settling an event never
 * writes its payload a second time.
 *
 * SQLite stores a row as one record, and a payload too large for the row's page goes on in a
 * chain of overflow pages. An UPDATE that changes the record's size deletes the record and
 * writes it anew, overflow chain and all: settling an event with a 64 KB payload wrote its 16
 * overflow pages and its leaf again. An UPDATE that keeps the size overwrites the record in
 * place, and SQLite writes only the pages whose bytes changed.
 *
 * `status` and `processed_at` are the only columns of an event that change after its INSERT, and
 * they change size: `pending` becomes `processed`, NULL becomes a timestamp. The `row_slack`
 * column (a zero-filled BLOB, SQLite only) takes up the difference, so that the bytes of the
 * three always add up to {@link ROW_SLACK_TOTAL}. The payload is the table's last column, so a
 * status change rewrites the page that holds the row's start, and no overflow page.
 *
 * Nothing depends on it but speed: a row whose sizes do not add up (written by other code) is
 * updated correctly, only by a rewrite.
 *
 * Why not the payload in a table of its own, written once: settling would write the same pages
 * (measured no faster), while every read of a payload would join a second table, the `events`
 * schema would differ between SQLite and Postgres, and existing databases would need their
 * payloads copied out and the table rebuilt. One column is the smaller change.
 */

/** The column. */
export const ROW_SLACK_COLUMN = 'row_slack';

/** Bytes of status + processed_at + row_slack in every row the library writes. */
export const ROW_SLACK_TOTAL = 15;

/**
 * Bytes of a stored `processed_at`: an epoch-millisecond integer, which SQLite stores in 6 bytes
 * for the years 1970 to 6429 (a Date is bound as its epoch milliseconds).
 */
const TIMESTAMP_BYTES = 6;

/**
 * The values, one per length, made once rather than a new Buffer per webhook (they are on the
 * hot path). Shared, so never written to; drivers only read bound values.
 */
const SLACKS: readonly Buffer[] = Array.from({ length: ROW_SLACK_TOTAL + 1 }, (_, n) =>
  Buffer.alloc(n),
);

/** The `row_slack` value of a row with this status and processed_at. */
export function rowSlack(status: string, processedAt: unknown): Buffer {
  const used =
    Buffer.byteLength(status) +
    (processedAt === null || processedAt === undefined ? 0 : TIMESTAMP_BYTES);
  return SLACKS[Math.max(0, ROW_SLACK_TOTAL - used)] as Buffer;
}

/**
 * The same in SQL, for SQL expressions of the new status and processed_at (each used twice:
 * pass column names or subquery aliases, not bound parameters).
 */
export function rowSlackSql(status: string, processedAt: string): string {
  return `zeroblob(max(0, ${ROW_SLACK_TOTAL} - length(${status}) - CASE WHEN ${processedAt} IS NULL THEN 0 ELSE ${TIMESTAMP_BYTES} END))`;
}
