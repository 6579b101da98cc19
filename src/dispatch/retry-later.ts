/**
 * `RetryLater`: what a receiver throws to say "not yet" without failing, when the app's own
 * record is not there yet (the webhook beat the checkout request that creates the order).
 */
import { durationMs } from '../duration.js';

/** Options of {@link RetryLater}. */
export interface RetryLaterOptions {
  /**
   * When to run the delivery again: milliseconds, or a duration string (`'2s'`, `'5m'`).
   * @default the deferral schedule: a random delay from `retry.minDelayMs` up to the time
   * deferred so far (at most `retry.maxDelayMs`)
   */
  after?: number | string;
}

/** Marks a RetryLater, so that one thrown by another copy of the library is still known. */
const BRAND = Symbol.for('koa-payments.RetryLater');

/**
 * Whether `error` is a {@link RetryLater}, from this copy of the library or another (a loader
 * that evaluates the package twice, an app with two installed copies).
 */
export function isRetryLater(error: unknown): error is RetryLater {
  return (
    error instanceof RetryLater ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { [BRAND]?: unknown })[BRAND] === true)
  );
}

/**
 * Thrown by a receiver: the delivery stays `pending` and runs again after `after`. It does not
 * use up an attempt, fires no `delivery.failed` hook, and is logged at debug, until
 * `retry.deferFor` (default 24 hours) has passed since its first deferral; from then on it
 * fails as any error does. The events API, `koa-payments events show` and the dashboard show
 * the delivery as deferred, with the reason.
 *
 * @example
 * receiver('payment:succeeded', async function fulfil({ data }) {
 *   const order = await db('orders').where({ reference: data.reference }).first();
 *   if (order === undefined) throw new RetryLater('order not created yet', { after: '30s' });
 *   await fulfilOrder(order);
 * });
 */
export class RetryLater extends Error {
  /** @internal */
  readonly [BRAND] = true;
  /** Stable code: `'retry_later'`. */
  readonly code = 'retry_later';
  /** Why the receiver deferred; shown with the delivery. */
  readonly reason: string;
  /** The `after` option in milliseconds; undefined for the deferral schedule. */
  readonly afterMs: number | undefined;

  constructor(reason: string, options: RetryLaterOptions = {}) {
    super(reason);
    this.name = 'RetryLater';
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError('koa-payments: RetryLater needs a reason (a non-empty string)');
    }
    this.reason = reason;
    const after = options.after;
    this.afterMs = after === undefined ? undefined : durationMs(after);
    if (after !== undefined && this.afterMs === undefined) {
      throw new TypeError(
        `koa-payments: RetryLater's after must be milliseconds (≥ 0) or a duration such as '30s' or '5m', got ${JSON.stringify(after)}`,
      );
    }
  }
}
