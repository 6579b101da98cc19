/**
 * The normalized payment signals emitted: one row per variant and key (`payment:succeeded:pi_1`),
 * written in the storing transaction of the first event that reports it. Its UNIQUE(variant,
 * key) is what emits each signal once, however many events report the same payment (Stripe's
 * PaymentIntent, Charge and Checkout Session events; Square's repeated `payment.updated`) and
 * whatever order or concurrency they arrive in: a second insert of a key does nothing (on
 * Postgres, after waiting for the first transaction to end).
 *
 * Two versions side by side, like the rest of the storing unit (store-event.ts).
 */
import type { Knex } from 'knex';
import type { DirectConnection } from '../store/sqlite-direct.js';
import type { TableNames } from '../store/table-names.js';

/** A payment signal to emit, once per variant and key. */
export interface SignalEmission {
  /** `payment:succeeded`, `payment:failed` or `payment:refunded`. */
  signal: string;
  /** What happened, the same for every event that reports it (`PaymentReport.key`). */
  key: string;
}

/** The insert, values: variant, key, signal, event, created_at. */
export function emitStatement(t: TableNames): string {
  return (
    `INSERT INTO "${t.paymentSignals}" ("variant", "key", "signal", "event", "created_at") ` +
    `VALUES (?, ?, ?, ?, ?) ON CONFLICT ("variant", "key") DO NOTHING`
  );
}

/** Records the emission on a Knex transaction; returns whether this event is the first to report it. */
export async function emit(
  trx: Knex.Transaction,
  t: TableNames,
  variant: string,
  emission: SignalEmission,
  event: number,
  now: Date,
): Promise<boolean> {
  const inserted = await trx(t.paymentSignals)
    .insert({ variant, key: emission.key, signal: emission.signal, event, created_at: now })
    .onConflict(['variant', 'key'])
    .ignore()
    .returning('id');
  return (inserted as unknown[]).length > 0;
}

/** The same, on the SQLite fast path (`sql` from {@link emitStatement}). */
export function emitDirect(
  db: DirectConnection,
  sql: string,
  variant: string,
  emission: SignalEmission,
  event: number,
  now: Date,
): boolean {
  return db.insertValues(sql, [variant, emission.key, emission.signal, event, now]) !== undefined;
}
