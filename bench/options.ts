/**
 * Command-line flags of `npm run bench`, each also settable through a `BENCH_<NAME>` environment
 * variable (the flag wins). `npm run bench -- --help` lists them.
 */
import { parseArgs } from 'node:util';
import type { Synchronous } from './database.js';
import type { ServerName } from './harness.js';
import type { GroupCommitMode } from './servers/protocol.js';

/** What to run. */
export type Suite = 'compare' | 'scale' | 'memory' | 'profile' | 'native' | 'postgres' | 'all';

/** The resolved options. */
export interface BenchOptions {
  suite: Suite;
  servers: ServerName[];
  /** Whether servers were named (memory and profile run only A unless they were). */
  serversGiven: boolean;
  /** Seconds of each measured run. */
  duration: number;
  /** Seconds of load before each measured run (discarded). */
  warmup: number;
  connections: number;
  rounds: number;
  /** Body size of the compare suite, bytes. */
  payload: number;
  /** Events stored before each compare run. */
  preload: number;
  /** Stored-event counts of the scale suite. */
  preloads: number[];
  /** Body sizes of the scale suite, bytes. */
  payloads: number[];
  /** Requests of the memory suite, and how often it samples memory. */
  requests: number;
  checkpoint: number;
  synchronous: Synchronous;
  /** Before each run, wait until other processes use fewer cores than this (undefined: never). */
  quiet: number | undefined;
  /** Longest wait for quiet, seconds. */
  quietWait: number;
  /** A's group commit: the library's default (on), or on or off. */
  groupCommit: GroupCommitMode;
  /** Postgres suite: each server's connection pool size (undefined: the driver's default). */
  pool: number | undefined;
  /** Count A's SQL statements per request (slows A a little; a diagnostic). */
  traceSql: boolean;
  /**
   * What A runs: `dist`, the library compiled by tsc as it ships (built into the scratch
   * directory at the start of the run), or `src`, the TypeScript sources through tsx.
   */
  library: 'dist' | 'src';
  /** Functions listed by the profile summary. */
  top: number;
  /** Where results and profiles go. */
  out: string;
}

const FLAGS = {
  suite: {
    type: 'string',
    default: 'compare',
    help: 'compare | scale | memory | profile | native (Linux perf) | postgres | all',
  },
  servers: {
    type: 'string',
    default: '',
    help: 'servers to run, e.g. A,B,C or A,B,G (memory/profile/native: A)',
  },
  duration: { type: 'string', default: '10', help: 'seconds per measured run' },
  warmup: { type: 'string', default: '2', help: 'seconds of discarded load before each run' },
  connections: { type: 'string', default: '10', help: 'concurrent connections' },
  rounds: { type: 'string', default: '2', help: 'rounds of A B C (medians are reported)' },
  payload: { type: 'string', default: '1kb', help: 'body size of the compare suite' },
  preload: { type: 'string', default: '0', help: 'events stored before each compare run' },
  preloads: { type: 'string', default: '0,100k,1m', help: 'stored events of the scale suite' },
  payloads: { type: 'string', default: '1kb,64kb,1mb', help: 'body sizes of the scale suite' },
  requests: { type: 'string', default: '100k', help: 'requests of the memory suite' },
  checkpoint: { type: 'string', default: '10k', help: 'memory suite: sample memory every N' },
  synchronous: { type: 'string', default: 'full', help: 'full | normal (all three servers)' },
  'group-commit': {
    type: 'string',
    default: 'default',
    help: "A's groupCommit: default | on | off (postgres: A also runs the other way)",
  },
  pool: {
    type: 'string',
    default: '',
    help: 'postgres: connection pool size of every server (default: Knex 2-10, pg 10)',
  },
  library: {
    type: 'string',
    default: 'dist',
    help: 'what A runs: dist (src compiled by tsc at the start, as shipped) | src (through tsx)',
  },
  quiet: { type: 'string', default: '', help: 'wait until others use fewer cores than this' },
  'quiet-wait': { type: 'string', default: '120', help: 'longest wait for --quiet, seconds' },
  'trace-sql': {
    type: 'boolean',
    default: false,
    help: "count and time A's SQL statements per request",
  },
  top: { type: 'string', default: '25', help: 'functions listed by the profile summary' },
  out: { type: 'string', default: 'bench/results', help: 'results directory' },
  help: { type: 'boolean', default: false, help: 'this text' },
} as const;

/** `10k` → 10 000, `1m` → 1 000 000 (counts); `64kb` → 65 536, `1mb` → 1 048 576 (bytes). */
export function parseQuantity(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|m|kb|mb|b)?$/i.exec(text.trim());
  if (match === null) throw new Error(`bench: ${what} must be a number like 10, 10k or 64kb`);
  const value = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const factor =
    unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : unit === 'kb' ? 1024 : unit === 'mb' ? 1024 ** 2 : 1;
  return Math.round(value * factor);
}

function list(text: string, what: string): number[] {
  return text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parseQuantity(s, what));
}

/** The usage text. */
export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, flag]) => {
    const env = `BENCH_${name.toUpperCase().replace('-', '_')}`;
    const def = flag.type === 'string' && flag.default !== '' ? ` (default ${flag.default})` : '';
    return `  --${name.padEnd(12)} ${flag.help}${def}  [${env}]`;
  });
  const examples = [
    'npm run bench                                   # compare: A B C on SQLite, 1 KB bodies',
    'npm run bench -- --suite scale                  # 0 / 100k / 1M stored events; 1 KB to 1 MB',
    'npm run bench -- --suite postgres               # A B C on an embedded Postgres (synchronous_commit=on),',
    '                                                # A with group commit both ways, then 2 × A sharing it',
    'npm run bench -- --suite postgres --pool 20 --group-commit on',
    'npx tsx bench/chart.ts                          # draw docs/images/performance.svg from the results',
  ];
  return `npm run bench -- [flags]\n${lines.join('\n')}\n\nexamples:\n${examples.map((e) => `  ${e}`).join('\n')}`;
}

/** Parses `argv`, falling back to `BENCH_*` environment variables, then to the defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type }]),
    ),
    strict: true,
  });
  if (values.help === true) return 'help';
  const get = (name: Exclude<keyof typeof FLAGS, 'help' | 'trace-sql'>): string => {
    const value = values[name];
    if (typeof value === 'string') return value;
    return env[`BENCH_${name.toUpperCase().replace('-', '_')}`] ?? FLAGS[name].default;
  };
  const suite = get('suite');
  if (!['compare', 'scale', 'memory', 'profile', 'native', 'postgres', 'all'].includes(suite)) {
    throw new Error(`bench: unknown suite '${suite}'`);
  }
  const synchronous = get('synchronous').toLowerCase();
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new Error(`bench: --synchronous must be full or normal`);
  }
  const library = get('library');
  if (library !== 'dist' && library !== 'src') {
    throw new Error('bench: --library must be dist or src');
  }
  const groupCommit = get('group-commit');
  if (groupCommit !== 'default' && groupCommit !== 'on' && groupCommit !== 'off') {
    throw new Error('bench: --group-commit must be default, on or off');
  }
  const serverText = get('servers');
  const servers = (serverText === '' ? 'A,B,C' : serverText)
    .split(',')
    .map((s) => s.trim().toUpperCase());
  for (const name of servers) {
    if (name !== 'A' && name !== 'B' && name !== 'C' && name !== 'G')
      throw new Error(`bench: unknown server ${name}`);
    if (name === 'G' && suite === 'postgres') {
      throw new Error('bench: G (a SQLite baseline) does not run in the postgres suite');
    }
  }
  const positive = (name: Exclude<keyof typeof FLAGS, 'help' | 'trace-sql'>): number => {
    const value = parseQuantity(get(name), name);
    if (!(value > 0)) throw new Error(`bench: --${name} must be positive`);
    return value;
  };
  return {
    suite: suite as Suite,
    servers: servers as ServerName[],
    serversGiven: serverText !== '',
    duration: positive('duration'),
    warmup: parseQuantity(get('warmup'), 'warmup'),
    connections: positive('connections'),
    rounds: positive('rounds'),
    payload: positive('payload'),
    preload: parseQuantity(get('preload'), 'preload'),
    preloads: list(get('preloads'), 'preloads'),
    payloads: list(get('payloads'), 'payloads'),
    requests: positive('requests'),
    checkpoint: positive('checkpoint'),
    synchronous,
    groupCommit: groupCommit as GroupCommitMode,
    pool: get('pool') === '' ? undefined : positive('pool'),
    quiet: get('quiet') === '' ? undefined : Number(get('quiet')),
    quietWait: parseQuantity(get('quiet-wait'), 'quiet-wait'),
    traceSql: values['trace-sql'] === true || env.BENCH_TRACE_SQL === '1',
    library,
    top: positive('top'),
    out: get('out'),
  };
}
