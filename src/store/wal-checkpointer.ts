/**
 * SQLite: WAL checkpoints on a worker thread, off the event loop.
 *
 * In WAL mode a commit appends pages to the `-wal` file, and a checkpoint copies them back into
 * the database file and syncs it. SQLite runs that checkpoint inside the COMMIT that crosses
 * `wal_autocheckpoint` pages, and better-sqlite3 runs COMMIT on the event loop: every request in
 * flight waits for it. With a large store, each batch of webhooks touches index pages all over the
 * file (an event id is a random key), so a checkpoint copies thousands of distinct pages, and the
 * wait shows in the slowest answers.
 *
 * Once the WAL file has grown past {@link START_BYTES} (a store that never gets busy never starts
 * a thread), a worker opens its own connection to the file and runs PASSIVE checkpoints, which
 * never block a writer nor wait for one, every {@link INTERVAL_MS}. The committing connection
 * keeps a `wal_autocheckpoint` as a backstop ({@link BACKSTOP_PAGES}, and its own again should
 * the worker fail): if the worker falls far behind, SQLite checkpoints inside a COMMIT as
 * before. Nothing is lost either way.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../types.js';

/** WAL file size at which the worker starts. */
const START_BYTES = 4 * 1024 * 1024;
/**
 * Time between the worker's checkpoints. A checkpoint ends with an fsync of the database file,
 * which the disk serves before the next COMMIT's fsync of the WAL: at every 100 ms the slowest
 * answers with a million events stored were still four times the empty store's, at every second
 * under twice. In between, a page changed by many commits is copied once.
 */
const INTERVAL_MS = 1_000;
/**
 * The committing connection's `wal_autocheckpoint` while the worker runs: a second of commits
 * fits below it (about 160 MB of WAL with 4 KB pages), so SQLite checkpoints inside a COMMIT only
 * when the worker falls far behind.
 */
export const BACKSTOP_PAGES = 40_000;
/** Time between the event loop's looks at the WAL file's size and at the connection. */
const WATCH_MS = 1_000;
/**
 * Checkpoints run back to back while commits land during each (a checkpoint that copied every
 * frame lets the next commit start the WAL file over instead of growing it), at most this many.
 */
const ROUNDS = 8;

/** What the watcher needs of a better-sqlite3 connection. */
export interface WatchedConnection {
  readonly name: string;
  readonly memory: boolean;
  readonly open: boolean;
  pragma(source: string): unknown;
}

/** What one of the worker's checkpoints did: SQLite's `wal_checkpoint` counts, in frames. */
export interface CheckpointReport {
  /** Frames in the WAL. */
  log: number;
  /** Frames of it copied into the database file. */
  checkpointed: number;
}

/** Thresholds (the defaults above; tests make them small). */
export interface CheckpointerOptions {
  startBytes?: number;
  intervalMs?: number;
  watchMs?: number;
}

// The worker's source (CommonJS, run with `eval`), so that it loads the same way from the
// TypeScript sources and from the compiled package.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const stop = new Int32Array(workerData.stop);
let db;
try {
  db = new Database(workerData.filename, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  let reported = '';
  while (Atomics.load(stop, 0) === 0) {
    for (let round = 1; round <= workerData.rounds; round += 1) {
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      const counts = result.log + '/' + result.checkpointed;
      if (result.checkpointed > 0 && counts !== reported) {
        reported = counts;
        parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed });
      }
      if (result.busy !== 0 || result.checkpointed >= result.log) break;
    }
    Atomics.wait(stop, 0, 0, workerData.intervalMs);
  }
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  if (db !== undefined) db.close();
}
`;

// Resolved when a worker starts, as Knex loads the driver: only SQLite stores need it.
const requireHere = createRequire(import.meta.url);

/** Watches one SQLite connection's WAL and checkpoints it on a worker once it grows. */
export class WalCheckpointer {
  readonly #logger: Logger;
  readonly #ownPages: number;
  readonly #options: Required<CheckpointerOptions>;
  readonly #waiters: { done(report: CheckpointReport): void; fail(err: Error): void }[] = [];
  #connection: WatchedConnection | undefined;
  #watch: NodeJS.Timeout | undefined;
  #worker: Worker | undefined;
  #stop: Int32Array | undefined;
  #exited: Promise<void> | undefined;
  #stopped = false;

  /**
   * @param ownPages the `wal_autocheckpoint` the connection has set, restored should the worker
   * fail.
   */
  constructor(logger: Logger, ownPages: number, options: CheckpointerOptions = {}) {
    this.#logger = logger;
    this.#ownPages = ownPages;
    this.#options = {
      startBytes: options.startBytes ?? START_BYTES,
      intervalMs: options.intervalMs ?? INTERVAL_MS,
      watchMs: options.watchMs ?? WATCH_MS,
    };
  }

  /** Whether the worker has been started. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /**
   * Resolves with the worker's next checkpoint that copied frames; rejects when the worker stops
   * on an error.
   */
  nextCheckpoint(): Promise<CheckpointReport> {
    return new Promise((done, fail) => this.#waiters.push({ done, fail }));
  }

  #failed(error: string): void {
    const connection = this.#connection;
    if (connection?.open === true) connection.pragma(`wal_autocheckpoint = ${this.#ownPages}`);
    this.#logger.warn(
      { error },
      'koa-payments: the WAL checkpoint thread stopped; SQLite checkpoints inside commits again',
    );
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new Error(error));
  }

  /** Starts watching a newly opened connection (an in-memory database has no WAL). */
  watch(connection: WatchedConnection): void {
    if (this.#stopped || connection.memory || connection.name === '') return;
    this.#connection = connection;
    if (this.#watch !== undefined) return;
    this.#watch = setInterval(() => this.check(), this.#options.watchMs);
    this.#watch.unref();
  }

  /** Looks at the WAL file now (the watch does every `watchMs`): starts the worker once it is large. */
  check(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    if (!connection.open) {
      // Closed without stop(): the pool discarded it (a new one is watched when it opens) or a
      // host destroyed the pool. Nothing to checkpoint until then.
      void this.#halt();
      return;
    }
    if (this.#worker !== undefined) return;
    let size: number;
    try {
      size = statSync(`${connection.name}-wal`).size;
    } catch {
      return;
    }
    if (size >= this.#options.startBytes) {
      this.#start(resolve(connection.name));
      connection.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    }
  }

  #start(filename: string): void {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: requireHere.resolve('better-sqlite3'),
        filename,
        stop: stop.buffer,
        intervalMs: this.#options.intervalMs,
        rounds: ROUNDS,
      },
    });
    worker.unref();
    worker.on('message', (message: { error?: string } & CheckpointReport) => {
      if (message.error !== undefined) this.#failed(message.error);
      else for (const waiter of this.#waiters.splice(0)) waiter.done(message);
    });
    worker.on('error', (err) => this.#failed(err.message));
    this.#exited = new Promise((done) => worker.once('exit', () => done()));
    this.#worker = worker;
    this.#stop = stop;
  }

  /** Stops the watch and the worker for good; resolves once the worker has closed its connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#halt();
  }

  /** Stops the watch and the worker until the next {@link watch}. */
  async #halt(): Promise<void> {
    if (this.#watch !== undefined) clearInterval(this.#watch);
    const [stop, exited] = [this.#stop, this.#exited];
    this.#watch = undefined;
    this.#connection = undefined;
    this.#worker = undefined;
    this.#stop = undefined;
    this.#exited = undefined;
    if (stop !== undefined) {
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
    }
    await exited;
  }
}
