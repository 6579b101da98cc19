/**
 * A native CPU profile of a server's main thread, from Linux `perf`, sorted into categories in
 * µs of CPU per request (`npm run bench -- --suite native`).
 *
 * `--cpu-prof` (the profile suite) samples the JavaScript thread whether it computes or waits: a
 * COMMIT's fsync shows up as time spent in the statement, and SQLite's own work has no frames.
 * `perf record` samples CPU time only, in every frame: SQLite, libuv, OpenSSL, V8 and the
 * kernel. The server runs with `--perf-prof`, so that V8 writes a jitdump that `perf inject
 * --jit` turns into names for the JavaScript frames (the plainer `--perf-basic-prof` map goes
 * stale when V8 reuses the addresses of collected code, and then names frames wrongly).
 *
 * perf's samples give the proportions. On this VM they add up to 5 to 9 % less CPU time than
 * the process used (samples go missing), so the µs are scaled so that all of the process's
 * samples add up to its CPU time as the harness measured it (`scale` in the summary).
 *
 * Needs `perf` (Debian: `apt-get install linux-perf`) and the right to profile the process
 * (root, or `kernel.perf_event_paranoid` ≤ 1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { median } from './report.js';

/** Samples per second that `perf record` takes. */
export const PERF_FREQUENCY = 499;

/**
 * The categories, in the order they are tried: a sample counts in the first whose pattern
 * matches any of its frames (the kernel's included). Then come {@link LEAF_CATEGORIES}, and
 * then the owner of the innermost JavaScript frame (see {@link categorise}).
 */
const FRAME_CATEGORIES: readonly { name: string; pattern: RegExp }[] = [
  {
    name: 'SQLite: COMMIT (WAL writes, fsync, checkpoints)',
    // With frame-pointer call graphs some of SQLite's frames are inlined or lost: the WAL
    // writer's and the sync's own names catch most of those samples.
    pattern:
      /sqlite3BtreeCommitPhase|sqlite3PagerCommitPhaseOne|vdbeCommit|sqlite3WalCheckpoint|sqlite3WalFrames|walWriteOneFrame|walWriteToLog|unixSync|full_fsync|fdatasync/,
  },
  {
    name: 'SQLite: statements',
    pattern: /^(sqlite3_step|sqlite3_reset|sqlite3_prepare|sqlite3_finalize|sqlite3VdbeExec)/,
  },
  { name: 'better-sqlite3 (binding values, building rows)', pattern: /Statement::JS_|Binder::/ },
  { name: 'HMAC (OpenSSL)', pattern: /node::crypto::|sha256_block|^HMAC_|^EVP_/ },
  { name: 'JSON.parse', pattern: /JsonParser|Builtin_JsonParse/ },
  { name: 'JSON.stringify', pattern: /JsonStringif/ },
  {
    name: 'garbage collection',
    pattern: /v8::internal::Heap::|Scavenger|MarkCompact|ConcurrentMarking|GCTracer/,
  },
  {
    name: 'compiling JavaScript',
    pattern:
      /v8::internal::Compiler::|compiler::Pipeline|Builtins_CompileLazy|BaselineBatchCompiler|baseline::BaselineCompiler|maglev::MaglevCompiler/,
  },
  // What is left in the kernel: sockets, epoll, timers, scheduling (a COMMIT's I/O is above).
  { name: 'kernel (other)', pattern: / \(\[kernel\.kallsyms\]\)$/ },
];

/**
 * Categories of the innermost frame alone: the HTTP parser calls the whole request handler
 * from its callbacks, so only the time in llhttp itself counts as parsing.
 */
const LEAF_CATEGORIES: readonly { name: string; pattern: RegExp }[] = [
  { name: 'HTTP parser (llhttp)', pattern: /^llhttp__/ },
];

/** Where the innermost JavaScript frame of the rest comes from. */
const JS_OWNERS: readonly { name: string; pattern: RegExp }[] = [
  {
    name: 'JavaScript: koa-payments',
    // The build the bench compiles (dist mode), or the sources (`--library src`).
    pattern: new RegExp(
      `node_modules/\\.cache/koa-payments-bench-|${new URL('../src/', import.meta.url).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    ),
  },
  { name: 'JavaScript: the bench server', pattern: /\/bench\// },
  { name: 'JavaScript: packages (Koa, raw-body, Express, Knex, ...)', pattern: /node_modules\// },
  { name: 'JavaScript: Node (http, net, streams, promises)', pattern: /node:/ },
];

const OTHER = 'other (V8 runtime, libuv, libc)';

/** One category's share of the main thread's CPU. */
export interface NativeCategory {
  name: string;
  samples: number;
  /** µs of CPU per request. */
  usPerRequest: number;
  /** Share of the main thread's samples. */
  share: number;
}

/** A server's native profile, summarised. */
export interface NativeSummary {
  /** Samples of the main thread, and of every thread. */
  samples: { main: number; all: number };
  requests: number;
  /** The factor applied to the samples' time (see the module comment). */
  scale: number;
  /** µs of main-thread CPU per request. */
  usPerRequest: number;
  categories: NativeCategory[];
  /** The innermost frames that took the most main-thread CPU. */
  top: { frame: string; usPerRequest: number }[];
  /** The koa-payments category, by the file of the innermost koa-payments frame. */
  library: { file: string; usPerRequest: number }[];
}

/**
 * A frame as `perf script` prints it, without its address and offset: `symbol (object)`, where
 * the object is a library, `[kernel.kallsyms]`, or a jitted-*.so for a JavaScript frame.
 */
function parseFrame(line: string): string {
  return line
    .trim()
    .replace(/^[0-9a-f]+ /, '')
    .replace(/\+0x[0-9a-f]+ \(/, ' (');
}

/**
 * The innermost JavaScript frame's symbol (function and source location), without its object:
 * that is a jitted-*.so in a scratch directory whose name would match the library's pattern.
 */
function innermostJs(frames: readonly string[]): string | undefined {
  return frames.find((frame) => /^JS:/.test(frame))?.replace(/ \([^()]*\)$/, '');
}

/** A frame for display: the symbol alone, with the long paths shortened. */
function displayFrame(frame: string): string {
  const object = / \(([^()]*)\)$/.exec(frame);
  const symbol = object === null ? frame : frame.slice(0, object.index);
  const kernel = object?.[1] === '[kernel.kallsyms]' ? ' [kernel]' : '';
  return `${symbol}${kernel}`
    .replace(/file:\/\/\/\S*\/node_modules\/\.cache\/koa-payments-bench-[^/]+\//, 'koa-payments/')
    .replace(/(file:\/\/)?\/\S*\/node_modules\//, '');
}

/**
 * The category of one sample, given its frames from the innermost out: the first frame
 * category that any frame matches, else a leaf category of the innermost frame, else the owner
 * of the innermost JavaScript frame.
 */
function categorise(frames: readonly string[]): string {
  for (const { name, pattern } of FRAME_CATEGORIES) {
    if (frames.some((frame) => pattern.test(frame))) return name;
  }
  const leaf = frames[0] ?? '';
  for (const { name, pattern } of LEAF_CATEGORIES) if (pattern.test(leaf)) return name;
  const js = innermostJs(frames);
  if (js !== undefined) {
    for (const { name, pattern } of JS_OWNERS) if (pattern.test(js)) return name;
  }
  return OTHER;
}

/**
 * Reads `perf script` output for the samples of process `pid`, and sorts its main thread's (the
 * thread whose id is the process id) into categories, per request served.
 */
export async function summariseScript(
  file: string,
  pid: number,
  requests: number,
  cpuUsPerRequest: number,
  top = 15,
): Promise<NativeSummary> {
  const counts = new Map<string, number>();
  const innermost = new Map<string, number>();
  const library = new Map<string, number>();
  const libraryOwner = JS_OWNERS[0] as (typeof JS_OWNERS)[number];
  let main = 0;
  let all = 0;
  let header: string | undefined;
  let frames: string[] = [];
  const flush = (): void => {
    if (header === undefined) return;
    all += 1;
    // `comm  tid  time:  period  event:` — the second field is the thread id.
    const tid = Number(header.trim().split(/\s+/)[1]);
    if (tid === pid && frames.length > 0) {
      main += 1;
      const category = categorise(frames);
      counts.set(category, (counts.get(category) ?? 0) + 1);
      const leaf = frames[0] as string;
      innermost.set(leaf, (innermost.get(leaf) ?? 0) + 1);
      if (category === libraryOwner.name) {
        const own = innermostJs(frames) ?? '';
        const file = /(?:koa-payments-bench-[^/]+|\/src)\/([^:]+):/.exec(own)?.[1] ?? '?';
        library.set(file, (library.get(file) ?? 0) + 1);
      }
    }
    header = undefined;
    frames = [];
  };
  const lines = createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim() === '') flush();
    else if (/^\s/.test(line)) frames.push(parseFrame(line));
    else {
      flush();
      header = line;
    }
  }
  flush();
  const sampled = (all * 1e6) / PERF_FREQUENCY / Math.max(1, requests);
  const scale = sampled > 0 && cpuUsPerRequest > 0 ? cpuUsPerRequest / sampled : 1;
  const us = (scale * 1e6) / PERF_FREQUENCY / Math.max(1, requests);
  const names = [
    ...FRAME_CATEGORIES.map((c) => c.name),
    ...LEAF_CATEGORIES.map((c) => c.name),
    ...JS_OWNERS.map((o) => o.name),
    OTHER,
  ];
  return {
    samples: { main, all },
    requests,
    scale,
    usPerRequest: main * us,
    categories: names.map((name) => {
      const samples = counts.get(name) ?? 0;
      return { name, samples, usPerRequest: samples * us, share: main === 0 ? 0 : samples / main };
    }),
    top: [...innermost]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, samples]) => ({ frame: displayFrame(frame), usPerRequest: samples * us })),
    library: [...library]
      .sort((a, b) => b[1] - a[1])
      .map(([file, samples]) => ({ file, usPerRequest: samples * us })),
  };
}

/** Median by key of lists of `{ key, usPerRequest }` (a key missing from a list counts 0). */
function medianBy<K extends string>(
  lists: readonly (readonly ({ usPerRequest: number } & Record<K, string>)[])[],
  key: K,
): { name: string; usPerRequest: number }[] {
  const names = [...new Set(lists.flatMap((list) => list.map((item) => item[key])))];
  return names
    .map((name) => ({
      name,
      usPerRequest: median(
        lists.map((list) => list.find((item) => item[key] === name)?.usPerRequest ?? 0),
      ),
    }))
    .sort((a, b) => b.usPerRequest - a.usPerRequest);
}

/** The medians of one server's rounds: its total, each category, and each library file. */
export interface NativeMedians {
  rounds: number;
  usPerRequest: number;
  categories: { name: string; usPerRequest: number }[];
  library: { file: string; usPerRequest: number }[];
  /** The innermost frames that took the most main-thread CPU. */
  top: { frame: string; usPerRequest: number }[];
}

/** Medians over the rounds of one server. */
export function nativeMedians(summaries: readonly NativeSummary[]): NativeMedians {
  const order = summaries[0]?.categories.map((c) => c.name) ?? [];
  const categories = medianBy(
    summaries.map((s) => s.categories),
    'name',
  ).sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {
    rounds: summaries.length,
    usPerRequest: median(summaries.map((s) => s.usPerRequest)),
    categories,
    library: medianBy(
      summaries.map((s) => s.library),
      'file',
    ).map(({ name, usPerRequest }) => ({ file: name, usPerRequest })),
    top: medianBy(
      summaries.map((s) => s.top),
      'frame',
    )
      .slice(0, 10)
      .map(({ name, usPerRequest }) => ({ frame: name, usPerRequest })),
  };
}

/** The servers' medians side by side, one row per category, for the console. */
export function formatNativeTable(medians: Readonly<Record<string, NativeMedians>>): string {
  const servers = Object.keys(medians);
  const first = medians[servers[0] ?? ''];
  if (first === undefined) return '';
  const width = Math.max(...first.categories.map((c) => c.name.length), 'total'.length);
  const cell = (value: number | undefined): string =>
    (value === undefined ? '' : value.toFixed(1)).padStart(8);
  const row = (name: string, values: (number | undefined)[]): string =>
    `${name.padEnd(width)}${values.map(cell).join('')}`;
  const lines = [
    `µs of main-thread CPU per request, medians of ${first.rounds} round(s)`,
    `${''.padEnd(width)}${servers.map((s) => s.padStart(8)).join('')}`,
    ...first.categories.map((c) =>
      row(
        c.name,
        servers.map((s) => medians[s]?.categories.find((x) => x.name === c.name)?.usPerRequest),
      ),
    ),
    row(
      'total',
      servers.map((s) => medians[s]?.usPerRequest),
    ),
  ];
  for (const server of servers) {
    const files = medians[server]?.library ?? [];
    if (files.length > 0) lines.push('', `${server}, koa-payments by file:`);
    for (const f of files) lines.push(`${f.usPerRequest.toFixed(1).padStart(8)}  ${f.file}`);
    lines.push('', `${server}, innermost frames:`);
    for (const t of medians[server]?.top ?? []) {
      lines.push(`${t.usPerRequest.toFixed(1).padStart(8)}  ${t.frame.slice(0, 100)}`);
    }
  }
  return lines.join('\n');
}

/** Throws a clear error unless `perf` can be run. */
export function requirePerf(): void {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'bench: the native suite needs Linux perf (Debian: apt-get install linux-perf)',
    );
  }
}

/**
 * Starts `perf record` of a process's every thread for `seconds`. `done` resolves once perf has
 * written its file; `stop()` ends it early (when the load failed).
 */
export function recordPerf(
  pid: number,
  seconds: number,
  output: string,
): { done: Promise<void>; stop(): void } {
  let stop = (): void => {};
  const done = new Promise<void>((resolve, reject) => {
    // -k mono: the clock of V8's jitdump, which `perf inject --jit` needs.
    const perf = spawn(
      'perf',
      [
        'record',
        // No build-id cache in ~/.debug.
        '-N',
        '-k',
        'mono',
        '-F',
        String(PERF_FREQUENCY),
        '-g',
        '-p',
        String(pid),
        '-o',
        output,
        '--',
        'sleep',
        String(seconds),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    perf.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    perf.on('error', reject);
    perf.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`perf record exited with ${code}:\n${stderr}`)),
    );
    stop = () => {
      if (perf.exitCode === null) perf.kill('SIGINT');
    };
  });
  return { done, stop: () => stop() };
}

/**
 * Names the JavaScript frames (`perf inject --jit`, with the jitdump V8 wrote in `dir`) and
 * writes `perf script` output to `script`. The build-id cache goes to `dir` too, not ~/.debug.
 */
export function scriptPerf(data: string, dir: string, script: string): void {
  const injected = `${data}.jit`;
  const run = (args: string[], stdout: 'ignore' | number = 'ignore'): void => {
    const result = spawnSync('perf', ['--buildid-dir', dir, ...args], {
      stdio: ['ignore', stdout, 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`perf ${args[0]} failed:\n${result.stderr}`);
  };
  run(['inject', '--jit', '-i', data, '-o', injected]);
  const fd = openSync(script, 'w');
  try {
    run(['script', '-i', injected], fd);
  } finally {
    closeSync(fd);
  }
}
