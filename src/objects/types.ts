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

/**
 * The newest known state of one provider object (`pay.objects`), as the events stored so far
 * tell it: see docs/objects-and-payments.md for what the mirror guarantees.
 */
export interface ObjectState {
  /** Row id; objects are listed newest first by it (the order they were first seen in). */
  id: number;
  variant: string;
  /** The provider's object type (`payment_intent`, `transaction`, `subscriptions`, ...). */
  objectType: string;
  /** The object's id at the provider. */
  objectId: string;
  /** The version of this state (microseconds since the epoch); null when the provider gives none. */
  version: number | null;
  /** The object as the event that set this state carried it (that event's `signal.data`). */
  data: unknown;
  /** Row id of the event that set this state; null once that event has been deleted. */
  event: number | null;
  /** When this state was stored. */
  updatedAt: Date;
  /**
   * When an event of the same version but other content arrived (a tie, common with Stripe's
   * one-second `created`) on a variant with API access: this state may not be the newest, fetch
   * the object from the provider's API. Cleared by the next newer state. Null otherwise.
   */
  refreshRequestedAt: Date | null;
}

/**
 * Filter of `pay.objects.list()`.
 *
 * @example
 * const page = await pay.objects.list({ variant: 'stripe', type: 'subscription', limit: 50 });
 * const next = await pay.objects.list({ variant: 'stripe', type: 'subscription', before: page.at(-1)?.id });
 */
export interface ObjectFilter {
  variant?: string;
  /** The provider's object type. */
  type?: string;
  /** Only entries marked for a refresh (true), or only unmarked ones (false). */
  needsRefresh?: boolean;
  /** Entries with a row id below this one: pass the last `id` of a page for the next page. */
  before?: number;
  /**
   * At most this many, newest first.
   * @default 100
   */
  limit?: number;
}

/** Reading the objects mirror (`pay.objects`). */
export interface ObjectsApi {
  /**
   * The newest known state of an object, or undefined when no stored event named it.
   *
   * @example
   * const sub = await pay.objects.get('stripe', 'subscription', 'sub_1Pz...');
   * if (sub?.refreshRequestedAt) await stripe.subscriptions.retrieve(sub.objectId);
   */
  get(variant: string, type: string, id: string): Promise<ObjectState | undefined>;
  /** Entries matching a filter, newest first (keyset pages: see {@link ObjectFilter.before}). */
  list(filter?: ObjectFilter): Promise<ObjectState[]>;
}
