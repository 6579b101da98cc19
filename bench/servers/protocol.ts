/**
 * The IPC protocol between the benchmark and a server child. The child starts its server on an
 * ephemeral loopback port and says `ready`; the parent asks for `stats` (memory, CPU, stored
 * rows) between load phases and says `stop` at the end, so that the child exits normally (and
 * `--cpu-prof` writes its profile).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Synchronous } from '../database.js';

/** What the parent passes to a child (JSON in the `BENCH_SERVER` environment variable). */
export interface ServerConfig {
  /** SQLite file (unused when `postgres` is set). */
  file: string;
  /** The Postgres suite: the connection string of the run's fresh database, instead of `file`. */
  postgres?: string;
  /** The Postgres suite: each server's pool size (unset: the driver's default). */
  pool?: number;
  secret: string;
  /** Largest accepted body, in bytes. */
  bodyLimit: number;
  synchronous: Synchronous;
  /** Count the SQL statements the server runs (A only: Knex `query` events). */
  traceSql: boolean;
  /** A's `groupCommit` setting: the library's default, or forced on or off. */
  groupCommit: GroupCommitMode;
  /** The module A imports koa-payments from: the compiled dist/index.js, or src/index.ts. */
  library: string;
}

/** `default` leaves A's `groupCommit` unset (the library's default: on for SQLite). */
export type GroupCommitMode = 'default' | 'on' | 'off';

/** A child's answer to `stats`. */
export interface ServerStats {
  memory: NodeJS.MemoryUsage;
  /** `process.cpuUsage()`, microseconds. */
  cpu: NodeJS.CpuUsage;
  /** `performance.eventLoopUtilization()`: milliseconds the event loop was idle and active. */
  loop: { idle: number; active: number };
  /** Rows in the server's events table. */
  rows: number;
  /** With `traceSql`: statements run so far, by SQL text (numbers replaced by `N`). */
  statements?: Record<string, number>;
  /** With `traceSql`: microseconds spent in those statements so far, by SQL text. */
  statementMicros?: Record<string, number>;
  /** A with group commit: batches committed so far, and the events they held. */
  commits?: { batches: number; events: number };
  /** A: receiver runs so far. */
  runs?: number;
}

/** Messages from the parent. */
export type ParentMessage = { type: 'stats'; id: number; gc: boolean } | { type: 'stop' };

/** Messages from the child. */
export type ChildMessage =
  | { type: 'ready'; port: number; path: string }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'error'; message: string };

/** What a server module gives the protocol. */
export interface BenchServer {
  /** The HTTP handler. */
  handler: RequestListener;
  /** The webhook path. */
  path: string;
  /**
   * Rows stored so far. On SQLite the largest row id, O(log n) even with 1M rows stored, and
   * equal to the count because rows are never deleted and conflicts consume no id; on Postgres,
   * where a conflict consumes a sequence value, `count(*)` (a run stores tens of thousands).
   */
  count(): Promise<number>;
  /** Statements run so far, when traced. */
  statements?(): Record<string, number>;
  /** Microseconds spent in them so far, when traced. */
  statementMicros?(): Record<string, number>;
  /** Group-commit batches so far. */
  commits?(): { batches: number; events: number };
  /** Receiver runs so far. */
  runs?(): number;
  /** Closes the database. */
  close(): Promise<void>;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Runs a server module as a benchmark child: reads its config, serves, answers the parent. */
export function serveChild(start: (config: ServerConfig) => Promise<BenchServer>): void {
  const raw = process.env.BENCH_SERVER;
  if (raw === undefined || process.send === undefined) {
    console.error('bench server: run me through `npm run bench` (needs BENCH_SERVER and IPC)');
    process.exit(2);
  }
  const config = JSON.parse(raw) as ServerConfig;
  let server: Server | undefined;
  let bench: BenchServer | undefined;

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stats') {
      void (async () => {
        if (message.gc && typeof globalThis.gc === 'function') {
          globalThis.gc();
          globalThis.gc();
        }
        const rows = bench === undefined ? 0 : await bench.count();
        send({
          type: 'stats',
          id: message.id,
          stats: {
            memory: process.memoryUsage(),
            cpu: process.cpuUsage(),
            loop: (({ idle, active }) => ({ idle, active }))(performance.eventLoopUtilization()),
            rows,
            ...(bench?.statements === undefined ? {} : { statements: bench.statements() }),
            ...(bench?.statementMicros === undefined
              ? {}
              : { statementMicros: bench.statementMicros() }),
            ...(bench?.commits === undefined ? {} : { commits: bench.commits() }),
            ...(bench?.runs === undefined ? {} : { runs: bench.runs() }),
          },
        });
      })();
    } else if (message.type === 'stop') {
      server?.closeAllConnections();
      server?.close();
      void (bench?.close() ?? Promise.resolve()).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));

  start(config).then(
    (started) => {
      bench = started;
      server = createServer(started.handler);
      server.keepAliveTimeout = 60_000;
      server.listen(0, '127.0.0.1', () => {
        const address = server?.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        send({ type: 'ready', port, path: started.path });
      });
    },
    (error: unknown) => {
      send({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? '') : String(error),
      });
      process.exit(1);
    },
  );
}
