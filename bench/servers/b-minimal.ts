/**
 * Server B: the bare minimum. Koa, raw-body, the Stripe HMAC checked with node:crypto (a
 * constant-time compare, the 300 s tolerance), JSON.parse for the id and type, and one prepared
 * better-sqlite3 INSERT (idempotent on the event id) with the library's pragmas.
 */
import { minimalApp, openBaseline } from './minimal.js';
import { serveChild } from './protocol.js';

serveChild(async (config) => {
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
