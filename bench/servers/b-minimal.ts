/**
 * Server B: the bare minimum. Koa, raw-body, the Stripe HMAC checked with node:crypto (a
 * constant-time compare, the 300 s tolerance), JSON.parse for the id and type, and one INSERT
 * (idempotent on the event id): a prepared better-sqlite3 statement with the library's pragmas,
 * or in the Postgres suite one `pg` query (a named prepared statement) on a pool.
 */
import { minimalApp, openBaseline } from './minimal.js';
import { openPgBaseline } from './postgres.js';
import { serveChild } from './protocol.js';

serveChild(async (config) => {
  if (config.postgres !== undefined) {
    const pg = await openPgBaseline(config);
    const app = minimalApp(config, (eventId, type, payload) => pg.insert(eventId, type, payload));
    return { handler: app.callback(), path: '/webhook', count: pg.count, close: pg.close };
  }
  const { db, insert, count } = openBaseline(config);
  const app = minimalApp(config, (eventId, type, payload) => {
    insert.run(eventId, type, payload, Date.now());
    return undefined;
  });
  return {
    handler: app.callback(),
    path: '/webhook',
    count,
    close: async () => {
      db.close();
    },
  };
});
