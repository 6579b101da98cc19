/**
 * The storage floor, without HTTP or Knex: server A's statements per webhook, run with prepared
 * better-sqlite3 statements on the library's schema, in different commit layouts. Tells what a
 * commit (an fsync at synchronous=FULL) costs on this disk and what fewer commits, or one commit
 * for a group of webhooks, would save. Also tells which table or index each WAL page belongs to.
 *
 *   npx tsx bench/commit-cost.ts [--events 2000] [--synchronous full|normal] [--temp-store memory|file]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { tableNames } from '../src/store/migrations.js';
import { rowSlack } from '../src/store/row-slack.js';
import {
  applyPragmas,
  BASELINE_SCHEMA,
  BASELINE_TABLE,
  preload,
  TABLE_PREFIX,
} from './database.js';
import { EventFactory } from './payload.js';
import { table } from './report.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    synchronous: { type: 'string', default: 'full' },
    // `file`: SQLite's default, under which savepoint journals past 64 KB spill to a file.
    'temp-store': { type: 'string', default: 'memory' },
  },
});
const events = Number(values.events);
const synchronous = values.synchronous === 'normal' ? 'normal' : 'full';
const tempStore = values['temp-store'] === 'file' ? 'FILE' : 'MEMORY';
/** Webhooks of the pass that counts WAL pages. */
const FRAME_SAMPLE = 200;
const dir = mkdtempSync(join(tmpdir(), 'koa-payments-commit-cost-'));
const t = tableNames(TABLE_PREFIX);

/** One layout: how a batch of `n` webhooks is written. */
type Layout = (db: Statements, batch: number[]) => void;

interface Statements {
  db: Database.Database;
  event: Database.Statement;
  delivery: Database.Statement;
  request: Database.Statement;
  running: Database.Statement;
  succeeded: Database.Statement;
  processed: Database.Statement;
  baseline: Database.Statement;
  factory: EventFactory;
}

function prepare(db: Database.Database): Statements {
  return {
    db,
    event: db.prepare(
      `INSERT INTO ${t.events} (created_at, event_id, livemode, payload, processed_at, provider, received_at, status, type, variant, row_slack)
       VALUES (?, ?, 0, ?, NULL, 'stripe', ?, 'pending', 'charge.succeeded', 'stripe', ?)
       ON CONFLICT (variant, event_id) DO NOTHING RETURNING *`,
    ),
    delivery: db.prepare(
      `INSERT INTO ${t.deliveries} (attempts, created_at, event, locked_until, receiver, status)
       VALUES (0, ?, ?, ?, 'noop', ?) RETURNING *`,
    ),
    request: db.prepare(
      `INSERT INTO ${t.requests} (body, body_size, duration_ms, error, event, headers, received_at, remote_ip, status_code, valid, variant)
       VALUES (?, ?, 1, NULL, ?, ?, ?, '127.0.0.1', 200, 1, 'stripe')`,
    ),
    running: db.prepare(
      `UPDATE ${t.deliveries} SET status = 'running', locked_until = ? WHERE id = ?`,
    ),
    succeeded: db.prepare(
      `UPDATE ${t.deliveries} SET status = 'succeeded', attempts = 1, last_error = NULL, next_attempt_at = NULL, locked_until = NULL, completed_at = ? WHERE id = ?`,
    ),
    processed: db.prepare(
      `UPDATE ${t.events} SET status = 'processed', processed_at = ?, row_slack = ? WHERE id = ?`,
    ),
    baseline: db.prepare(
      `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at) VALUES (?, 'charge.succeeded', ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ),
    factory: new EventFactory(1024),
  };
}

/** row_slack of a pending event and of a processed one (src/store/row-slack.ts). */
const PENDING_SLACK = rowSlack('pending', null);
const PROCESSED_SLACK = rowSlack('processed', Date.now());

const HEADERS = JSON.stringify({ 'content-type': 'application/json', 'stripe-signature': 'x' });

/** The storing transaction's three inserts for webhook `n`; returns the event and delivery ids. */
function insertOne(s: Statements, n: number, status: string): [number, number] {
  const now = Date.now();
  const body = s.factory.body(n);
  const event = s.event.get(now, s.factory.eventId(n), body, now, PENDING_SLACK) as { id: number };
  const delivery = s.delivery.get(now, event.id, now + 60_000, status) as { id: number };
  // The log line of a valid request does not repeat the body: the event row holds it.
  s.request.run(null, body.length, event.id, HEADERS, now);
  return [event.id, delivery.id];
}

const layouts: Record<string, { layout: Layout; commits: string }> = {
  'B: one INSERT (autocommit)': {
    commits: '1',
    layout: (s, batch) => {
      for (const n of batch) s.baseline.run(s.factory.eventId(n), s.factory.body(n), Date.now());
    },
  },
  'A: store trx, then 3 autocommits (running, outcome, status)': {
    commits: '4',
    layout: (s, batch) => {
      for (const n of batch) {
        s.db.exec('BEGIN');
        const [event, delivery] = insertOne(s, n, 'pending');
        s.db.exec('COMMIT');
        s.running.run(Date.now() + 60_000, delivery);
        s.succeeded.run(Date.now(), delivery);
        s.processed.run(Date.now(), PROCESSED_SLACK, event);
      }
    },
  },
  'A: store trx, then one outcome trx': {
    commits: '2',
    layout: (s, batch) => {
      for (const n of batch) {
        s.db.exec('BEGIN');
        const [event, delivery] = insertOne(s, n, 'running');
        s.db.exec('COMMIT');
        s.db.exec('BEGIN');
        s.succeeded.run(Date.now(), delivery);
        s.processed.run(Date.now(), PROCESSED_SLACK, event);
        s.db.exec('COMMIT');
      }
    },
  },
  'A: outcomes ride in the next store trx': {
    commits: '1',
    layout: ridesNext(),
  },
};

/**
 * One webhook per transaction, with the previous webhook's outcomes. The last outcome carries
 * over to the next call (the next pass on the same file), as in a server that keeps going.
 */
function ridesNext(): Layout {
  let previous: [number, number] | undefined;
  return (s, batch) => {
    for (const n of batch) {
      s.db.exec('BEGIN');
      if (previous !== undefined) {
        s.succeeded.run(Date.now(), previous[1]);
        s.processed.run(Date.now(), PROCESSED_SLACK, previous[0]);
      }
      previous = insertOne(s, n, 'running');
      s.db.exec('COMMIT');
    }
  };
}

/** Runs `unit` in a savepoint, as the group committer runs each unit of work of a batch. */
function inSavepoint<T>(s: Statements, unit: () => T): T {
  s.db.exec('SAVEPOINT koa_payments_job');
  const value = unit();
  s.db.exec('RELEASE SAVEPOINT koa_payments_job');
  return value;
}

/**
 * Group commit: `size` webhooks (and the previous group's outcomes) per transaction. The last
 * group's outcomes carry over to the next call (the next pass on the same file), so that every
 * pass writes as many outcomes as webhooks, as a server that keeps going does.
 */
function grouped(size: number): Layout {
  let previous: [number, number][] = [];
  return (s, batch) => {
    for (let i = 0; i < batch.length; i += size) {
      s.db.exec('BEGIN');
      for (const [event, delivery] of previous) {
        inSavepoint(s, () => {
          s.succeeded.run(Date.now(), delivery);
          s.processed.run(Date.now(), PROCESSED_SLACK, event);
        });
      }
      previous = batch
        .slice(i, i + size)
        .map((n) => inSavepoint(s, () => insertOne(s, n, 'running')));
      s.db.exec('COMMIT');
    }
  };
}
for (const size of [2, 5, 10, 25]) {
  layouts[`A: group commit of ${size} (+ previous outcomes)`] = {
    layout: grouped(size),
    commits: `1/${size}`,
  };
}
/** Server G (bench/servers/g-minimal-group-commit.ts): B's INSERT, `size` per transaction. */
for (const size of [5, 25]) {
  layouts[`G: B's INSERT, group commit of ${size}`] = {
    commits: `1/${size}`,
    layout: (s, batch) => {
      for (let i = 0; i < batch.length; i += size) {
        s.db.exec('BEGIN');
        for (const n of batch.slice(i, i + size)) {
          s.baseline.run(s.factory.eventId(n), s.factory.body(n), Date.now());
        }
        s.db.exec('COMMIT');
      }
    },
  };
}

/** WAL header and frame header sizes (https://sqlite.org/fileformat.html#the_write_ahead_log). */
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/**
 * The frames of the `-wal` file, counted by the table or index their page belongs to (the
 * `dbstat` virtual table maps page numbers to b-tree names). A page written by several COMMITs
 * counts once per COMMIT, as it is written once per COMMIT.
 */
function framesByBtree(db: Database.Database, wal: Buffer): Map<string, number> {
  const pageSize = wal.readUInt32BE(8);
  const owner = new Map<number, string>();
  for (const row of db.prepare('SELECT name, pageno FROM dbstat').all() as {
    name: string;
    pageno: number;
  }[]) {
    owner.set(row.pageno, row.name);
  }
  const counts = new Map<string, number>();
  for (
    let at = WAL_HEADER;
    at + FRAME_HEADER + pageSize <= wal.length;
    at += FRAME_HEADER + pageSize
  ) {
    const name = owner.get(wal.readUInt32BE(at)) ?? '(freelist)';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Layouts whose WAL pages are broken down by table and index, with their column headers. */
const BROKEN_DOWN: Record<string, string> = {
  'A: group commit of 25 (+ previous outcomes)': 'A, 25 per COMMIT',
  "G: B's INSERT, group commit of 25": 'G, 25 per COMMIT',
};
const byBtree = new Map<string, Map<string, number>>();

const rows: string[][] = [];
try {
  for (const [name, { layout, commits }] of Object.entries(layouts)) {
    const file = join(dir, 'cost.sqlite3');
    rmSync(file, { force: true });
    await preload(file, 'library', 0, 1024);
    const db = new Database(file);
    applyPragmas(db, synchronous);
    db.pragma(`temp_store = ${tempStore}`);
    db.pragma('foreign_keys = ON');
    db.exec(BASELINE_SCHEMA);
    const statements = prepare(db);
    const batch = Array.from({ length: events }, (_, n) => n);
    layout(statements, batch.slice(0, 100)); // warm-up
    const started = performance.now();
    layout(
      statements,
      batch.map((n) => n + 100),
    );
    const us = ((performance.now() - started) * 1000) / events;
    // Pages written per webhook: checkpoints off, so that the WAL keeps every frame.
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('wal_autocheckpoint = 0');
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    layout(
      statements,
      Array.from({ length: FRAME_SAMPLE }, (_, n) => n + 100 + events),
    );
    const wal = readFileSync(`${file}-wal`);
    const frames = (wal.length - WAL_HEADER) / (pageSize + FRAME_HEADER) / FRAME_SAMPLE;
    if (name in BROKEN_DOWN) byBtree.set(name, framesByBtree(db, wal));
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    rows.push([name, commits, frames.toFixed(1), us.toFixed(0), (1e6 / us).toFixed(0)]);
    console.error(`${name}: ${us.toFixed(0)} µs, ${frames.toFixed(1)} pages per webhook`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `\nsynchronous=${synchronous.toUpperCase()}, temp_store=${tempStore}, ${events} webhooks of 1 KB per layout, one connection, no HTTP\n`,
);
console.log(
  table(['layout', 'commits/webhook', 'WAL pages/webhook', 'µs/webhook', 'webhooks/s'], rows),
);
const btrees = [...new Set([...byBtree.values()].flatMap((counts) => [...counts.keys()]))];
const perWebhook = (counts: Map<string, number> | undefined, name: string) =>
  ((counts?.get(name) ?? 0) / FRAME_SAMPLE).toFixed(2);
console.log('\nWAL pages per webhook, by the table or index they belong to\n');
console.log(
  table(
    ['table or index', ...Object.values(BROKEN_DOWN)],
    btrees
      .map((name) => [
        name,
        ...Object.keys(BROKEN_DOWN).map((layout) => perWebhook(byBtree.get(layout), name)),
      ])
      .sort((a, b) => Number(b[1]) - Number(a[1])),
  ),
);
