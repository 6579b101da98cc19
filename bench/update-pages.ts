/**
 * What settling an event writes, by payload size and row layout (docs/performance.md, item 9).
 * The events table's columns and indexes in three layouts: as before `row_slack`, with the slack
 * added after the payload (a database migrated from an earlier development build), and as the
 * library creates it now (the slack, then the payload last). Each batch of 25 events is
 * inserted pending in one COMMIT, then marked processed in the next, as a group-commit batch
 * and its outcomes are; the WAL pages each COMMIT appends are counted (checkpoints off).
 *
 *   npx tsx bench/update-pages.ts [--events 1000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { rowSlack } from '../src/store/row-slack.js';
import { table } from './report.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000' } } });
const EVENTS = Number(values.events);
const BATCH = 25;
const SIZES = [1279, 3000, 8000, 20000, 65536];
const FRAME = 24 + 4096;

const COLUMNS = {
  before:
    'variant, provider, event_id, type, livemode, payload, status, received_at, created_at, processed_at',
  'slack after the payload':
    'variant, provider, event_id, type, livemode, payload, status, received_at, created_at, processed_at, row_slack',
  'slack, payload last (now)':
    'variant, provider, event_id, type, livemode, status, received_at, created_at, processed_at, row_slack, payload',
} as const;
type Layout = keyof typeof COLUMNS;

const TYPES: Record<string, string> = {
  variant: 'varchar(64) not null',
  provider: 'varchar(64) not null',
  event_id: 'varchar(255) not null',
  type: 'varchar(255) not null',
  livemode: 'boolean',
  payload: 'text not null',
  status: "varchar(16) not null default 'pending'",
  received_at: 'datetime not null',
  created_at: 'datetime',
  processed_at: 'datetime',
  row_slack: 'blob',
};

/** WAL pages per event: [INSERT, UPDATE]. */
function measure(dir: string, layout: Layout, payloadBytes: number): [number, number] {
  const file = join(dir, 'pages.sqlite3');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('wal_autocheckpoint = 0');
    const columns = COLUMNS[layout].split(', ');
    const slack = columns.includes('row_slack');
    db.exec(`CREATE TABLE events (id integer not null primary key autoincrement,
      ${columns.map((c) => `${c} ${TYPES[c]}`).join(', ')});
      CREATE UNIQUE INDEX events_variant_event_id ON events (variant, event_id);
      CREATE INDEX events_status_received_at ON events (status, received_at);
      CREATE INDEX events_type ON events (type);`);
    const insert = db.prepare(
      `INSERT INTO events (variant, provider, event_id, type, livemode, payload, status, received_at, created_at, processed_at${slack ? ', row_slack' : ''})
       VALUES ('stripe', 'stripe', ?, 'charge.succeeded', 0, ?, 'pending', ?, ?, NULL${slack ? ', ?' : ''}) RETURNING id`,
    );
    const update = db.prepare(
      `UPDATE events SET status = 'processed', processed_at = ?${slack ? ', row_slack = ?' : ''} WHERE id = ?`,
    );
    const pending = rowSlack('pending', null);
    const processed = rowSlack('processed', Date.now());
    const payload = 'x'.repeat(payloadBytes);
    const walSize = () => statSync(`${file}-wal`).size;
    let inserted = 0;
    let updated = 0;
    for (let batch = 0; batch < EVENTS / BATCH; batch += 1) {
      const start = walSize();
      const ids = db.transaction(() =>
        Array.from({ length: BATCH }, (_, i) => {
          const now = Date.now();
          const id = `evt_${batch}_${i}_${Math.random().toString(36).slice(2)}`;
          const args = slack ? [id, payload, now, now, pending] : [id, payload, now, now];
          return (insert.get(...args) as { id: number }).id;
        }),
      )();
      const mid = walSize();
      db.transaction(() => {
        for (const id of ids)
          update.run(...(slack ? [Date.now(), processed, id] : [Date.now(), id]));
      })();
      inserted += mid - start;
      updated += walSize() - mid;
    }
    return [inserted / FRAME / EVENTS, updated / FRAME / EVENTS];
  } finally {
    db.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'koa-payments-update-pages-'));
const rows: string[][] = [];
try {
  for (const size of SIZES) {
    const row = [`${size} B`];
    for (const layout of Object.keys(COLUMNS) as Layout[]) {
      const [insert, update] = measure(dir, layout, size);
      if (layout === 'before') row.push(insert.toFixed(2));
      row.push(update.toFixed(2));
    }
    rows.push(row);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `\nWAL pages per event, ${EVENTS} events in COMMITs of ${BATCH}: the INSERT, then the UPDATE that settles it\n`,
);
console.log(
  table(
    [
      'payload',
      'INSERT',
      'UPDATE, before',
      'UPDATE, slack after the payload',
      'UPDATE, slack and payload last (now)',
    ],
    rows,
  ),
);
