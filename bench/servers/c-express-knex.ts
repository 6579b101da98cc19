/**
 * Server C: what a user would hand-roll. Express, `express.raw()`, the official
 * `stripe.webhooks.constructEvent`, and a Knex insert (better-sqlite3 client, idempotent on the
 * event id) with the library's pragmas.
 */
import express from 'express';
import knexFactory from 'knex';
import Stripe from 'stripe';
import { applyPragmas, BASELINE_SCHEMA, BASELINE_TABLE } from '../database.js';
import { serveChild } from './protocol.js';

serveChild(async (config) => {
  const stripe = new Stripe('sk_test_benchmark_not_used');
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: config.file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(
        connection: { pragma(source: string): unknown },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        applyPragmas(connection, config.synchronous);
        done(null, connection);
      },
    },
  });
  await knex.raw(BASELINE_SCHEMA);
  const app = express();
  app.post(
    '/webhook',
    express.raw({ type: 'application/json', limit: config.bodyLimit }),
    async (req, res) => {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          req.body as Buffer,
          req.headers['stripe-signature'] as string,
          config.secret,
        );
      } catch {
        res.status(400).json({ error: 'invalid_signature' });
        return;
      }
      await knex(BASELINE_TABLE)
        .insert({
          event_id: event.id,
          type: event.type,
          payload: (req.body as Buffer).toString('utf8'),
          received_at: Date.now(),
        })
        .onConflict('event_id')
        .ignore();
      res.json({ received: true, event: event.id });
    },
  );
  return {
    handler: app,
    path: '/webhook',
    async count() {
      const [row] = (await knex(BASELINE_TABLE).max({ n: 'id' })) as { n: number | null }[];
      return Number(row?.n ?? 0);
    },
    close: () => knex.destroy(),
  };
});
