/**
 * The request log (the `requests` table), like dj-stripe's WebhookEventTrigger: every POST to a
 * variant, valid or not, with its remote IP, redacted headers, truncated body and outcome.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Knex } from 'knex';
import type { TableNames } from './table-names.js';
import type { RequestLogEntry } from './types.js';

/** What the pipeline records for one request. */
export interface NewRequestLogEntry {
  variant: string;
  receivedAt: Date;
  remoteIp: string | undefined;
  headers: IncomingHttpHeaders;
  rawBody: Buffer | undefined;
  valid: boolean;
  statusCode: number;
  error: string | undefined;
  event: number | undefined;
  /**
   * The body is, byte for byte, the payload of the stored `event`: the row does not repeat it
   * (the bytes are stored once, in the event row).
   */
  bodyInEvent?: boolean;
}

/** Lines the request-log prune deletes per transaction. */
export const PRUNE_BATCH = 5_000;

/** Headers never stored: credentials, cookies, and headers some providers put secrets in. */
export const REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'verif-hash',
];

const REDACTED = '[redacted]';

/** The lower-case names of the headers to redact: the usual ones and `extra`. */
function secretSet(extra: readonly string[]): ReadonlySet<string> {
  return new Set([...REDACTED_HEADERS, ...extra.map((h) => h.toLowerCase())]);
}

/** Copies headers with the ones named in `secret` (lower case) replaced by `[redacted]`. */
function redactWith(
  headers: IncomingHttpHeaders,
  secret: ReadonlySet<string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = secret.has(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

/**
 * Copies headers with the secret ones (`REDACTED_HEADERS` and `extra`) replaced by
 * `[redacted]`.
 */
export function redactHeaders(
  headers: IncomingHttpHeaders,
  extra: readonly string[] = [],
): Record<string, string | string[]> {
  return redactWith(headers, secretSet(extra));
}

type Row = Record<string, unknown>;

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(Number(value));
}

/** The first `maxBody` bytes of a text, as the log stores a body. */
function truncate(text: string, maxBody: number): string {
  return Buffer.byteLength(text) <= maxBody
    ? text
    : Buffer.from(text).subarray(0, maxBody).toString();
}

/**
 * Maps a `requests` row, read with its event's payload (`event_payload`): a body the row does not
 * repeat is the event's.
 */
export function toRequestLogEntry(row: Row, maxBody = Number.POSITIVE_INFINITY): RequestLogEntry {
  const body =
    row.body !== null && row.body !== undefined
      ? String(row.body)
      : row.body_size !== null &&
          row.body_size !== undefined &&
          typeof row.event_payload === 'string'
        ? truncate(row.event_payload, maxBody)
        : null;
  return {
    id: Number(row.id),
    variant: String(row.variant),
    receivedAt: toDate(row.received_at),
    remoteIp: row.remote_ip === null ? null : String(row.remote_ip),
    headers: JSON.parse(String(row.headers)),
    body,
    bodySize: row.body_size === null ? null : Number(row.body_size),
    valid: Boolean(row.valid),
    statusCode: Number(row.status_code),
    error: row.error === null ? null : String(row.error),
    event: row.event === null ? null : Number(row.event),
    durationMs: Number(row.duration_ms),
  };
}

/** The columns of a request-log row (the keys of {@link RequestLog.row}'s rows). */
export const REQUEST_LOG_COLUMNS = [
  'variant',
  'received_at',
  'remote_ip',
  'headers',
  'body',
  'body_size',
  'valid',
  'status_code',
  'error',
  'event',
  'duration_ms',
] as const;

/** Writes and reads the request log. */
export class RequestLog {
  readonly #knex: Knex;
  readonly #table: string;
  readonly #events: string;
  readonly #maxBody: number;
  readonly #secretHeaders: ReadonlySet<string>;

  constructor(knex: Knex, tables: TableNames, maxBody: number, secretHeaders: readonly string[]) {
    this.#knex = knex;
    this.#table = tables.requests;
    this.#events = tables.events;
    this.#maxBody = maxBody;
    this.#secretHeaders = secretSet(secretHeaders);
  }

  /** The row to insert for an entry (truncated, redacted). */
  row(entry: NewRequestLogEntry, now: Date = new Date()): Row {
    const body = entry.rawBody;
    return {
      variant: entry.variant,
      received_at: entry.receivedAt,
      remote_ip: entry.remoteIp ?? null,
      headers: JSON.stringify(redactWith(entry.headers, this.#secretHeaders)),
      body:
        body === undefined || entry.bodyInEvent === true
          ? null
          : body.subarray(0, this.#maxBody).toString('utf8'),
      body_size: body === undefined ? null : body.length,
      valid: entry.valid,
      status_code: entry.statusCode,
      error: entry.error ?? null,
      event: entry.event ?? null,
      duration_ms: Math.max(0, now.getTime() - entry.receivedAt.getTime()),
    };
  }

  /** Inserts an entry, inside `trx` when given (the storing transaction: no extra commit). */
  async insert(entry: NewRequestLogEntry, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.#knex)(this.#table).insert(this.row(entry));
  }

  /** Lines with their event's payload (the body of the lines that do not repeat it). */
  #lines(): Knex.QueryBuilder {
    return this.#knex(this.#table)
      .leftJoin(this.#events, `${this.#events}.id`, `${this.#table}.event`)
      .select(`${this.#table}.*`, `${this.#events}.payload as event_payload`);
  }

  /** The log lines of an event, oldest first. */
  async ofEvent(eventId: number): Promise<RequestLogEntry[]> {
    const rows = (await this.#lines()
      .where(`${this.#table}.event`, eventId)
      .orderBy(`${this.#table}.id`)) as Row[];
    return rows.map((row) => toRequestLogEntry(row, this.#maxBody));
  }

  /** The most recent lines, newest first. */
  async recent(
    options: { variant?: string; valid?: boolean; limit?: number } = {},
  ): Promise<RequestLogEntry[]> {
    const query = this.#lines()
      .orderBy(`${this.#table}.id`, 'desc')
      .limit(options.limit ?? 100);
    if (options.variant !== undefined) query.where(`${this.#table}.variant`, options.variant);
    if (options.valid !== undefined) query.where(`${this.#table}.valid`, options.valid);
    return ((await query) as Row[]).map((row) => toRequestLogEntry(row, this.#maxBody));
  }

  /** How many lines were received before `before`. */
  async count(before: Date): Promise<number> {
    const [row] = (await this.#knex(this.#table)
      .where('received_at', '<', before)
      .count({ n: '*' })) as { n: unknown }[];
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes lines received before `before`, {@link PRUNE_BATCH} at a time, each batch its own
   * transaction: one DELETE of a year of lines would hold SQLite's write lock, and so every
   * webhook, for as long as it takes. Returns how many.
   */
  async prune(before: Date, batch = PRUNE_BATCH): Promise<number> {
    let deleted = 0;
    for (;;) {
      const oldest = this.#knex(this.#table)
        .select('id')
        .where('received_at', '<', before)
        .orderBy('id')
        .limit(batch);
      const n = await this.#knex(this.#table).whereIn('id', oldest).delete();
      deleted += n;
      if (n < batch) return deleted;
    }
  }
}
