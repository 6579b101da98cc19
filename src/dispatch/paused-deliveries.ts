/**
 * What a run does with the deliveries of paused receivers (pauses.ts says which are paused):
 * gives them back pending, their attempt unspent, for whoever claims them after the resume; and,
 * the same way, with deliveries handed to a dispatcher that is closing.
 */
import type { Deliveries } from '../store/deliveries.js';
import type { EventStore } from '../store/event-store.js';
import type { LeasedDelivery, StoredEvent } from '../store/types.js';
import type { Logger } from '../types.js';
import type { Pauses } from './pauses.js';

/** What {@link holdPaused} works with. */
export interface PausedDeliveriesDependencies {
  pauses: Pauses;
  deliveries: Deliveries;
  store: EventStore;
  logger: Logger;
}

/**
 * Gives back the leased `deliveries` of `event` whose receiver is paused, and returns the others,
 * to run. When none is left to run and a given-back delivery had failed before, the event's status
 * is refreshed (pending again).
 */
export async function holdPaused(
  event: StoredEvent,
  deliveries: readonly LeasedDelivery[],
  dependencies: PausedDeliveriesDependencies,
): Promise<readonly LeasedDelivery[]> {
  const { logger } = dependencies;
  const paused = await dependencies.pauses.current();
  if (paused.size === 0) return deliveries;
  const held = deliveries.filter((d) => paused.has(d.receiver));
  if (held.length === 0) return deliveries;
  const runnable = deliveries.filter((d) => !paused.has(d.receiver));
  try {
    await dependencies.deliveries.release(held);
    logger.debug(
      { event: event.id, receivers: held.map((d) => d.receiver) },
      'koa-payments: receivers are paused; their deliveries stay pending until resumed',
    );
  } catch (error) {
    // The leases expire, and the worker (which claims no paused receiver) leaves them.
    logger.warn(
      { err: error, event: event.id },
      'koa-payments: could not give back the deliveries of paused receivers; they wait for their lease to expire',
    );
  }
  // Nothing runs; a delivery that was failed is pending now, and so is the event.
  if (runnable.length === 0) await refreshStatus(event, held, dependencies);
  return runnable;
}

/**
 * Refreshes the status of an event none of whose deliveries ran, after `givenBack` went back to
 * pending: when one of them had failed before, the event is pending again. A failure is left
 * alone (the status is refreshed by the next run).
 */
async function refreshStatus(
  event: StoredEvent,
  givenBack: readonly LeasedDelivery[],
  dependencies: Pick<PausedDeliveriesDependencies, 'store'>,
): Promise<void> {
  if (givenBack.some((d) => d.attempt > 1))
    await dependencies.store.settle(event.id, []).catch(() => {});
}

/**
 * Gives back leased deliveries that this process will not run because it is closing: pending
 * again, their attempt unspent, for a worker to run once; resolves with whether they were.
 * `unstarted`: runs whose receivers had not started (checking pauses, waiting for a concurrency
 * turn) when `close()` gave up waiting (the log line says so).
 */
export async function giveBack(
  event: StoredEvent,
  deliveries: readonly LeasedDelivery[],
  dependencies: PausedDeliveriesDependencies,
  options: { unstarted?: boolean } = {},
): Promise<boolean> {
  const { logger } = dependencies;
  const receivers = deliveries.map((d) => d.receiver);
  try {
    await dependencies.deliveries.release(deliveries);
    logger.debug(
      { event: event.id, receivers },
      options.unstarted
        ? 'koa-payments: closing; these receivers had not started (checking pauses, or waiting for their concurrency turn) and will not; their deliveries are left to a worker'
        : 'koa-payments: closing; these deliveries are left to a worker',
    );
    return true;
  } catch (error) {
    // The database is gone: the leases expire, and a worker takes them over, the attempt spent.
    logger.warn(
      { err: error, event: event.id, receivers },
      'koa-payments: closing; could not give back deliveries, a worker runs them after their lease',
    );
    return false;
  }
}
