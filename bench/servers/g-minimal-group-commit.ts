/**
 * Server G: B with group commit. The same Koa, raw-body, HMAC check, JSON.parse and prepared
 * INSERT as B, but the INSERTs that arrive while a COMMIT runs wait and share the next
 * transaction, and each webhook is answered once its transaction has committed.
 *
 * G is not a competitor: it is the ceiling of item 4 of the benchmark issue on this machine. It
 * does the least work any group-committing webhook server can do (one row, no request log, no
 * receiver, no outcome), so G/B bounds what A/B can reach with group commit here.
 */
import { minimalApp, openBaseline } from './minimal.js';
import { serveChild } from './protocol.js';

interface Pending {
  values: [string, string, string, number];
  done(error?: unknown): void;
}

serveChild(async (config) => {
  const { db, insert, count } = openBaseline(config);
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  let queue: Pending[] = [];
  let scheduled = false;
  let batches = 0;
  let events = 0;

  // better-sqlite3 is synchronous: while one COMMIT runs, the requests that arrive wait in the
  // socket buffers and join the next batch.
  const drain = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    try {
      begin.run();
      for (const job of batch) insert.run(...job.values);
      commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {
        // The batch fails with its cause either way.
      }
      for (const job of batch) job.done(error);
      return;
    }
    batches += 1;
    events += batch.length;
    for (const job of batch) job.done();
  };

  const store = (values: Pending['values']) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ values, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    });

  const app = minimalApp(config, (eventId, type, payload) =>
    store([eventId, type, payload, Date.now()]),
  );
  return {
    handler: app.callback(),
    path: '/webhook',
    count,
    commits: () => ({ batches, events }),
    close: async () => {
      db.close();
    },
  };
});
