/** Re-running receivers of stored events, shared by `replay` and `retry`. */
import { isPaymentPattern } from '../objects/patterns.js';
import type { Payments } from '../payments.js';
import type { Delivery, EventDetails, StoredEvent } from '../types.js';
import type { Output } from './output.js';

/** Which receivers to re-run. */
export type Which = 'failed' | 'all' | readonly string[];

/** How replaying one event went. */
export interface ReplayOutcome {
  /** Row id and provider event id. */
  id: number;
  eventId: string;
  variant: string;
  type: string;
  /** The event status afterwards. */
  status: string;
  /** The deliveries that ran, as they ended. */
  deliveries: Delivery[];
  /** Why nothing ran, when nothing did. */
  skipped?: string;
  /** Whether a delivery that ran is still failed or dead. */
  failed: boolean;
}

const FAILED = new Set(['failed', 'dead']);

function firstLine(text: string | null): string {
  return (text ?? '').split('\n')[0] ?? '';
}

/** The receiver names a replay would run for `event`, before running it. */
function namesFor(pay: Payments, event: EventDetails, which: Which): string[] {
  if (which === 'failed') {
    return event.deliveries.filter((d) => FAILED.has(d.status)).map((d) => d.receiver);
  }
  if (which === 'all') {
    // The receivers of its own type, and those of the payment signal it emitted (each has a
    // delivery of the event), as pay.replay() runs them.
    const own = pay.registry
      .match(event.type, event.variant)
      .filter((r) => !isPaymentPattern(r.pattern));
    const payment = event.deliveries.filter((d) => {
      const entry = pay.registry.get(d.receiver);
      return entry !== undefined && isPaymentPattern(entry.pattern);
    });
    return [...new Set([...own.map((r) => r.name), ...payment.map((d) => d.receiver)])];
  }
  return [...which];
}

/** Replays one event; never throws for a receiver failure (it is in the outcome). */
export async function replayEvent(
  pay: Payments,
  event: EventDetails,
  which: Which,
): Promise<ReplayOutcome> {
  const base = { id: event.id, eventId: event.eventId, variant: event.variant, type: event.type };
  const names = namesFor(pay, event, which);
  if (names.length === 0) {
    return {
      ...base,
      status: event.status,
      deliveries: [],
      failed: false,
      skipped:
        which === 'failed'
          ? 'no failed deliveries (--all re-runs every receiver)'
          : 'no registered receiver matches it',
    };
  }
  const missing = names.filter((name) => pay.registry.get(name) === undefined);
  if (missing.length > 0) {
    return {
      ...base,
      status: event.status,
      deliveries: [],
      failed: true,
      skipped: `receiver ${missing.join(', ')} is not registered in this process (import it in the config module)`,
    };
  }
  const after = await pay.replay(event.id, { receivers: which });
  const ran = after.deliveries.filter((d) => names.includes(d.receiver));
  return {
    ...base,
    status: after.status,
    deliveries: ran,
    failed: ran.some((d) => FAILED.has(d.status)),
  };
}

/** One line about an outcome: `#12 evt_... processed: a succeeded, b failed (attempt 3): Error`. */
export function describeOutcome(outcome: ReplayOutcome): string {
  const head = `#${outcome.id} ${outcome.eventId}`;
  if (outcome.skipped !== undefined) return `${head} skipped: ${outcome.skipped}`;
  const parts = outcome.deliveries.map((d) =>
    FAILED.has(d.status)
      ? `${d.receiver} ${d.status} (attempt ${d.attempts}): ${firstLine(d.lastError)}`
      : d.status === 'pending' && d.deferredReason !== null
        ? `${d.receiver} deferred: ${d.deferredReason}`
        : `${d.receiver} ${d.status}`,
  );
  return `${head} ${outcome.status}: ${parts.join(', ')}`;
}

/**
 * Replays events one after the other, with a progress bar when there are several; returns the
 * outcomes. `load` fetches an event's details just before its replay.
 */
export async function replayAll(
  pay: Payments,
  events: readonly (StoredEvent | EventDetails)[],
  which: Which,
  out: Output,
  quiet: boolean,
  load: (event: StoredEvent) => Promise<EventDetails>,
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const progress = !quiet && events.length > 1 ? out.progress(events.length) : undefined;
  try {
    for (const event of events) {
      const details = 'deliveries' in event ? event : await load(event);
      const outcome = await replayEvent(pay, details, which);
      outcomes.push(outcome);
      if (progress !== undefined) {
        if (outcome.failed && out.stderr.isTTY === true) progress.note(describeOutcome(outcome));
        progress.tick(describeOutcome(outcome));
      } else if (!quiet) {
        out.line(describeOutcome(outcome));
      }
    }
  } finally {
    progress?.done();
  }
  return outcomes;
}

/** `3 events: 2 processed, 1 still failing, 0 skipped`. */
export function summary(outcomes: readonly ReplayOutcome[]): string {
  const failing = outcomes.filter((o) => o.failed).length;
  const skipped = outcomes.filter((o) => o.skipped !== undefined && !o.failed).length;
  const fixed = outcomes.length - failing - skipped;
  const noun = outcomes.length === 1 ? 'event' : 'events';
  return `${outcomes.length} ${noun}: ${fixed} ok, ${failing} still failing, ${skipped} with nothing to run.`;
}
