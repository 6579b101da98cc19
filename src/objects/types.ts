/**
 * Normalized payment signals: `payment:succeeded`, `payment:failed` and `payment:refunded`, one
 * shape ({@link PaymentFacts}) whatever the provider. Each provider's `facts.ts` reads them from
 * its own events; see docs/objects-and-payments.md for the mapping.
 */

/**
 * What a normalized payment signal carries, the same for every provider.
 *
 * @example
 * receiver('payment:succeeded', async function markPaid({ data }: Signal<'payment:succeeded'>) {
 *   await orders.markPaid(data.reference, data.amount, data.currency); // idempotent per payment
 * });
 */
export interface PaymentFacts {
  /** The provider name (`stripe`, `paystack`, ...). */
  provider: string;
  /** The variant the event came in on. */
  variant: string;
  /**
   * Your reference for the payment where the provider carries one (Paystack's `reference`,
   * Flutterwave's `tx_ref`, Checkout's `client_reference_id`, ...), else the provider's payment id.
   */
  reference: string;
  /** The provider's id of the payment, the same in every event about it (Stripe: the PaymentIntent). */
  paymentId: string;
  /**
   * An integer in the currency's ISO 4217 minor units (cents, kobo; yen for JPY, fils for KWD).
   * For `payment:refunded`, the amount refunded (see docs/objects-and-payments.md per provider).
   */
  amount: number;
  /** The ISO 4217 code, upper case (`USD`, `NGN`). */
  currency: string;
  /** The provider's own status of the object the event carries, as sent (`succeeded`, `COMPLETED`, ...). */
  status: string;
  /** The paying customer, as far as the event says. */
  customer?: { id?: string; email?: string };
  /** Your own data attached to the payment (Stripe `metadata`, Paddle `custom_data`, ...); `{}` when none. */
  metadata: Record<string, unknown>;
  /** When it happened, as the provider says (the event's time, else the object's). */
  occurredAt: Date;
}

/** The names of the normalized payment signals. */
export type PaymentSignalName = 'payment:succeeded' | 'payment:failed' | 'payment:refunded';

declare module '../signals/types.js' {
  interface PaymentSignals {
    /** A payment succeeded, whatever the provider. */
    'payment:succeeded': PaymentFacts;
    /** A payment failed, whatever the provider. */
    'payment:failed': PaymentFacts;
    /** A payment was refunded, in full or in part, whatever the provider. */
    'payment:refunded': PaymentFacts;
  }
}
