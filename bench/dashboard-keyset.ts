/**
 * The dashboard's lists on a store of a million events: how long a page takes, first and deep,
 * with each filter, on SQLite (the embedded default). Not a timed test: run it by hand.
 *
 *   npx tsx bench/dashboard-keyset.ts [--events 1000000] [--file <path>] [--keep]
 *
 * It seeds a SQLite file (an existing --file is reused as it is; without --file, a file in the
 * temporary directory that is deleted afterwards unless --keep) with `--events` events over 30
 * days (4 variants, 40 types, 96 % processed, 2 % ignored, 1.5 % failed, 0.5 % pending), a
 * succeeded delivery per processed event, a failed or dead one per failed event, and a
 * request-log line per event plus 1 % refused requests. Then it times each list through the
 * dashboard's own queries (src/dashboard/queries.ts): 2 warm-up runs, then the median and the
 * slowest of 15. The output is also saved to bench/results/<date>-dashboard-keyset.txt.
 * docs/dashboard.md quotes it.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { DashboardQueries, type EventListFilter, PROBE_CAP } from '../src/dashboard/queries.js';
import { migrationSource } from '../src/store/migrations.js';
import { type Cursor, RequestQueries } from '../src/store/queries.js';
import { rowSlack } from '../src/store/row-slack.js';
import { tableNames } from '../src/store/table-names.js';
import { median, table } from './report.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    file: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.events);
if (!Number.isInteger(COUNT) || COUNT < 1000) throw new Error('--events: a whole number ≥ 1000');
const FILE = values.file ?? join(tmpdir(), `koa-payments-dashboard-${COUNT}.sqlite3`);
const PREFIX = 'payments_';
const t = tableNames(PREFIX);
const VARIANTS = ['stripe', 'paystack', 'flutterwave', 'paddle'];
const TYPES = Array.from({ length: 40 }, (_, i) => `type.t${String(i).padStart(2, '0')}`);
const DAY = 86_400_000;
const PAGE = 50;
const RUNS = 15;

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

async function seed(): Promise<void> {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: FILE },
    useNullAsDefault: true,
  });
  await knex.migrate.latest({ migrationSource: migrationSource(PREFIX), tableName: t.migrations });
  await knex.destroy();
  const db = new Database(FILE);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const event = db.prepare(
    `INSERT INTO ${t.events} (variant, provider, event_id, type, livemode, status, received_at, created_at, processed_at, row_slack, payload)
     VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`,
  );
  const delivery = db.prepare(
    `INSERT INTO ${t.deliveries} (event, receiver, status, attempts, last_error, next_attempt_at, completed_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const request = db.prepare(
    `INSERT INTO ${t.requests} (variant, received_at, remote_ip, headers, body, body_size, valid, status_code, error, event, duration_ms)
     VALUES (?, ?, '3.18.12.63', ?, ?, ?, ?, ?, ?, ?, 4)`,
  );
  const headers = JSON.stringify({
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': `t=1700000000,v1=${'0'.repeat(64)}`,
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  });
  const next = random(7);
  const end = Date.now() - 60_000;
  const start = end - 30 * DAY;
  const padding = 'x'.repeat(600);
  const batch = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n++) {
      const at = Math.floor(start + ((end - start) * n) / COUNT);
      const r = next();
      const variant =
        r < 0.7 ? 'stripe' : r < 0.95 ? 'paystack' : r < 0.9999 ? 'flutterwave' : 'paddle';
      const s = next();
      const status =
        s < 0.96 ? 'processed' : s < 0.98 ? 'ignored' : s < 0.995 ? 'failed' : 'pending';
      const type = TYPES[Math.min(39, Math.floor(-Math.log(1 - next()) * 5))] as string;
      const eventId = `evt_${n.toString(36).padStart(12, '0')}`;
      const payload = `{"id":"${eventId}","type":"${type}","data":{"object":{"padding":"${padding}"}}}`;
      const processed = status === 'processed' || status === 'ignored' ? at + 40 : null;
      const { lastInsertRowid: id } = event.run(
        variant,
        variant,
        eventId,
        type,
        status,
        at,
        at - 1000,
        processed,
        rowSlack(status, processed),
        payload,
      );
      if (status === 'processed') {
        delivery.run(id, 'audit', 'succeeded', 1, null, null, at + 40, at);
      } else if (status === 'failed') {
        const dead = next() < 0.25;
        delivery.run(
          id,
          next() < 0.8 ? 'ledger.book' : 'emails.receipt',
          dead ? 'dead' : 'failed',
          dead ? 10 : 3,
          'Error: ledger unavailable: connection refused\n    at book (ledger.ts:12:9)',
          dead ? null : end + 3_600_000,
          dead ? at + 86_400 : null,
          at,
        );
      }
      request.run(variant, at, headers, null, payload.length, 1, 200, null, id);
      if (next() < 0.01) {
        request.run(
          variant,
          at + 1,
          headers,
          '{"id":"evt_forged"}',
          19,
          0,
          400,
          'invalid_signature:no_matching_signature',
          null,
        );
      }
    }
  });
  for (let from = 0; from < COUNT; from += 50_000) {
    batch(from, Math.min(COUNT, from + 50_000));
    process.stderr.write(`\rseeding ${Math.min(COUNT, from + 50_000)} / ${COUNT}`);
  }
  process.stderr.write('\n');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

interface Case {
  list: string;
  filter: string;
  run(cursor: Cursor): Promise<unknown>;
  index?: () => Promise<string>;
}

async function time(run: () => Promise<unknown>): Promise<{ median: number; max: number }> {
  for (let i = 0; i < 2; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return { median: median(ms), max: Math.max(...ms) };
}

async function main(): Promise<void> {
  if (!existsSync(FILE)) {
    console.error(`seeding ${FILE} with ${COUNT} events (reused by later runs; --keep keeps it)…`);
    await seed();
  }
  const knex: Knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: FILE },
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  const requests = new RequestQueries(knex, t, 64 * 1024);
  const queries = new DashboardQueries({ knex, dialect: 'sqlite' }, t, requests, VARIANTS);
  const [{ n: events }] = (await knex(t.events).count({ n: '*' })) as [{ n: number }];
  const [{ n: lines }] = (await knex(t.requests).count({ n: '*' })) as [{ n: number }];
  const [{ n: deliveries }] = (await knex(t.deliveries).count({ n: '*' })) as [{ n: number }];
  const middle = Math.floor(Number(events) / 2);
  const middleLine = Math.floor(Number(lines) / 2);
  const middleDelivery = Math.floor(Number(deliveries) / 2);
  const ev = (filter: EventListFilter): Pick<Case, 'run' | 'index'> => ({
    run: (cursor) => queries.events(filter, cursor, PAGE),
    index: () => queries.eventsPlan(filter),
  });
  const cases: Case[] = [
    { list: 'events', filter: 'none', ...ev({}) },
    { list: 'events', filter: 'status=failed (1.5 %)', ...ev({ status: 'failed' }) },
    { list: 'events', filter: 'status=processed (96 %)', ...ev({ status: 'processed' }) },
    { list: 'events', filter: 'type=t00 (18 %)', ...ev({ type: 'type.t00' }) },
    { list: 'events', filter: 'type=t30 (0.01 %)', ...ev({ type: 'type.t30' }) },
    { list: 'events', filter: 'variant=stripe (70 %)', ...ev({ variant: 'stripe' }) },
    { list: 'events', filter: 'variant=paddle (0.01 %)', ...ev({ variant: 'paddle' }) },
    {
      list: 'events',
      filter: 'status=failed, type=t00',
      ...ev({ status: 'failed', type: 'type.t00' }),
    },
    {
      list: 'events',
      filter: 'status=processed, type=t30',
      ...ev({ status: 'processed', type: 'type.t30' }),
    },
    {
      list: 'events',
      filter: 'status=pending, type=t30 (none)',
      ...ev({ status: 'pending', type: 'type.t30' }),
    },
    {
      list: 'events',
      filter: 'status=failed, variant=paystack',
      ...ev({ status: 'failed', variant: 'paystack' }),
    },
    {
      list: 'events',
      filter: 'search by provider event id',
      run: () => queries.search(`evt_${(middle * 7).toString(36).padStart(12, '0')}`),
    },
    { list: 'requests', filter: 'none', run: (c) => queries.requests(c, PAGE) },
    {
      list: 'requests',
      filter: 'refused (1 %)',
      run: (c) => queries.requests({ ...c, valid: false }, PAGE),
    },
    {
      list: 'requests',
      filter: 'variant=paystack',
      run: (c) => queries.requests({ ...c, variant: 'paystack' }, PAGE),
    },
    {
      list: 'requests',
      filter: 'status=503 (none: the worst case)',
      run: (c) => queries.requests({ ...c, statusCode: 503 }, PAGE),
    },
    {
      list: 'requests',
      filter: 'status=503 (none), last 24 h',
      run: (c) =>
        queries.requests({ ...c, statusCode: 503, since: new Date(Date.now() - DAY) }, PAGE),
    },
    {
      list: 'requests',
      filter: 'refused, last 24 h',
      run: (c) => queries.requests({ ...c, valid: false, since: new Date(Date.now() - DAY) }, PAGE),
    },
    {
      list: 'deliveries',
      filter: 'dead',
      run: (c) => queries.deliveries({ status: 'dead' }, c, PAGE),
    },
    {
      list: 'deliveries',
      filter: 'failed',
      run: (c) => queries.deliveries({ status: 'failed' }, c, PAGE),
    },
    {
      list: 'deliveries',
      filter: 'dead of emails.receipt',
      run: (c) => queries.deliveries({ status: 'dead', receiver: 'emails.receipt' }, c, PAGE),
    },
    { list: 'deliveries', filter: 'by receiver (summary)', run: () => queries.troubles() },
    { list: 'overview', filter: 'last 24 h', run: () => queries.overview() },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const index = c.index === undefined ? '' : await c.index();
    const first = await time(() => c.run({}));
    const pageless =
      c.list === 'overview' || c.filter.includes('search') || c.filter.includes('summary');
    const deep = pageless
      ? undefined
      : await time(() =>
          c.run({
            before:
              c.list === 'requests' ? middleLine : c.list === 'events' ? middle : middleDelivery,
          }),
        );
    rows.push([
      c.list,
      c.filter,
      index,
      first.median.toFixed(2),
      first.max.toFixed(2),
      deep === undefined ? '-' : deep.median.toFixed(2),
      deep === undefined ? '-' : deep.max.toFixed(2),
    ]);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const offset = await time(() =>
    knex(t.events).select('id').orderBy('id', 'desc').limit(PAGE).offset(middle),
  );
  const report = [
    `${new Date().toISOString()}: ${events} events, ${deliveries} deliveries, ${lines} request-log lines in ${FILE}`,
    `pages of ${PAGE}; ms, median and slowest of ${RUNS} runs; "deep" starts at the middle of the table (a cursor, never an offset)`,
    `events index: the one src/dashboard/queries.ts chose (PROBE_CAP ${PROBE_CAP})`,
    '',
    table(['list', 'filter', 'index', 'first', 'slowest', 'deep', 'slowest'], rows),
    '',
    `for comparison, OFFSET ${middle} LIMIT ${PAGE} on the primary key: ${offset.median.toFixed(1)} ms`,
  ].join('\n');
  console.log(report);
  const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..+$/, '');
  writeFileSync(join(results, `${stamp}-dashboard-keyset.txt`), `${report}\n`);
  await knex.destroy();
  if (values.keep !== true && values.file === undefined) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${FILE}${suffix}`, { force: true });
  }
}

await main();
