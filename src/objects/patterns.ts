/**
 * The names of the normalized payment signals and the patterns that subscribe to them. A colon
 * marks them, so that no provider's own type (Payvost's `payment.succeeded`) collides with them.
 */
import type { PaymentSignalName } from './types.js';

/** The normalized payment signals. */
export const PAYMENT_SIGNALS: readonly PaymentSignalName[] = [
  'payment:succeeded',
  'payment:failed',
  'payment:refunded',
];

/** What `receiver()` accepts for them: a name, or `payment:*` for all three. */
export const PAYMENT_PATTERNS: readonly string[] = [...PAYMENT_SIGNALS, 'payment:*'];

/** Whether `name` is one of the normalized payment signals. */
export function isPaymentSignal(name: unknown): name is PaymentSignalName {
  return (PAYMENT_SIGNALS as readonly unknown[]).includes(name);
}

/** Whether a receiver pattern subscribes to normalized payment signals (and to nothing else). */
export function isPaymentPattern(pattern: string): boolean {
  return PAYMENT_PATTERNS.includes(pattern);
}
