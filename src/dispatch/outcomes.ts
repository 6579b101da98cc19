/**
 * What became of the deliveries of a dispatcher run, and how each recorded outcome is reported:
 * logged, and emitted as a lifecycle hook (dispatcher.ts runs them and records the outcomes).
 */
import type { LeasedDelivery, OutcomeRecord, StoredEvent } from '../store/types.js';
import type { Logger, PaymentsHooks } from '../types.js';
import { logDeferral } from './deferral.js';

const MAX_ERROR_LENGTH = 4_000;

/** What became of one delivery in a run. */
export interface DeliveryOutcome {
  delivery: LeasedDelivery;
  attempt: number;
  /**
   * How the run ended; `lost` when an atomic receiver's success could not be recorded because
   * another runner had taken the delivery over (its writes rolled back); `unstarted` when
   * `close()` gave up waiting while the run waited for its concurrency turn (its receiver never
   * started, and its delivery is given back).
   */
  result: 'succeeded' | 'failed' | 'dead' | 'deferred' | 'lost' | 'unstarted';
  error?: unknown;
  /** What to write; undefined when already written (atomic), lost or unstarted. */
  record?: OutcomeRecord;
}

/** Emits a lifecycle hook; never rejects. */
export type EmitHook = <K extends keyof PaymentsHooks>(
  name: K,
  data: PaymentsHooks[K],
) => Promise<void>;

/** Text stored in `last_error`: the stack (or message), truncated. */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** What a failed delivery is logged with: its error, and what names the event (never its payload). */
function failureFields(event: StoredEvent, outcome: DeliveryOutcome): Record<string, unknown> {
  return {
    err: outcome.error,
    variant: event.variant,
    eventId: event.eventId,
    type: event.type,
    receiver: outcome.delivery.receiver,
    attempt: outcome.attempt,
    event: event.id,
  };
}

/** Logs an outcome that was not recorded: another runner holds the delivery now. */
export function reportLost(logger: Logger, event: StoredEvent, outcome: DeliveryOutcome): void {
  logger.warn(
    {
      event: event.id,
      eventId: event.eventId,
      receiver: outcome.delivery.receiver,
      attempt: outcome.attempt,
      result: outcome.result,
    },
    'koa-payments: discarded the outcome of a run that lost its lease; another runner took the delivery over',
  );
}

/** Logs and emits the hooks of one recorded outcome. */
export async function reportOutcome(
  logger: Logger,
  emit: EmitHook,
  event: StoredEvent,
  outcome: DeliveryOutcome,
): Promise<void> {
  const { delivery, attempt } = outcome;
  const receiver = delivery.receiver;
  if (outcome.result === 'succeeded') {
    await emit('delivery.succeeded', { event, receiver, attempt });
  } else if (outcome.result === 'deferred') {
    logDeferral(logger, event, receiver, outcome.record);
  } else if (outcome.result === 'dead') {
    logger.error(
      failureFields(event, outcome),
      'koa-payments: a receiver failed its last attempt; the delivery is dead',
    );
    await emit('delivery.dead', { event, receiver, attempt, error: outcome.error });
  } else if (outcome.result === 'failed') {
    const nextAttemptAt = outcome.record?.nextAttemptAt ?? new Date();
    logger.error(
      { ...failureFields(event, outcome), nextAttemptAt },
      'koa-payments: a receiver threw; it will be retried',
    );
    await emit('delivery.failed', {
      event,
      receiver,
      attempt,
      error: outcome.error,
      nextAttemptAt,
    });
  }
}
