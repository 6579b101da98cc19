/**
 * What the baselines B and G share: the Stripe signature check with node:crypto (the v1 HMAC of
 * `<t>.<body>`, a constant-time compare, the 300 s tolerance), the Koa app and the database.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { applyPragmas, BASELINE_SCHEMA, BASELINE_TABLE } from '../database.js';
import type { ServerConfig } from './protocol.js';

const TOLERANCE_S = 300;

/** Whether `header` holds a valid v1 signature of `body` made less than the tolerance ago. */
export function verified(header: string | undefined, body: Buffer, secret: string): boolean {
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

/** B's and G's database: the baseline table, the library's pragmas, the idempotent INSERT. */
export function openBaseline(config: ServerConfig): {
  db: Database.Database;
  insert: Database.Statement;
  count(): Promise<number>;
} {
  const db = new Database(config.file);
  applyPragmas(db, config.synchronous);
  db.exec(BASELINE_SCHEMA);
  const insert = db.prepare(
    `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (event_id) DO NOTHING`,
  );
  const count = db.prepare(`SELECT coalesce(max(id), 0) FROM ${BASELINE_TABLE}`).pluck();
  return { db, insert, count: async () => Number(count.get()) };
}

/**
 * B's and G's Koa app: raw body, the signature check, JSON.parse for the id and type, then
 * `store` (synchronous for B: no extra await on its path), then the answer.
 */
export function minimalApp(
  config: ServerConfig,
  store: (eventId: string, type: string, payload: string) => undefined | Promise<void>,
): Koa {
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
    const stored = store(event.id, event.type, body.toString('utf8'));
    if (stored !== undefined) await stored;
    ctx.body = { received: true, event: event.id };
  });
  return app;
}
