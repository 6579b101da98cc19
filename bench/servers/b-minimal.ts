/**
 * Server B: the bare minimum. Koa, raw-body, the Stripe HMAC checked with node:crypto (a
 * constant-time compare, the 300 s tolerance), JSON.parse for the id and type, and one prepared
 * better-sqlite3 INSERT (idempotent on the event id) with the library's pragmas.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { applyPragmas, BASELINE_SCHEMA, BASELINE_TABLE } from '../database.js';
import { serveChild } from './protocol.js';

const TOLERANCE_S = 300;

/** Whether `header` holds a valid v1 signature of `body` made less than the tolerance ago. */
function verified(header: string | undefined, body: Buffer, secret: string): boolean {
  if (header === undefined) return false;
  let timestamp = Number.NaN;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = Number(value);
    else if (key === 'v1' && value !== undefined) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!Number.isInteger(timestamp)) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  let matched = false;
  for (const signature of signatures) {
    if (signature.length === expected.length && timingSafeEqual(signature, expected))
      matched = true;
  }
  return matched && Math.abs(Date.now() / 1000 - timestamp) <= TOLERANCE_S;
}

serveChild(async (config) => {
  const db = new Database(config.file);
  applyPragmas(db, config.synchronous);
  db.exec(BASELINE_SCHEMA);
  const insert = db.prepare(
    `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (event_id) DO NOTHING`,
  );
  const count = db.prepare(`SELECT coalesce(max(id), 0) FROM ${BASELINE_TABLE}`).pluck();
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== '/webhook') {
      ctx.status = 404;
      return;
    }
    const body = await getRawBody(ctx.req, { limit: config.bodyLimit });
    if (!verified(ctx.get('stripe-signature') || undefined, body, config.secret)) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_signature' };
      return;
    }
    const event = JSON.parse(body.toString('utf8')) as { id: string; type: string };
    insert.run(event.id, event.type, body.toString('utf8'), Date.now());
    ctx.body = { received: true, event: event.id };
  });
  return {
    handler: app.callback(),
    path: '/webhook',
    count: async () => Number(count.get()),
    close: async () => {
      db.close();
    },
  };
});
