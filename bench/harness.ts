/**
 * The parent side: starts a server child, loads it with autocannon, and measures it (throughput,
 * latency, the child's CPU and memory, the rows it stored, and the CPU other processes used
 * meanwhile).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import type { Synchronous } from './database.js';
import { BENCH_SECRET, RequestSource } from './payload.js';
import type {
  ChildMessage,
  GroupCommitMode,
  ParentMessage,
  ServerConfig,
  ServerStats,
} from './servers/protocol.js';

/** The three servers, and G: B with group commit, the ceiling of group commit here. */
export type ServerName = 'A' | 'B' | 'C' | 'G';

/** What each server is, for tables and the results file. */
export const SERVERS: Record<ServerName, { module: string; label: string }> = {
  A: { module: 'a-koa-payments.ts', label: 'koa-payments (full pipeline)' },
  B: { module: 'b-minimal.ts', label: 'Koa + raw-body + HMAC + prepared INSERT' },
  C: { module: 'c-express-knex.ts', label: 'Express + constructEvent + Knex insert' },
  G: { module: 'g-minimal-group-commit.ts', label: 'B with its INSERTs group-committed' },
};

/** A running server child. */
export class ServerChild {
  readonly name: ServerName;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (stats: ServerStats) => void>();
  #nextId = 0;
  port = 0;
  path = '/';

  private constructor(name: ServerName, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'stats') {
        this.#pending.get(message.id)?.(message.stats);
        this.#pending.delete(message.id);
      }
    });
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Forks the server and waits until it listens. `execArgv` adds Node flags (`--cpu-prof`);
   * `cwd` is where the child runs (where V8 writes files such as a jitdump).
   */
  static async start(
    name: ServerName,
    config: ServerConfig,
    execArgv: readonly string[] = [],
    cwd?: string,
  ): Promise<ServerChild> {
    const modulePath = fileURLToPath(new URL(`./servers/${SERVERS[name].module}`, import.meta.url));
    const child = fork(modulePath, [], {
      // tsx by its resolved URL, so that the child can run in another directory.
      execArgv: ['--import', import.meta.resolve('tsx'), '--expose-gc', ...execArgv],
      ...(cwd === undefined ? {} : { cwd }),
      env: {
        ...process.env,
        BENCH_SERVER: JSON.stringify(config),
        NODE_ENV: 'production',
        // The project's tsconfig, wherever the child runs (tsx looks for it from the cwd).
        TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerChild(name, child);
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`server ${name} exited with ${code} before listening`));
      child.once('exit', onExit);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          child.off('exit', onExit);
          server.port = message.port;
          server.path = message.path;
          resolve();
        } else if (message.type === 'error') {
          reject(new Error(`server ${name} failed to start:\n${message.message}`));
        }
      });
    });
    return server;
  }

  /** Memory, CPU and stored rows, after a full GC when `gc`. */
  stats(gc = false): Promise<ServerStats> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ type: 'stats', id, gc } satisfies ParentMessage);
    });
  }

  /** Asks the child to close and exit; resolves when it has. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) {
        resolve();
        return;
      }
      this.#child.once('exit', () => resolve());
      this.#child.send({ type: 'stop' } satisfies ParentMessage);
    });
  }
}

/** CPU time of the whole machine, in milliseconds. */
function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Cores other processes keep busy, sampled over `ms` while this benchmark is idle. */
async function othersNow(ms: number): Promise<number> {
  const machine = machineCpu();
  const self = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const own = process.cpuUsage(self);
  const busy = machineCpu().busy - machine.busy - (own.user + own.system) / 1000;
  return Math.max(0, busy) / (performance.now() - started);
}

/**
 * Waits until other processes use fewer than `cores` cores (sampled each second), or `maxWaitS`
 * has passed; returns the last sample. Other engineers run test suites on this machine.
 */
export async function waitForQuiet(
  cores: number,
  maxWaitS: number,
  log: (line: string) => void,
): Promise<number> {
  const deadline = performance.now() + maxWaitS * 1000;
  let others = await othersNow(1000);
  let said = false;
  while (others >= cores && performance.now() < deadline) {
    if (!said) log(`  waiting for the machine to quieten (others use ${others.toFixed(2)} cores)…`);
    said = true;
    others = await othersNow(1000);
  }
  return others;
}

/** One load phase against one server. */
export interface Measurement {
  /** Completed 2xx responses per second of the run. */
  rps: number;
  /** Latency in milliseconds. */
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Rows the server stored during the phase (should equal `ok`, plus at most `connections`). */
  rowsInserted: number;
  /** Server CPU per stored request, microseconds (user + system, and system alone). */
  serverCpuUsPerRequest: number;
  serverSystemUsPerRequest: number;
  /** The server's CPU use, in cores (1 = one core kept busy). */
  serverCores: number;
  /**
   * Share of the run the server's event loop was busy (0 to 1). Near 1, the event loop is the
   * bottleneck: a synchronous COMMIT's fsync counts as busy, though it uses no CPU.
   */
  loopBusy?: number;
  /** Cores other processes kept busy on average (neither the server nor this process). */
  foreignCores: number;
  loadavgBefore: number[];
  /** With `--quiet`: cores other processes used in the second before the run. */
  othersBeforeCores?: number;
  /** Requests the load generator signed during the run because its pool ran out. */
  signedLive: number;
  /** With `--trace-sql`: statements per stored request, by SQL text (A only). */
  statementsPerRequest?: Record<string, number>;
  /** With `--trace-sql`: microseconds per stored request spent in each statement (A only). */
  statementUsPerRequest?: Record<string, number>;
  /**
   * With group commit (A, G): transactions committed, and units of work per commit on average
   * (`eventsPerCommit`, named before A's outcome records shared the batches).
   */
  groupCommits?: { batches: number; eventsPerCommit: number };
}

/** Load options of one phase: a duration in seconds or an amount of requests. */
export interface LoadOptions {
  connections: number;
  duration?: number;
  amount?: number;
  payloadBytes: number;
  /** How many requests to sign before the phase starts. */
  poolSize: number;
}

/** What {@link loadShared} measured: the combined figures, and each server's. */
export interface SharedMeasurement {
  /** Combined: 2xx answers of all servers per second, latency of the slower server. */
  combined: Measurement;
  perServer: Measurement[];
}

/**
 * Loads several servers at once for `options.duration` seconds, each through its own autocannon
 * with `connections / servers` connections, all drawing from one request source (so a duplicate
 * may reach another server than its first delivery). Their rows are the same table: each
 * server's `rowsInserted` is the table's growth.
 */
export async function loadShared(
  servers: readonly ServerChild[],
  source: RequestSource,
  options: Omit<LoadOptions, 'payloadBytes' | 'poolSize'>,
): Promise<SharedMeasurement> {
  const each = Math.max(1, Math.floor(options.connections / servers.length));
  const loadavgBefore = loadavg();
  const before = await Promise.all(servers.map((s) => s.stats()));
  const started = performance.now();
  const results = await Promise.all(
    servers.map((server) =>
      autocannon({
        url: `http://127.0.0.1:${server.port}`,
        connections: each,
        duration: options.duration ?? 10,
        timeout: 30,
        requests: [source.autocannonRequest(server.path)],
      }),
    ),
  );
  const wallMs = performance.now() - started;
  const after = await Promise.all(servers.map((s) => s.stats()));
  const perServer = results.map((result, i): Measurement => {
    const b = before[i] as ServerStats;
    const a = after[i] as ServerStats;
    const cpuUs = a.cpu.user - b.cpu.user + (a.cpu.system - b.cpu.system);
    const rows = a.rows - b.rows;
    return {
      rps: result['2xx'] / (wallMs / 1000),
      latency: latencyOf(result),
      requests: result.requests.sent,
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: wallMs / 1000,
      rowsInserted: rows,
      serverCpuUsPerRequest: result['2xx'] > 0 ? cpuUs / result['2xx'] : 0,
      serverSystemUsPerRequest:
        result['2xx'] > 0 ? (a.cpu.system - b.cpu.system) / result['2xx'] : 0,
      serverCores: cpuUs / 1000 / wallMs,
      foreignCores: 0,
      loadavgBefore,
      signedLive: 0,
    };
  });
  const sum = (f: (m: Measurement) => number): number => perServer.reduce((t, m) => t + f(m), 0);
  const worst = (f: (m: Measurement) => number): number => Math.max(...perServer.map(f));
  const ok = sum((m) => m.ok);
  const cores = sum((m) => m.serverCores);
  const combined: Measurement = {
    rps: ok / (wallMs / 1000),
    latency: {
      mean: worst((m) => m.latency.mean),
      p50: worst((m) => m.latency.p50),
      p90: worst((m) => m.latency.p90),
      p99: worst((m) => m.latency.p99),
      max: worst((m) => m.latency.max),
    },
    requests: sum((m) => m.requests),
    ok,
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
    timeouts: sum((m) => m.timeouts),
    seconds: wallMs / 1000,
    rowsInserted: perServer[0]?.rowsInserted ?? 0,
    serverCpuUsPerRequest: ok > 0 ? (cores * wallMs * 1000) / ok : 0,
    serverSystemUsPerRequest: ok > 0 ? sum((m) => m.serverSystemUsPerRequest * m.ok) / ok : 0,
    serverCores: cores,
    foreignCores: 0,
    loadavgBefore,
    signedLive: source.signedLive,
  };
  return { combined, perServer };
}

/** The latency figures a measurement keeps, in milliseconds. */
function latencyOf(result: Result): Measurement['latency'] {
  const { mean, p50, p90, p99, max } = result.latency;
  return { mean, p50, p90, p99, max };
}

/** Runs one autocannon phase against `server` and measures it. */
export async function load(server: ServerChild, options: LoadOptions): Promise<Measurement> {
  const source = new RequestSource(options.payloadBytes, options.poolSize);
  const loadavgBefore = loadavg();
  const before = await server.stats();
  const machineBefore = machineCpu();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const result: Result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: options.connections,
    ...(options.amount === undefined
      ? { duration: options.duration ?? 10 }
      : { amount: options.amount }),
    timeout: 30,
    requests: [source.autocannonRequest(server.path)],
  });
  const wallMs = performance.now() - started;
  const self = process.cpuUsage(selfBefore);
  const machine = machineCpu();
  const after = await server.stats();
  const serverCpuUs = after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
  const rowsInserted = after.rows - before.rows;
  const ownMs = serverCpuUs / 1000 + (self.user + self.system) / 1000;
  // os.cpus() ticks are coarse (10 ms): a small negative remainder is rounding, not load.
  const foreignMs = Math.max(0, machine.busy - machineBefore.busy - ownMs);
  const ok = result['2xx'];
  const statements: Record<string, number> = {};
  for (const [sql, n] of Object.entries(after.statements ?? {})) {
    const delta = n - (before.statements?.[sql] ?? 0);
    // Our own row-count query between phases rounds to 0 per request and is left out.
    const perRequest = rowsInserted > 0 ? Math.round((delta / rowsInserted) * 100) / 100 : 0;
    if (delta > 0 && rowsInserted > 0) statements[sql] = perRequest;
  }
  const statementUs: Record<string, number> = {};
  for (const sql of Object.keys(statements)) {
    const delta = (after.statementMicros?.[sql] ?? 0) - (before.statementMicros?.[sql] ?? 0);
    statementUs[sql] = Math.round((delta / rowsInserted) * 10) / 10;
  }
  return {
    rps: ok / (wallMs / 1000),
    latency: latencyOf(result),
    requests: result.requests.sent,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: wallMs / 1000,
    rowsInserted,
    serverCpuUsPerRequest: rowsInserted > 0 ? serverCpuUs / rowsInserted : 0,
    serverSystemUsPerRequest:
      rowsInserted > 0 ? (after.cpu.system - before.cpu.system) / rowsInserted : 0,
    serverCores: serverCpuUs / 1000 / wallMs,
    loopBusy:
      (after.loop.active - before.loop.active) /
      Math.max(1, after.loop.active + after.loop.idle - before.loop.active - before.loop.idle),
    foreignCores: foreignMs / wallMs,
    loadavgBefore,
    signedLive: source.signedLive,
    ...(after.statements === undefined ? {} : { statementsPerRequest: statements }),
    ...(after.statementMicros === undefined ? {} : { statementUsPerRequest: statementUs }),
    ...(after.commits === undefined || before.commits === undefined
      ? {}
      : {
          groupCommits: {
            batches: after.commits.batches - before.commits.batches,
            eventsPerCommit:
              (after.commits.events - before.commits.events) /
              Math.max(1, after.commits.batches - before.commits.batches),
          },
        }),
  };
}

/** The configuration every server child gets. */
export function serverConfig(
  file: string,
  bodyLimit: number,
  synchronous: Synchronous,
  traceSql: boolean,
  groupCommit: GroupCommitMode,
  library: string,
): ServerConfig {
  return { file, secret: BENCH_SECRET, bodyLimit, synchronous, traceSql, groupCommit, library };
}

/** Problems with a measurement that make it untrustworthy (errors, non-2xx, missing rows). */
export function problems(m: Measurement, connections: number): string[] {
  const out: string[] = [];
  if (m.non2xx > 0) out.push(`${m.non2xx} non-2xx answers`);
  if (m.errors > 0) out.push(`${m.errors} errors`);
  if (m.timeouts > 0) out.push(`${m.timeouts} timeouts`);
  // Requests in flight when autocannon stops may be stored without their answer being counted.
  if (m.rowsInserted < m.ok || m.rowsInserted > m.ok + connections) {
    out.push(`${m.rowsInserted} rows stored for ${m.ok} 2xx answers (duplicates or losses?)`);
  }
  return out;
}
