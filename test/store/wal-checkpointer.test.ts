/**
 * The WAL checkpointer (src/store/wal-checkpointer.ts) copies a grown WAL into the database file
 * on its own thread, so that the committing connection never has to, and lets the WAL start over.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { openDatabase } from '../../src/store/database.js';
import { BACKSTOP_PAGES, WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { recordingLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/server.js';

type BetterSqlite = {
  name: string;
  memory: boolean;
  open: boolean;
  pragma(source: string, options?: { simple: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): { run(...values: unknown[]): unknown };
  close(): void;
};
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (
  file: string,
) => BetterSqlite;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const small = { startBytes: 64 * 1024, intervalMs: 5, watchMs: 60_000 };

/** A WAL database whose committing connection never checkpoints by itself. */
function walDatabase(file: string): BetterSqlite {
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
  return db;
}

function write(db: BetterSqlite, rows: number): void {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  for (let i = 0; i < rows; i += 1) insert.run(Buffer.alloc(4096, i % 251));
}

/** Frames in the WAL now (a PASSIVE checkpoint reports them; it copies only what is left). */
function walFrames(db: BetterSqlite): number {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  return (result as { log: number }).log;
}

describe('WAL checkpointer', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('checkpoints a grown WAL on its thread, after which the WAL starts over', async () => {
    const db = walDatabase(tmp.file());
    const checkpointer = new WalCheckpointer(quiet, 0, small);
    try {
      checkpointer.watch(db);
      write(db, 4);
      checkpointer.check();
      expect(checkpointer.started, 'a small WAL starts no thread').to.equal(false);

      write(db, 100);
      const next = checkpointer.nextCheckpoint();
      checkpointer.check();
      expect(checkpointer.started).to.equal(true);
      // The connection's own checkpoints become a backstop.
      expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(BACKSTOP_PAGES);
      const report = await next;
      expect(report.log).to.be.greaterThan(100);
      expect(report.checkpointed).to.equal(report.log);

      // Every frame is in the database file: the next commit writes the WAL from its start.
      write(db, 1);
      expect(walFrames(db)).to.be.lessThan(10);
    } finally {
      await checkpointer.stop();
      db.close();
    }
  });

  it('closes its connection on stop(), so the last connection closing removes the WAL', async () => {
    const file = tmp.file();
    const db = walDatabase(file);
    const checkpointer = new WalCheckpointer(quiet, 0, small);
    checkpointer.watch(db);
    write(db, 100);
    const next = checkpointer.nextCheckpoint();
    checkpointer.check();
    await next;
    await checkpointer.stop();
    db.close();
    expect(existsSync(`${file}-wal`)).to.equal(false);
  });

  it('starts nothing for a database in memory', () => {
    const db = new Sqlite(':memory:');
    const checkpointer = new WalCheckpointer(quiet, 0, { ...small, startBytes: 0 });
    checkpointer.watch(db);
    checkpointer.check();
    expect(checkpointer.started).to.equal(false);
    db.close();
  });

  it('stops its thread when the connection closes without stop(), and takes the next one up', async () => {
    const file = tmp.file();
    const db = walDatabase(file);
    write(db, 100);
    const checkpointer = new WalCheckpointer(quiet, 0, small);
    checkpointer.watch(db);
    const first = checkpointer.nextCheckpoint();
    checkpointer.check();
    await first;
    db.close();
    checkpointer.check();
    expect(checkpointer.started, 'halted with its connection').to.equal(false);
    // A pool opens a new connection after discarding one: it is watched as the first was.
    const reopened = new Sqlite(file);
    reopened.pragma('wal_autocheckpoint = 0');
    try {
      checkpointer.watch(reopened);
      write(reopened, 100);
      const next = checkpointer.nextCheckpoint();
      checkpointer.check();
      expect(checkpointer.started).to.equal(true);
      expect((await next).checkpointed).to.be.greaterThan(0);
    } finally {
      await checkpointer.stop();
      reopened.close();
    }
    // After stop(), a new connection is not watched.
    const other = walDatabase(tmp.file('other.sqlite3'));
    write(other, 100);
    checkpointer.watch(other);
    checkpointer.check();
    expect(checkpointer.started).to.equal(false);
    other.close();
  });

  it('logs and rejects the waiters when its thread cannot open the database', async () => {
    const logger = recordingLogger();
    const file = tmp.file('missing.sqlite3');
    // A WAL file with no database beside it: the thread's connection must not create one.
    writeFileSync(`${file}-wal`, Buffer.alloc(small.startBytes));
    const checkpointer = new WalCheckpointer(logger, 0, small);
    const pragmas: string[] = [];
    checkpointer.watch({
      name: file,
      memory: false,
      open: true,
      pragma: (source: string) => pragmas.push(source),
    });
    const next = checkpointer.nextCheckpoint();
    checkpointer.check();
    const error = await next.then(
      () => undefined,
      (err: unknown) => err,
    );
    await checkpointer.stop();
    expect(error).to.be.instanceOf(Error);
    expect(existsSync(file)).to.equal(false);
    // The connection checkpoints by itself again, as often as before the thread started.
    expect(pragmas).to.deep.equal(['wal_autocheckpoint = 40000', 'wal_autocheckpoint = 0']);
    expect(logger.entries.map((e) => e.message)).to.include(
      'koa-payments: the WAL checkpoint thread stopped; SQLite checkpoints inside commits again',
    );
  });

  it('is given to a SQLite file the library opens, not to Postgres', async () => {
    const db = openDatabase(tmp.file(), quiet);
    expect(db.checkpointer).to.be.instanceOf(WalCheckpointer);
    await db.checkpointer?.stop();
    await db.knex.destroy();

    const pg = openDatabase('postgres://127.0.0.1:1/none', quiet);
    expect(pg.checkpointer).to.equal(undefined);
    await pg.knex.destroy();
  });
});
