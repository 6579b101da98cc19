/**
 * What the baselines need on Postgres (the Postgres suite): the baselines' table and B's
 * idempotent INSERT through a `pg` pool.
 */
import pg from 'pg';
import { BASELINE_TABLE } from '../database.js';
import type { ServerConfig } from './protocol.js';

/** The baselines' table on Postgres: the SQLite one's columns and idempotency key. */
export const BASELINE_SCHEMA_PG = `CREATE TABLE IF NOT EXISTS ${BASELINE_TABLE} (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  type text NOT NULL,
  payload text NOT NULL,
  received_at bigint NOT NULL
)`;

/** B's database on Postgres: a pool, the table, the idempotent INSERT (a named prepared statement). */
export async function openPgBaseline(config: ServerConfig): Promise<{
  insert(eventId: string, type: string, payload: string): Promise<void>;
  count(): Promise<number>;
  close(): Promise<void>;
}> {
  const pool = new pg.Pool({
    connectionString: config.postgres,
    ...(config.pool === undefined ? {} : { max: config.pool }),
  });
  await pool.query(BASELINE_SCHEMA_PG);
  const text = `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at)
    VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING`;
  return {
    async insert(eventId, type, payload) {
      await pool.query({
        name: 'bench-insert',
        text,
        values: [eventId, type, payload, Date.now()],
      });
    },
    async count() {
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${BASELINE_TABLE}`,
      );
      return Number(rows[0]?.n ?? 0);
    },
    close: () => pool.end(),
  };
}
