/**
 * SQLite set-up shared by the three servers, and the preload: events already stored before a run,
 * bulk-inserted straight into the file (one prepared statement, big transactions, no fsync).
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { WAL_AUTOCHECKPOINT_PAGES } from '../src/store/database.js';
import { migrationSource } from '../src/store/migrations.js';
import { rowSlack } from '../src/store/row-slack.js';
import { tableNames } from '../src/store/table-names.js';
import { EventFactory } from './payload.js';

/** `synchronous` of every server's connection: FULL (the library's, and the default) or NORMAL. */
export type Synchronous = 'full' | 'normal';

/** The table of the two baselines (B and C). */
export const BASELINE_TABLE = 'webhook_events';

/** The table prefix of server A. */
export const TABLE_PREFIX = 'payments_';

/** Busy timeout of every server's connection, as the library sets it. */
export const BUSY_TIMEOUT_MS = 5_000;

/** What a SQLite connection needs to take pragmas (better-sqlite3's `Database`). */
interface PragmaTarget {
  pragma(source: string): unknown;
}

/** The pragmas of the library (src/store/database.ts): WAL, busy timeout, synchronous and the rest. */
export function applyPragmas(db: PragmaTarget, synchronous: Synchronous): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  // The library's checkpoint interval and temp_store too, so that B, C and G get the same
  // pragmas as A.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma('temp_store = MEMORY');
}

/** The baselines' table: what a hand-rolled receiver stores, with an idempotency key. */
export const BASELINE_SCHEMA = `CREATE TABLE IF NOT EXISTS ${BASELINE_TABLE} (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at INTEGER NOT NULL
)`;

/** Which schema a database file holds. */
export type SchemaKind = 'library' | 'baseline';

/** Creates the library's schema with its own migrations (as `pay.migrate()` does). */
async function migrateLibrary(file: string): Promise<void> {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
  });
  try {
    await knex.migrate.latest({
      migrationSource: migrationSource(TABLE_PREFIX),
      tableName: tableNames(TABLE_PREFIX).migrations,
    });
  } finally {
    await knex.destroy();
  }
}

type Inserter = (eventId: string, body: string, at: number) => void;

/**
 * An event, its succeeded delivery, its request-log line and its charge's entry in the objects
 * mirror (a pointer into the event's payload), as the library writes them (each preloaded event is about its own charge, as the load's
 * events are: the mirror's unique index grows with the store like the events' own).
 */
function libraryInserter(db: Database.Database): Inserter {
  const t = tableNames(TABLE_PREFIX);
  const event = db.prepare(
    `INSERT INTO ${t.events} (variant, provider, event_id, type, livemode, payload, status, received_at, created_at, processed_at, row_slack, dedupe_group, source)
     VALUES ('stripe', 'stripe', ?, 'charge.succeeded', 0, ?, 'processed', ?, ?, ?, ?, 'stripe', 'webhook')`,
  );
  const object = db.prepare(
    `INSERT INTO ${t.objects} (variant, object_type, object_id, version, data, data_path, event, updated_at)
     VALUES ('stripe', 'charge', ?, ?, NULL, '["data","object"]', ?, ?)`,
  );
  const delivery = db.prepare(
    `INSERT INTO ${t.deliveries} (event, receiver, status, attempts, completed_at, created_at)
     VALUES (?, 'noop', 'succeeded', 1, ?, ?)`,
  );
  const request = db.prepare(
    `INSERT INTO ${t.requests} (variant, received_at, remote_ip, headers, body, body_size, valid, status_code, error, event, duration_ms)
     VALUES ('stripe', ?, '127.0.0.1', ?, ?, ?, 1, 200, NULL, ?, 2)`,
  );
  const headers = JSON.stringify({
    host: '127.0.0.1',
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': `t=1700000000,v1=${'0'.repeat(64)}`,
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  });
  const slack = rowSlack('processed', Date.now());
  return (eventId, body, at) => {
    const { lastInsertRowid } = event.run(eventId, body, at, at, at + 5, slack);
    delivery.run(lastInsertRowid, at + 5, at);
    // The log line of a valid request does not repeat the body: the event row holds it.
    request.run(at, headers, null, Buffer.byteLength(body), lastInsertRowid);
    const { data } = JSON.parse(body) as { data: { object: { id: string; created: number } } };
    // A Stripe state is a pointer into its event's payload (src/objects/mirror.ts).
    object.run(data.object.id, data.object.created * 1_000_000, lastInsertRowid, at + 5);
  };
}

/** One row of the baselines' table. */
function baselineInserter(db: Database.Database): Inserter {
  db.exec(BASELINE_SCHEMA);
  const event = db.prepare(
    `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at) VALUES (?, 'charge.succeeded', ?, ?)`,
  );
  return (eventId, body, at) => {
    event.run(eventId, body, at);
  };
}

const BATCH = 50_000;

/**
 * Inserts `count` processed events into `file` (creating the schema), in the shape each server
 * writes: for the library, an event, its succeeded delivery and its request-log line each.
 * Returns the milliseconds it took.
 */
export async function preload(
  file: string,
  kind: SchemaKind,
  count: number,
  payloadBytes: number,
): Promise<number> {
  const started = performance.now();
  if (kind === 'library') await migrateLibrary(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const factory = new EventFactory(payloadBytes, 'preload0');
    // Spread the stored events over the last 30 days, oldest first, as a live store would be.
    const end = Date.now() - 60_000;
    const span = 30 * 24 * 3600 * 1000;
    const at = (n: number): number => Math.floor(end - span + (span * n) / Math.max(1, count));
    const insertOne = kind === 'library' ? libraryInserter(db) : baselineInserter(db);
    const batch = db.transaction((from: number, to: number) => {
      for (let n = from; n < to; n += 1) insertOne(factory.eventId(n), factory.body(n), at(n));
    });
    for (let from = 0; from < count; from += BATCH) batch(from, Math.min(count, from + BATCH));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return performance.now() - started;
}

/**
 * Flushes a file to disk, so that the kernel's write-back of a freshly written multi-gigabyte
 * file does not compete with the fsyncs of the run that follows.
 */
function syncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Deletes a SQLite file and its WAL and shared-memory files. */
export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Preloaded templates, built once per (schema, count, size) and copied for each run, so that every
 * run starts from the same state without paying for the preload again.
 */
export class Templates {
  readonly #dir: string;
  readonly #built = new Map<string, string>();
  /** Milliseconds each template took to build, by key. */
  readonly buildMs: Record<string, number> = {};

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Copies a template holding `count` events to `file` (nothing to do for 0). */
  async prepare(
    file: string,
    kind: SchemaKind,
    count: number,
    payloadBytes: number,
    log: (line: string) => void,
  ): Promise<void> {
    removeDatabase(file);
    if (count === 0) return;
    const key = `${kind}-${count}-${payloadBytes}`;
    let template = this.#built.get(key);
    if (template === undefined || !existsSync(template)) {
      template = `${this.#dir}/template-${key}.sqlite3`;
      removeDatabase(template);
      log(`preloading ${count} events into a ${kind} template…`);
      const ms = await preload(template, kind, count, payloadBytes);
      syncFile(template);
      this.buildMs[key] = Math.round(ms);
      log(`  done in ${(ms / 1000).toFixed(1)} s`);
      this.#built.set(key, template);
    }
    copyFileSync(template, file);
    syncFile(file);
  }

  /** Deletes every template. */
  clear(): void {
    for (const file of this.#built.values()) removeDatabase(file);
    this.#built.clear();
  }
}

/**
 * Times every better-sqlite3 statement run in this process from now on (its `run`, `get` and
 * `all`), reporting each to `record` with its SQL text and µs. For measurements only: it patches
 * the driver's Statement prototype for good.
 */
export function traceStatements(record: (sql: string, micros: number) => void): void {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<
    'run' | 'get' | 'all',
    (this: { source: string }, ...args: unknown[]) => unknown
  >;
  probe.close();
  for (const method of ['run', 'get', 'all'] as const) {
    const original = proto[method];
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const started = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        record(this.source, (performance.now() - started) * 1000);
      }
    };
  }
}
