/**
 * The library's storage path alone, in two builds side by side: the working tree against a git
 * ref. What a burst asks of the store for each webhook, without HTTP, the HMAC or the receiver:
 * `EventStore.store` (the event, its delivery, its request-log line) through the group
 * committer, `BATCH` webhooks at a time, then `EventStore.settle` of their outcomes, as the
 * inline dispatch records them.
 *
 *   npx tsx bench/storage-path.ts [--against HEAD] [--chunks 30] [--trace]
 *
 * The output is also saved to bench/results/<date>-storage-path.txt, with the commits compared.
 *
 * Why it exists: the servers' throughput on this VM moves by 10 to 30 % between runs a minute
 * apart, so a change worth a few µs of a webhook's 300 to 400 cannot be seen there (the
 * `RETURNING` change of docs/performance.md looked like nothing in the server). Here the two
 * builds run in one process, in chunks of `PER_CHUNK` webhooks that alternate (A B B A A B ...),
 * so that drift hits both alike, and the ratio of each pair of chunks is kept: its median is
 * the figure.
 *
 * The databases are in /dev/shm when it exists (tmpfs: an fsync costs nothing), so that the
 * figure is the CPU time of the storage work (statements, the COMMIT's WAL writes, the
 * library's JavaScript around them), not this disk's fsync. Both builds use the library's own
 * pragmas (synchronous=FULL and the rest). `--trace` also times every SQLite statement, by SQL
 * text, per webhook (the timing adds its own cost to both builds).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compileLibrary } from './build.js';
import { traceStatements } from './database.js';
import { EventFactory } from './payload.js';
import { median, table } from './report.js';

const { values } = parseArgs({
  options: {
    against: { type: 'string', default: 'HEAD' },
    chunks: { type: 'string', default: '30' },
    trace: { type: 'boolean', default: false },
  },
});
const CHUNKS = Number(values.chunks);
if (!Number.isInteger(CHUNKS) || CHUNKS < 2)
  throw new Error('storage-path: --chunks must be 2 or more');
/** Webhooks stored together (one group-commit batch), then settled together. */
const BATCH = 25;
/** Webhooks per timed chunk. */
const PER_CHUNK = 400;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
/** The project's root (this file is in bench/). */
const here = fileURLToPath(new URL('..', import.meta.url));
// Inside the project, so that the compiled builds resolve their dependencies.
const build = join(here, 'node_modules/.cache', `koa-payments-storage-path-${process.pid}`);
const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'koa-payments-'));
const cleanUp = (): void => {
  rmSync(build, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
};
// Interrupted: the builds and the databases go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
/** The output, printed and saved to bench/results/<date>-storage-path.txt. */
const lines: string[] = [];
const out = (line: string): void => {
  console.log(line);
  lines.push(line);
};
const git = (args: string): string => execSync(`git ${args}`, { cwd: here }).toString().trim();

/** The library under `root` (a checkout), compiled into `name` under the build directory. */
function compiled(root: string, name: string): string {
  return dirname(compileLibrary(join(root, 'tsconfig.build.json'), join(build, name), 'pipe'));
}

/** The sources of `ref`, extracted under the build directory. */
function checkout(ref: string): string {
  const root = join(build, 'ref');
  mkdirSync(root, { recursive: true });
  execSync(
    `git archive ${JSON.stringify(ref)} src tsconfig.json tsconfig.build.json | tar -x -C ${JSON.stringify(root)}`,
    {
      cwd: here,
    },
  );
  return root;
}

const factory = new EventFactory(1024);
const headers = {
  host: '127.0.0.1:3000',
  'content-type': 'application/json; charset=utf-8',
  'stripe-signature': `t=1700000000,v1=${'0'.repeat(64)}`,
  'content-length': '1024',
  connection: 'keep-alive',
};
const noop = {
  name: 'noop',
  pattern: 'charge.succeeded',
  variants: undefined,
  atomic: false,
  fn: async () => {},
};

/** One build's store, on a database of its own; `chunk()` stores and settles PER_CHUNK webhooks. */
async function storeOf(dist: string, index: number) {
  const load = (path: string) => import(pathToFileURL(join(dist, path)).href);
  const { openDatabase } = await load('store/database.js');
  const { migrateLatest } = await load('store/migrate.js');
  const { tableNames } = await load('store/migrations.js');
  const { EventStore } = await load('store/events.js');
  const { GroupCommitter } = await load('store/group-commit.js');
  const { RequestLog } = await load('store/requests.js');
  const db = openDatabase(join(dataDir, `build-${index}.sqlite3`), quiet);
  const tables = tableNames('payments_');
  await migrateLatest(db, 'payments_', tables);
  const committer = new GroupCommitter(
    db.knex,
    { maxBatch: 100, maxWaitMs: 0 },
    () => {},
    db.direct,
  );
  const store = new EventStore(db, tables, committer);
  const log = new RequestLog(db.knex, tables, 65_536, []);
  let n = 0;
  const one = async (): Promise<void> => {
    // Ids differ between the builds, so each stores new events (never the duplicate path).
    const k = index * 100_000_000 + n++;
    const body = factory.body(k);
    const rawBody = Buffer.from(body);
    const receivedAt = new Date();
    const stored = await store.store(
      {
        variant: 'stripe',
        provider: 'stripe',
        eventId: factory.eventId(k),
        type: 'charge.succeeded',
        livemode: false,
        payloadText: body,
        payload: JSON.parse(body),
        receivedAt,
        createdAt: receivedAt,
      },
      [noop],
      async () => {},
      60_000,
      (event: { id: number }, bodyInEvent: boolean) =>
        log.row({
          variant: 'stripe',
          receivedAt,
          remoteIp: '127.0.0.1',
          headers,
          rawBody,
          valid: true,
          statusCode: 200,
          error: undefined,
          event: event.id,
          bodyInEvent,
        }),
    );
    await store.settle(
      stored.event.id,
      stored.deliveries.map((delivery: unknown) => ({ delivery, record: { status: 'succeeded' } })),
    );
  };
  return {
    async chunk(): Promise<void> {
      for (let done = 0; done < PER_CHUNK; done += BATCH) {
        await Promise.all(Array.from({ length: BATCH }, one));
      }
    },
    close: () => db.knex.destroy() as Promise<void>,
  };
}

try {
  console.error(`compiling the working tree and ${values.against} ...`);
  const dirty = git('status --porcelain -- src') === '' ? '' : ', with uncommitted changes in src/';
  out(
    `working tree: ${git('rev-parse --short HEAD')}${dirty}; ${values.against}: ${git(`rev-parse --short ${JSON.stringify(`${values.against}^{commit}`)}`)}`,
  );
  const builds = [
    { name: 'working tree', dist: compiled(here, 'tree') },
    { name: values.against, dist: compiled(checkout(values.against), 'ref-dist') },
  ];
  const stores = await Promise.all(builds.map((b, i) => storeOf(b.dist, i)));
  // Warm-up: JIT, caches, and a few thousand rows in each database.
  for (const store of stores) for (let i = 0; i < 3; i++) await store.chunk();
  const micros = builds.map(() => new Map<string, number>());
  const times: number[][] = builds.map(() => []);
  let traced: Map<string, number> | undefined;
  if (values.trace) {
    const map = new Map<string, number>();
    traceStatements((sql, us) => map.set(sql, (map.get(sql) ?? 0) + us));
    traced = map;
  }
  for (let c = 0; c < CHUNKS; c++) {
    for (const i of c % 2 === 0 ? [0, 1] : [1, 0]) {
      traced?.clear();
      const started = performance.now();
      await (stores[i] as Awaited<ReturnType<typeof storeOf>>).chunk();
      (times[i] as number[]).push(((performance.now() - started) * 1000) / PER_CHUNK);
      for (const [sql, us] of traced ?? []) {
        const map = micros[i] as Map<string, number>;
        map.set(sql, (map.get(sql) ?? 0) + us);
      }
    }
  }
  for (const store of stores) await store.close();
  const [tree, ref] = times as [number[], number[]];
  const ratios = tree.map((t, k) => t / (ref[k] as number));
  out(
    `\nstorage path: store + settle of one 1 KB webhook, ${BATCH} per batch, ${CHUNKS} chunks of ${PER_CHUNK} per build, databases in ${dataDir.startsWith('/dev/shm') ? '/dev/shm' : tmpdir()}\n`,
  );
  out(
    table(
      ['build', 'µs per webhook (median of chunks)', 'fastest chunk', 'slowest chunk'],
      builds.map((b, i) => {
        const mine = times[i] as number[];
        return [
          b.name,
          median(mine).toFixed(1),
          Math.min(...mine).toFixed(1),
          Math.max(...mine).toFixed(1),
        ];
      }),
    ),
  );
  const sorted = [...ratios].sort((a, b) => a - b);
  out(
    `\nworking tree / ${values.against}, chunk by chunk: median ${median(ratios).toFixed(3)}, middle half ${(sorted[Math.floor(sorted.length / 4)] as number).toFixed(3)} to ${(sorted[Math.floor((3 * sorted.length) / 4)] as number).toFixed(3)}`,
  );
  if (values.trace) {
    const webhooks = CHUNKS * PER_CHUNK;
    const statements = [...new Set(micros.flatMap((m) => [...m.keys()]))];
    out('\nµs per webhook in each statement (timed, so a little slower)\n');
    out(
      table(
        ['statement', ...builds.map((b) => b.name)],
        statements
          .map((sql) => [
            sql.replace(/\s+/g, ' ').slice(0, 90),
            ...micros.map((m) => ((m.get(sql) ?? 0) / webhooks).toFixed(2)),
          ])
          .sort((a, b) => Number(b[1]) - Number(a[1])),
      ),
    );
  }
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const file = join(here, 'bench/results', `${stamp}-storage-path.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  console.log(`\nsaved to ${file}`);
} finally {
  cleanUp();
}
