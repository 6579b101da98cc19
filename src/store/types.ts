/**
 * Row shapes of the tables the library owns, as the public API returns them, and what a run
 * records on a delivery row.
 */

/** Event status: `pending` until every delivery settled. */
export type EventStatus = 'pending' | 'processed' | 'failed' | 'ignored';

/**
 * Delivery status: one receiver's progress on one event. `skipped`: a `skipStale` receiver's
 * delivery of a stale event, never run (a replay may still run it); it counts as settled.
 */
export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'dead' | 'skipped';

/**
 * Where a stored event came from: a webhook the provider sent, or the provider's API, listed by
 * `pay.sync()` (and the periodic catch-up) or found by `pay.reconcile()`.
 */
export type EventSource = 'webhook' | 'sync' | 'reconcile';

/** A stored event (the `events` table). */
export interface StoredEvent {
  /** Row id. */
  id: number;
  variant: string;
  provider: string;
  /** The provider's event id, or the id derived from the payload. */
  eventId: string;
  type: string;
  livemode: boolean | null;
  /** The parsed payload (stored as the JSON text received). */
  payload: unknown;
  status: EventStatus;
  receivedAt: Date;
  /** When the provider created the event, when it says (use it to order events). */
  createdAt: Date | null;
  processedAt: Date | null;
  /**
   * Why koa-payments stored the event as `ignored`, without running any receiver, when it
   * received it: `'mode_mismatch'`, a test-mode event at a `mode: 'live'` variant (or the other
   * way round). Null otherwise. A later replay that runs receivers does not clear it.
   */
  ignoredReason: IgnoredReason | null;
  /**
   * Whether a newer event about the same provider object had been stored before this one
   * (docs/objects-and-payments.md); receivers see it as `signal.stale`.
   */
  stale: boolean;
  /**
   * The variant's dedupe group (its `dedupeGroup` setting, else its name): one event id is
   * stored once per group, whichever of its variants received it first.
   */
  dedupeGroup: string;
  /** Where it came from; a later copy from elsewhere is a duplicate and changes nothing. */
  source: EventSource;
}

/** Why an event was stored without running receivers (see {@link StoredEvent.ignoredReason}). */
export type IgnoredReason = 'mode_mismatch';

/** A delivery (the `deliveries` table): one receiver on one event. */
export interface Delivery {
  id: number;
  /** Row id of the event. */
  event: number;
  receiver: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  lockedUntil: Date | null;
  completedAt: Date | null;
  /**
   * Why the receiver deferred the delivery (`throw new RetryLater(reason)`), while it is
   * deferred: then its status is `pending` and it runs again at `nextAttemptAt`. Null otherwise.
   */
  deferredReason: string | null;
  /** When the receiver first deferred it (`retry.deferFor` counts from here); null otherwise. */
  deferredSince: Date | null;
}

/** One logged request (the `requests` table). */
export interface RequestLogEntry {
  id: number;
  variant: string;
  receivedAt: Date;
  remoteIp: string | null;
  /** Headers as received, secrets redacted. */
  headers: Record<string, string | string[]>;
  /**
   * The body, truncated to `requestLog.maxBody` bytes (null when it was never read). The body of
   * a request that stored an event is that event's payload, and is read back from the event row.
   */
  body: string | null;
  /** Size of the full body in bytes, when it was read. */
  bodySize: number | null;
  valid: boolean;
  statusCode: number;
  /** Error code, or `invalid_signature:<reason>`. */
  error: string | null;
  /** Row id of the stored event, for valid requests. */
  event: number | null;
  durationMs: number;
}

/**
 * A delivery as the runner that leased it holds it: by a claim (the worker, a redelivery, a
 * replay) or from birth (the request that stored the event). Internal: not in the public API.
 */
export interface LeasedDelivery extends Delivery {
  /**
   * The token of the lease, written on the row by the claim. The runner renews the lease and
   * records the outcome only while the row still carries it: once another runner has claimed
   * the delivery (after the lease expired), the first one's writes change nothing.
   */
  lease: string;
  /** The attempt this run is (a claim counts it in `attempts` at once; a new delivery's is 1). */
  attempt: number;
}

/** What a run records for one delivery (the store writes it; the dispatcher decides it). */
export interface OutcomeRecord {
  /** `deferred`: the receiver threw RetryLater; the delivery stays pending, the attempt uncounted. */
  status: 'succeeded' | 'failed' | 'dead' | 'deferred';
  error?: string;
  /** Why it was deferred. */
  reason?: string;
  nextAttemptAt?: Date | null;
  /** The attempt claimed never ran (the one before never finished and was the last one). */
  abandoned?: boolean;
}
