/**
 * Deferral: a receiver that throws `RetryLater` says "not yet" (the app's own record is not there
 * yet), not that it failed. Within `retry.deferFor` of the delivery's first deferral, the
 * delivery is pending again at the RetryLater's `after` (or the deferral schedule), its attempt
 * not counted, logged at debug and with no hook; past it, the RetryLater fails as any error does.
 */
import type { ResolvedSettings } from '../settings.js';
import type { LeasedDelivery, OutcomeRecord, StoredEvent } from '../store/types.js';
import type { Logger } from '../types.js';
import { deferralDelay } from './backoff.js';
import { isRetryLater } from './retry-later.js';

/**
 * What to record when a receiver's `error` defers its delivery: a RetryLater within
 * `retry.deferFor` of the delivery's first deferral, pending again at its `after` (or the
 * deferral schedule). Undefined for any other error, and for a RetryLater past it: a failure.
 */
export function deferral(
  delivery: LeasedDelivery,
  error: unknown,
  retry: ResolvedSettings['retry'],
): OutcomeRecord | undefined {
  if (!isRetryLater(error)) return undefined;
  const now = new Date();
  const deferredMs = now.getTime() - (delivery.deferredSince ?? now).getTime();
  if (deferredMs >= retry.deferForMs) return undefined;
  const delay = error.afterMs ?? deferralDelay(deferredMs, retry);
  return {
    status: 'deferred',
    reason: error.reason,
    nextAttemptAt: new Date(now.getTime() + delay),
  };
}

/** Logs a recorded deferral, at debug: it is no failure. */
export function logDeferral(
  logger: Logger,
  event: StoredEvent,
  receiver: string,
  record: OutcomeRecord | undefined,
): void {
  logger.debug(
    {
      variant: event.variant,
      eventId: event.eventId,
      type: event.type,
      receiver,
      event: event.id,
      reason: record?.reason,
      nextAttemptAt: record?.nextAttemptAt,
    },
    'koa-payments: a receiver deferred its delivery (RetryLater); it runs again later',
  );
}
