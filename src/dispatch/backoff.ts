/**
 * Retry schedule: exponential backoff with full jitter, between `minDelayMs` and `maxDelayMs`.
 * With the defaults (5 s, 6 h, 10 attempts) the ceilings run 5 s, 10 s, 20 s ... and reach hours
 * by the last attempts, close to Stripe's and Svix's practice of retrying over about a day.
 */
import type { RetrySettings } from '../settings.js';

/**
 * Delay before the retry that follows failed attempt number `attempt` (1-based): a uniformly
 * random point between `minDelayMs` and `min(maxDelayMs, minDelayMs * 2^(attempt-1))`, so a burst
 * of failures spreads out instead of retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  retry: Required<RetrySettings>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(retry.minDelayMs + random() * (ceiling - retry.minDelayMs));
}

/** When to try again after failed attempt `attempt`, or null when it was the last one. */
export function nextAttemptAt(
  attempt: number,
  retry: Required<RetrySettings>,
  now: Date = new Date(),
): Date | null {
  if (attempt >= retry.maxAttempts) return null;
  return new Date(now.getTime() + backoffDelay(attempt, retry));
}
