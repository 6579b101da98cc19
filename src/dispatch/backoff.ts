/**
 * Retry schedule: exponential backoff (factor 4) with full jitter, between `minDelayMs` and
 * `maxDelayMs`. With the defaults (10 s, 6 h, 10 attempts) the ceilings after each failed attempt
 * are 10 s, 40 s, 2.7 min, 10.7 min, 43 min, 2.8 h, then 6 h: the last attempt comes at most about
 * 22 hours after the first, in the spirit of Svix's (about a day) and Stripe's (up to three days)
 * retry schedules.
 */
import type { RetrySettings } from '../settings.js';

/** What the schedule reads of the retry settings. */
export type BackoffSchedule = Required<
  Pick<RetrySettings, 'maxAttempts' | 'minDelayMs' | 'maxDelayMs'>
>;

/** Growth of the ceiling per failed attempt. */
export const BACKOFF_FACTOR = 4;

/** The largest delay after failed attempt `attempt` (1-based), before jitter. */
export function backoffCeiling(attempt: number, retry: BackoffSchedule): number {
  return Math.min(retry.maxDelayMs, retry.minDelayMs * BACKOFF_FACTOR ** Math.max(0, attempt - 1));
}

/**
 * Delay before the retry that follows failed attempt number `attempt` (1-based): a uniformly
 * random point between `minDelayMs` and the ceiling, so that a burst of failures spreads out
 * instead of retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  retry: BackoffSchedule,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, retry);
  return Math.round(retry.minDelayMs + random() * (ceiling - retry.minDelayMs));
}

/** When to try again after failed attempt `attempt`, or null when it was the last one. */
export function nextAttemptAt(
  attempt: number,
  retry: BackoffSchedule,
  now: Date = new Date(),
): Date | null {
  if (attempt >= retry.maxAttempts) return null;
  return new Date(now.getTime() + backoffDelay(attempt, retry));
}

/**
 * Delay before a deferred delivery runs again when its receiver gave no `after`: a uniformly
 * random point between `minDelayMs` and the time it has been deferred so far (at most
 * `maxDelayMs`), so that the waits grow about geometrically while deferrals use no attempt.
 */
export function deferralDelay(
  deferredMs: number,
  retry: BackoffSchedule,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, Math.max(retry.minDelayMs, deferredMs));
  return Math.round(retry.minDelayMs + random() * (ceiling - retry.minDelayMs));
}
