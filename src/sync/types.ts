/**
 * The public types of sync, reconcile and the periodic catch-up: what `pay.sync()`,
 * `pay.reconcile()` and `pay.syncState()` take and return, and the `sync` option of a variant.
 */
import type { StoredEvent } from '../store/types.js';

/** Counts of a sync, so far (`onProgress`) or in the end (`pay.sync()`). */
export interface SyncResult {
  /** Objects the provider's API listed, including those that make no event (a pending transaction). */
  fetched: number;
  /** Events stored now, whose receivers ran. */
  stored: number;
  /** Events that were already stored (their webhook, or an earlier sync), left as they were. */
  duplicates: number;
}

/** What `onProgress` is told after each page and each event. */
export interface SyncProgress extends SyncResult {
  /** Pages listed so far. */
  pages: number;
}

/** Options of `pay.sync()`. */
export interface SyncOptions {
  /**
   * From when: a Date, or a duration back from now (`'72h'`, `'30d'`, `'90m'`). Stripe keeps
   * events for 30 days.
   */
  since: Date | string;
  /**
   * Only these event types, written as receivers write them: exact (`'charge.succeeded'`),
   * `'prefix.*'` or `'*'`.
   * @default every type
   */
  types?: readonly string[];
  /** Called after each page listed and each event stored, with the counts so far. */
  onProgress?: (progress: SyncProgress) => void;
  /**
   * List and compare with the store without storing anything: the result's `duplicates` counts
   * the events already stored and `missing` those a sync would store.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Stops the sync between two events: it then rejects with a `SyncError` whose `cause` is the
   * signal's reason; what was stored stays stored.
   */
  signal?: AbortSignal;
}

/** What `pay.sync()` resolves with. */
export interface SyncOutcome extends SyncResult {
  /** With `dryRun`: the events a sync would store. */
  missing?: number;
}

/**
 * What `pay.reconcile()` found about one reference:
 * - `stored`: the provider reports it settled; its event is stored now and its receivers ran;
 * - `duplicate`: that event was already stored (its webhook came, or an earlier reconcile);
 * - `pending`: the payment is still in progress at the provider; nothing is stored;
 * - `not_found`: the provider does not know the reference, or no event settles it (a Paystack
 *   transaction that failed, which no webhook reports).
 */
export type ReconcileStatus = 'stored' | 'duplicate' | 'pending' | 'not_found';

/** One reference's result. */
export interface ReconcileResult {
  /** As given. */
  reference: string;
  status: ReconcileStatus;
  /** The provider's status of the payment, when it answered (`succeeded`, `abandoned`, ...). */
  paymentStatus?: string;
  /** The stored event (`stored`, `duplicate`). */
  event?: StoredEvent;
}

/**
 * The periodic catch-up of a variant: every `every`, a worker lists what the provider's API has
 * since `lookback` ago (and since the last successful run, when the worker was down longer) and
 * stores what is missing, as `pay.sync()` does. One process at a time runs it (a lease row).
 *
 * @example
 * variants: { stripe: { provider: 'stripe', endpointSecret, apiKey, sync: { every: '15m', lookback: '1h' } } }
 */
export interface SyncSchedule {
  /** How often: a duration (`'15m'`). */
  every: string;
  /**
   * How far back each run lists: a duration (`'1h'`). Longer than a payment may take to settle
   * (Paystack and Flutterwave list transactions by when they were created), and a run also
   * starts where the last successful one ended when that is earlier.
   */
  lookback: string;
  /**
   * Only these event types (as for `pay.sync()`).
   * @default every type
   */
  types?: readonly string[];
}

/** What the store records about a variant's periodic catch-up (`pay.syncState()`). */
export interface SyncState {
  variant: string;
  /** When the last run started. */
  lastRunAt: Date | null;
  /** When it ended; null while it runs (or when its process died). */
  lastFinishedAt: Date | null;
  /** How it ended. */
  lastStatus: 'succeeded' | 'failed' | null;
  /**
   * What it found: the counts and the window listed, or the error's code and message.
   */
  lastResult: SyncRunRecord | null;
  /** The end of the window the last successful run listed: the next run starts there at the latest. */
  coveredUntil: Date | null;
  /** The process running it now (`host:pid`), while its lease holds. */
  leaseHolder: string | null;
  leaseUntil: Date | null;
}

/** One run as recorded. */
export interface SyncRunRecord extends Partial<SyncResult> {
  /** The window listed. */
  since: string;
  until: string;
  durationMs: number;
  /** A failed run's error. */
  error?: { code: string; message: string };
}
