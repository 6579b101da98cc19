/**
 * Server A: koa-payments, the full pipeline. One Stripe variant, inline dispatch, one no-op
 * receiver (which counts its runs), the request log on, the retry worker off, SQLite with the
 * library's own pragmas (WAL, busy_timeout, synchronous=FULL, temp_store=MEMORY, ...), or in the
 * Postgres suite the connection string as `database` (a Knex config only to set `--pool`), group
 * commit as the library defaults it (on) unless `--group-commit
 * on|off` says otherwise.
 */
import { pathToFileURL } from 'node:url';
import Koa from 'koa';
import { applyPragmas, TABLE_PREFIX, traceStatements } from '../database.js';
import { serveChild } from './protocol.js';

serveChild(async (config) => {
  // The compiled library as it ships (dist), or the sources through tsx: `--library`.
  const { createRegistry, payments } = (await import(
    pathToFileURL(config.library).href
  )) as typeof import('../../src/index.js');
  const registry = createRegistry();
  let runs = 0;
  registry.receiver('charge.succeeded', async function noop() {
    runs += 1;
  });
  const pay = payments({
    registry,
    // The library's default set-up. For `--synchronous normal` only, a host afterCreate (which
    // runs after the library's pragmas) lowers synchronous.
    database:
      config.postgres !== undefined
        ? config.pool === undefined
          ? config.postgres
          : { client: 'pg', connection: config.postgres, pool: { min: 0, max: config.pool } }
        : config.synchronous === 'full'
          ? config.file
          : {
              client: 'better-sqlite3',
              connection: { filename: config.file },
              pool: {
                afterCreate(
                  connection: { pragma(source: string): unknown },
                  done: (error: Error | null, connection: unknown) => void,
                ) {
                  applyPragmas(connection, config.synchronous);
                  done(null, connection);
                },
              },
            },
    variants: { stripe: { provider: 'stripe', endpointSecret: config.secret } },
    dispatch: 'inline',
    worker: false,
    bodyLimit: config.bodyLimit,
    ...(config.groupCommit === 'default' ? {} : { groupCommit: config.groupCommit === 'on' }),
  });
  const commits = { batches: 0, events: 0 };
  pay.on('store.committed', ({ size }) => {
    commits.batches += 1;
    commits.events += size;
  });
  await pay.migrate();
  const statements: Record<string, number> = {};
  const micros: Record<string, number> = {};
  const record = (source: string, us: number): void => {
    const sql = source.replace(/\d+/g, 'N');
    statements[sql] = (statements[sql] ?? 0) + 1;
    micros[sql] = (micros[sql] ?? 0) + us;
  };
  if (config.traceSql && config.postgres !== undefined) {
    // On Postgres every statement goes through Knex: its `query` and `query-response` events,
    // a statement's time being its round trip to the server, event-loop waits included. Knex
    // does not report a transaction's BEGIN and COMMIT there: add two per transaction.
    const started = new Map<string, number>();
    pay.knex.on('query', (q: { __knexQueryUid: string }) => {
      started.set(q.__knexQueryUid, performance.now());
    });
    const done = (_: unknown, q: { __knexQueryUid: string; sql: string }): void => {
      const at = started.get(q.__knexQueryUid);
      started.delete(q.__knexQueryUid);
      if (at !== undefined) record(q.sql, (performance.now() - at) * 1000);
    };
    pay.knex.on('query-response', done);
    pay.knex.on('query-error', done);
  } else if (config.traceSql) {
    // By SQL text with the numbers as `N`. At the driver, not through Knex's `query` event: the
    // SQLite fast path does not go through Knex. A COMMIT's time includes its fsync and any
    // checkpoint it runs.
    traceStatements(record);
  }
  const app = new Koa();
  app.use(pay.middleware);
  const events = `${TABLE_PREFIX}events`;
  return {
    handler: app.callback(),
    path: '/payments/process/stripe/',
    async count() {
      const [row] = (await (config.postgres === undefined
        ? pay.knex(events).max({ n: 'id' })
        : pay.knex(events).count({ n: '*' }))) as { n: number | string | null }[];
      return Number(row?.n ?? 0);
    },
    close: () => pay.close(),
    commits: () => ({ ...commits }),
    runs: () => runs,
    ...(config.traceSql
      ? { statements: () => ({ ...statements }), statementMicros: () => ({ ...micros }) }
      : {}),
  };
});
