/**
 * The signal a receiver is called with, built alike for the atomic receivers run inside the
 * storing transaction (pipeline.ts) and for the runs after COMMIT (dispatcher.ts).
 */
import type { Knex } from 'knex';
import type { PaymentSignal } from '../objects/facts.js';
import type { Signal } from '../signals/types.js';
import type { StoredEvent } from '../store/types.js';
import { fetchOnce, type ObjectFetcher } from '../sync/fetch.js';

/**
 * Builds the signal a receiver is called with: the event's own, or the normalized payment
 * signal it reports (never stale: it reports what happened, once per payment).
 */
export function buildSignal(
  event: StoredEvent,
  data: unknown,
  attempt: number,
  fetchObject: ObjectFetcher,
  trx?: Knex.Transaction,
  payment?: PaymentSignal,
): Signal {
  const signal: {
    -readonly [K in keyof Signal]: Signal[K];
  } = {
    type: payment?.signal ?? event.type,
    data: payment === undefined ? data : payment.data,
    event,
    variant: event.variant,
    provider: event.provider,
    attempt,
    stale: payment === undefined && event.stale,
    source: event.source,
    fetch: fetchOnce(event, fetchObject) as Signal['fetch'],
  };
  if (trx !== undefined) signal.trx = trx;
  return signal;
}
