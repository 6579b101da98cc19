/** The library's table names, for the tables of a prefix (its schema: migrations.ts). */

/** Names of the tables for a prefix. */
export interface TableNames {
  events: string;
  deliveries: string;
  requests: string;
  /** The newest known state of each provider object (src/objects/mirror.ts). */
  objects: string;
  /** The normalized payment signals emitted, one row per variant and key (src/objects/emitted.ts). */
  paymentSignals: string;
  /** The keys of `pay.runOnce()` (run-once.ts). */
  once: string;
  /** Receivers paused by `pay.pause()`: one row each while paused. */
  pausedReceivers: string;
  /** When each variant last received a valid webhook, and whether it is silent (`expectEvery`). */
  variantActivity: string;
  /** The periodic catch-up's lease and last run, one row per variant (src/sync/). */
  syncState: string;
  migrations: string;
}

/** The table names for `tablePrefix`. */
export function tableNames(tablePrefix: string): TableNames {
  return {
    events: `${tablePrefix}events`,
    deliveries: `${tablePrefix}deliveries`,
    requests: `${tablePrefix}requests`,
    objects: `${tablePrefix}objects`,
    paymentSignals: `${tablePrefix}payment_signals`,
    once: `${tablePrefix}once`,
    pausedReceivers: `${tablePrefix}paused_receivers`,
    variantActivity: `${tablePrefix}variant_activity`,
    syncState: `${tablePrefix}sync_state`,
    migrations: `${tablePrefix}knex_migrations`,
  };
}
