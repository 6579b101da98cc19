/**
 * Server C: what a user would hand-roll. Express, `express.raw()`, the official
 * `stripe.webhooks.constructEvent`, and a Knex insert (idempotent on the event id): the
 * better-sqlite3 client with the library's pragmas, or in the Postgres suite the pg client.
 */
import express from 'express';
import knexFactory from 'knex';
import Stripe from 'stripe';
import { applyPragmas, BASELINE_SCHEMA, BASELINE_TABLE } from '../database.js';
import { BASELINE_SCHEMA_PG } from './postgres.js';
import { type ServerConfig, serveChild } from './protocol.js';

function knexConfig(config: ServerConfig): knexFactory.Knex.Config {
  if (config.postgres !== undefined) {
    return {
      client: 'pg',
      connection: config.postgres,
      ...(config.pool === undefined ? {} : { pool: { min: 0, max: config.pool } }),
    };
  }
  return {
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
  };
}

serveChild(async (config) => {
  const stripe = new Stripe('sk_test_benchmark_not_used');
  const knex = knexFactory(knexConfig(config));
  await knex.raw(config.postgres === undefined ? BASELINE_SCHEMA : BASELINE_SCHEMA_PG);
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
      const [row] = (await (config.postgres === undefined
        ? knex(BASELINE_TABLE).max({ n: 'id' })
        : knex(BASELINE_TABLE).count({ n: '*' }))) as { n: number | string | null }[];
      return Number(row?.n ?? 0);
    },
    close: () => knex.destroy(),
  };
});
