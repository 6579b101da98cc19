/**
 * The suites: compare (A B C alternated), scale (stored events, body sizes), memory (RSS across
 * 100k requests), profile (`--cpu-prof` of a loaded server, summarised) and native (Linux perf
 * of a loaded server, by category).
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeDatabase, type SchemaKind, type Templates } from './database.js';
import {
  load,
  type Measurement,
  problems,
  SERVERS,
  ServerChild,
  type ServerName,
  serverConfig,
  waitForQuiet,
} from './harness.js';
import {
  formatNativeTable,
  type NativeMedians,
  type NativeSummary,
  nativeMedians,
  recordPerf,
  requirePerf,
  scriptPerf,
  summariseScript,
} from './native-profile.js';
import type { BenchOptions } from './options.js';
import { formatSummary, type ProfileSummary, summariseFile } from './profile-summary.js';
import {
  medians,
  mediansTable,
  type Run,
  ratios,
  roundRatios,
  roundRatiosText,
  runsTable,
} from './report.js';
import type { ServerConfig } from './servers/protocol.js';

/** What a suite needs from the run. */
export interface SuiteContext {
  options: BenchOptions;
  templates: Templates;
  /** A scratch directory for the run's SQLite files. */
  scratch: string;
  /** Timestamp that names this run's files. */
  stamp: string;
  /** The module server A imports koa-payments from. */
  library: string;
  log: (line: string) => void;
}

/** Pooled bodies are capped at this many bytes; a run that outlasts its pool signs on the fly. */
export const POOL_BYTES = 512 * 1024 * 1024;

/** The largest body any server accepts: 2 MiB, or twice the largest payload. */
export function bodyLimit(options: BenchOptions): number {
  return Math.max(2 * 1024 * 1024, 2 * Math.max(options.payload, ...options.payloads));
}

/** The configuration a server child of this run gets, on its database `file`. */
export function configOf(ctx: SuiteContext, file: string): ServerConfig {
  const { options } = ctx;
  return serverConfig(
    file,
    bodyLimit(options),
    options.synchronous,
    options.traceSql,
    options.groupCommit,
    ctx.library,
  );
}

function schemaOf(server: ServerName): SchemaKind {
  return server === 'A' ? 'library' : 'baseline';
}

/** Requests to sign up front: the expected count at the last measured rate, with a margin. */
export function poolSize(expectedRps: number, seconds: number, payloadBytes: number): number {
  const expected = Math.ceil(expectedRps * seconds * 1.3) + 200;
  return Math.max(1, Math.min(expected, Math.floor(POOL_BYTES / payloadBytes)));
}

/** One contender of a suite: a server, and for a second configuration of it, what differs. */
export interface Entry {
  server: ServerName;
  /** Names a second configuration of the same server (e.g. A with group commit off). */
  variant?: string;
  override?: Partial<ServerConfig>;
}

/** Where a run's server keeps its rows: made before the child starts, removed after it stops. */
export type Storage = (
  ctx: SuiteContext,
  entry: Entry,
  preload: number,
  payloadBytes: number,
) => Promise<{ config: ServerConfig; remove(): Promise<void> }>;

/** The default storage: a fresh copy of the preloaded SQLite template. */
const sqliteStorage: Storage = async (ctx, entry, preload, payloadBytes) => {
  const file = join(ctx.scratch, `run-${entry.server}.sqlite3`);
  await ctx.templates.prepare(file, schemaOf(entry.server), preload, payloadBytes, ctx.log);
  return {
    config: { ...configOf(ctx, file), ...entry.override },
    remove: async () => removeDatabase(file),
  };
};

/** `A` or `A (group-commit-on)`, for the console. */
function entryName(entry: Entry): string {
  return entry.variant === undefined ? entry.server : `${entry.server} (${entry.variant})`;
}

/**
 * Runs each entry (A, B, C in that order by default) `rounds` times for one case, each in a fresh
 * child on fresh storage holding `preload` events, after a warm-up; returns the measured runs.
 */
export async function alternate(
  ctx: SuiteContext,
  suite: string,
  preload: number,
  payloadBytes: number,
  entries: readonly Entry[] = ctx.options.servers.map((server) => ({ server })),
  storage: Storage = sqliteStorage,
): Promise<Run[]> {
  const { options, log } = ctx;
  const runs: Run[] = [];
  const lastRps = new Map<string, number>();
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const entry of entries) {
      const { server } = entry;
      const name = entryName(entry);
      const { config, remove } = await storage(ctx, entry, preload, payloadBytes);
      const child = await ServerChild.start(server, config);
      try {
        const rate = lastRps.get(name) ?? 4000;
        const othersBefore =
          options.quiet === undefined
            ? undefined
            : await waitForQuiet(options.quiet, options.quietWait, log);
        if (options.warmup > 0) {
          await load(child, {
            connections: options.connections,
            duration: options.warmup,
            payloadBytes,
            poolSize: poolSize(rate, options.warmup, payloadBytes),
          });
        }
        const measurement = await load(child, {
          connections: options.connections,
          duration: options.duration,
          payloadBytes,
          poolSize: poolSize(rate, options.duration, payloadBytes),
        });
        lastRps.set(name, measurement.rps);
        if (othersBefore !== undefined) measurement.othersBeforeCores = othersBefore;
        const run: Run = {
          suite,
          server,
          ...(entry.variant === undefined ? {} : { variant: entry.variant }),
          round,
          preload,
          payloadBytes,
          measurement,
          problems: problems(measurement, options.connections),
        };
        runs.push(run);
        if (measurement.statementsPerRequest !== undefined) {
          log(`  ${name} statements per request (count, µs):`);
          let total = 0;
          for (const [sql, n] of Object.entries(measurement.statementsPerRequest)) {
            const us = measurement.statementUsPerRequest?.[sql] ?? 0;
            total += us;
            const text = sql.length > 120 ? `${sql.slice(0, 120)}…` : sql;
            log(`    ${n.toFixed(2)}  ${us.toFixed(1).padStart(6)} µs  ${text}`);
          }
          log(`    total ${total.toFixed(1)} µs per request in the database`);
        }
        const batches = measurement.groupCommits;
        log(
          `  ${name} #${round}: ${measurement.rps.toFixed(0)} req/s, p50 ${measurement.latency.p50.toFixed(1)} ms, ` +
            `p99 ${measurement.latency.p99.toFixed(1)} ms` +
            (batches === undefined || batches.batches === 0
              ? ''
              : `, ${batches.eventsPerCommit.toFixed(1)} units of work per commit`) +
            (run.problems.length > 0 ? `  !! ${run.problems.join('; ')}` : ''),
        );
      } finally {
        await child.stop();
        await remove();
      }
    }
  }
  return runs;
}

/** A B C alternated at one payload size and preload. */
export async function compareSuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  log(
    `compare: ${options.servers.join(' ')} × ${options.rounds} rounds, ${options.duration} s each, ` +
      `${options.connections} connections, ${options.payload} B bodies, ${options.preload} stored events, synchronous=${options.synchronous.toUpperCase()}`,
  );
  const runs = await alternate(ctx, 'compare', options.preload, options.payload);
  const meds = medians(runs);
  log(`\n${runsTable(runs)}\n\nmedians\n${mediansTable(meds)}\n${roundRatiosText(runs)}\n`);
  return {
    runs,
    summary: { medians: meds, ratios: ratios(meds), roundRatios: roundRatios(runs) },
  };
}

/** Loads a profiled server for `seconds` with the run's connections and payload. */
function loadFor(child: ServerChild, options: BenchOptions, seconds: number): Promise<Measurement> {
  return load(child, {
    connections: options.connections,
    duration: seconds,
    payloadBytes: options.payload,
    poolSize: poolSize(4000, seconds, options.payload),
  });
}

/** The one measured run of a profiling suite, as the results file keeps it. */
function profiledRun(
  suite: 'profile' | 'native',
  server: ServerName,
  options: BenchOptions,
  m: Measurement,
  round = 1,
): Run {
  return {
    suite,
    server,
    round,
    preload: options.preload,
    payloadBytes: options.payload,
    measurement: m,
    problems: problems(m, options.connections),
  };
}

/** Loads each server under `--cpu-prof`, then summarises its profile. */
export async function profileSuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  const runs: Run[] = [];
  const summary: Record<string, { profile: string; summary: ProfileSummary }> = {};
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  for (const server of options.servers) {
    const name = `${ctx.stamp}-${server}.cpuprofile`;
    const file = join(ctx.scratch, `profile-${server}.sqlite3`);
    // Every thread writes a profile (tsx's module loader runs in a worker): keep the main one.
    const threads = join(ctx.scratch, `profiles-${server}`);
    mkdirSync(threads, { recursive: true });
    await ctx.templates.prepare(file, schemaOf(server), options.preload, options.payload, log);
    log(
      `profile: ${server} (${SERVERS[server].label}) for ${options.duration} s, ${options.preload} stored events → ${name}`,
    );
    const child = await ServerChild.start(server, configOf(ctx, file), [
      '--cpu-prof',
      '--cpu-prof-dir',
      threads,
    ]);
    const pid = child.pid;
    try {
      if (options.quiet !== undefined) await waitForQuiet(options.quiet, options.quietWait, log);
      const m = await loadFor(child, options, options.duration);
      runs.push(profiledRun('profile', server, options, m));
      log(`  ${m.rps.toFixed(0)} req/s under the profiler`);
    } finally {
      await child.stop();
      removeDatabase(file);
    }
    // Default names are CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
    const main = readdirSync(threads).find((f) => f.includes(`.${pid}.0.`));
    if (main === undefined) throw new Error(`bench: no main-thread profile in ${threads}`);
    renameSync(join(threads, main), join(dir, name));
    rmSync(threads, { recursive: true, force: true });
    const profile = join(dir, name);
    const result = summariseFile(profile, options.top);
    summary[server] = { profile: join(options.out, name), summary: result };
    log(`\n${formatSummary(result)}\n`);
  }
  return { runs, summary };
}

/**
 * Loads each server under Linux `perf` (after a warm-up), then sorts its main thread's CPU time
 * into categories per request (native-profile.ts). Rounds alternate the servers (A B G A B G
 * ...), as the compare suite does, so that the VM's changes of speed fall on all of them; the
 * summary gives each round and the medians.
 */
export async function nativeSuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  requirePerf();
  const runs: Run[] = [];
  const rounds: { round: number; server: ServerName; summary: NativeSummary }[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const server of options.servers) {
      const { run, summary } = await nativeRun(ctx, server, round);
      runs.push(run);
      rounds.push({ round, server, summary });
    }
  }
  const medians: Record<string, NativeMedians> = {};
  for (const server of options.servers) {
    medians[server] = nativeMedians(
      rounds.filter((r) => r.server === server).map((r) => r.summary),
    );
  }
  log(`\n${formatNativeTable(medians)}\n`);
  return { runs, summary: { medians, rounds } };
}

/** One server, one round, under perf. */
async function nativeRun(
  ctx: SuiteContext,
  server: ServerName,
  round: number,
): Promise<{ run: Run; summary: NativeSummary }> {
  const { options, log } = ctx;
  const file = join(ctx.scratch, `native-${server}.sqlite3`);
  // The child runs here: V8 writes its jitdump (and perf its named frames) in this directory.
  const dir = join(ctx.scratch, `native-${server}`);
  mkdirSync(dir, { recursive: true });
  await ctx.templates.prepare(file, schemaOf(server), options.preload, options.payload, log);
  log(
    `native: ${server} #${round} (${SERVERS[server].label}) under perf for ${options.duration} s, ${options.preload} stored events`,
  );
  let child: ServerChild | undefined;
  try {
    child = await ServerChild.start(
      server,
      configOf(ctx, file),
      ['--perf-prof', '--interpreted-frames-native-stack'],
      dir,
    );
    const pid = child.pid;
    if (pid === undefined) throw new Error(`bench: server ${server} has no process id`);
    if (options.quiet !== undefined) await waitForQuiet(options.quiet, options.quietWait, log);
    if (options.warmup > 0) await loadFor(child, options, options.warmup);
    const data = join(dir, 'perf.data');
    const perf = recordPerf(pid, options.duration, data);
    let m: Measurement;
    try {
      [m] = await Promise.all([loadFor(child, options, options.duration), perf.done]);
    } catch (error) {
      perf.stop();
      await perf.done.catch(() => {});
      throw error;
    }
    const run = profiledRun('native', server, options, m, round);
    const script = join(dir, 'perf.txt');
    scriptPerf(data, dir, script);
    // Per stored row, as the harness counts the server's CPU time per request.
    const requests = m.rowsInserted > 0 ? m.rowsInserted : m.requests;
    const summary = await summariseScript(script, pid, requests, m.serverCpuUsPerRequest);
    log(
      `  ${m.rps.toFixed(0)} req/s under perf, ${summary.usPerRequest.toFixed(0)} µs of main-thread CPU per request`,
    );
    return { run, summary };
  } finally {
    await child?.stop();
    removeDatabase(file);
    rmSync(dir, { recursive: true, force: true });
  }
}
