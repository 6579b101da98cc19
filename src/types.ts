/**
 * The public types of an instance: what it hands out, what its hooks report, what it reads and
 * filters, and the logger it writes to. The settings' own types are in settings-types.ts, the
 * receivers' in signals/, a provider's in providers/types.ts; `index.ts` re-exports them all.
 */

import type { Knex } from 'knex';
import type { SuccessAnswer } from './providers/types.js';
import type {
  Delivery,
  DeliveryStatus,
  EventSource,
  EventStatus,
  IgnoredReason,
  RequestLogEntry,
  StoredEvent,
} from './store/types.js';
import type { SyncResult } from './sync/types.js';

export type {
  Delivery,
  DeliveryStatus,
  EventSource,
  EventStatus,
  IgnoredReason,
  RequestLogEntry,
  StoredEvent,
};

/**
 * `{ debug, info, warn, error }`, called pino-style: `(fields, message)`. pino and console fit.
 *
 * @example
 * payments({ logger: pino(), variants });
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One event of a received request, and whether it had been stored before. */
export interface ReceivedEvent {
  event: StoredEvent;
  duplicate: boolean;
}

/** Outcome of receiving one webhook (`pay.receive()`). */
export interface Received {
  /** The request's event; its first, when it carries several. */
  event: StoredEvent;
  /** Whether it had been stored before; with several events, whether every one had. */
  duplicate: boolean;
  /**
   * Every event of the request, in the provider's order, each id once: one entry, unless the
   * provider returns several from one request (Adyen's notification items).
   */
  events: readonly ReceivedEvent[];
  /**
   * The provider's own success answer, when it expects one (Adyen's `[accepted]`): the
   * middleware sends it instead of the JSON body; send it too when you call `pay.receive()`
   * from another server.
   */
  answer?: SuccessAnswer;
  /** Settles when the after-commit receivers of this request have run and been recorded. */
  dispatched: Promise<void>;
}

/**
 * What `pay.on()` reports, through emittery.
 *
 * @example
 * pay.on('delivery.dead', ({ event, receiver }) => alertOps(event.eventId, receiver));
 */
export interface PaymentsHooks {
  /** An event was stored (after COMMIT). */
  'event.stored': { event: StoredEvent; duplicate: boolean };
  /** A receiver ran and succeeded. */
  'delivery.succeeded': { event: StoredEvent; receiver: string; attempt: number };
  /** A receiver threw; it will be retried at `nextAttemptAt`. */
  'delivery.failed': {
    event: StoredEvent;
    receiver: string;
    attempt: number;
    error: unknown;
    nextAttemptAt: Date;
  };
  /** A receiver failed its last attempt. */
  'delivery.dead': { event: StoredEvent; receiver: string; attempt: number; error: unknown };
  /** A group commit made `size` units of work (event stores, outcome records) durable at once. */
  'store.committed': { size: number };
  /** Every delivery of a dispatch run has settled; `status` is the event's new status. */
  'event.settled': { event: StoredEvent; status: EventStatus };
  /**
   * A variant with `expectEvery` has received no valid webhook for that long (reported once per
   * silence, by one instance, at a check of the retry worker).
   */
  'variant.silent': {
    variant: string;
    /** `expectEvery`, in ms. */
    expectEvery: number;
    /** The last valid webhook on record; null when none ever came. */
    lastWebhookAt: Date | null;
    /** When the silence began: the last webhook (or the start of the watch) plus `expectEvery`. */
    silentSince: Date;
  };
  /** A silent variant received a valid webhook again. */
  'variant.resumed': { variant: string; lastWebhookAt: Date; silentSince: Date };
  /** A periodic catch-up run of this process listed the window and stored what was missing. */
  'sync.completed': { variant: string; since: Date; until: Date; result: SyncResult };
  /** A periodic catch-up run of this process stopped (a `SyncError`); the next run lists its window again. */
  'sync.failed': { variant: string; since: Date; until: Date; error: unknown };
}

/**
 * Filter of `pay.events.list()`.
 *
 * @example
 * await pay.events.list({ status: ['failed', 'pending'], variant: 'stripe', limit: 20 });
 */
export interface EventFilter {
  status?: EventStatus | readonly EventStatus[];
  type?: string;
  variant?: string;
  /** Events received at or after this time. */
  since?: Date;
  /**
   * At most this many, newest first.
   * @default 100
   */
  limit?: number;
}

/**
 * Filter of `pay.requests.list()`. `before` / `after` are keyset cursors: the row id a page
 * starts after (older lines, newest first) or before (newer lines).
 *
 * @example
 * const next = await pay.requests.list({ valid: false, before: page.at(-1)!.id });
 */
export interface RequestFilter {
  variant?: string;
  /** Only accepted (`true`) or only refused (`false`) requests. */
  valid?: boolean;
  /** Only requests answered with this HTTP status. */
  statusCode?: number;
  /** Requests received at or after this time. */
  since?: Date;
  /**
   * At most this many, newest first.
   * @default 100
   */
  limit?: number;
  /** Lines older than the line of this id (the next page). */
  before?: number;
  /** Lines newer than the line of this id (the previous page). */
  after?: number;
}

/** An event with its deliveries and its request-log lines. */
export interface EventDetails extends StoredEvent {
  deliveries: Delivery[];
  requests: RequestLogEntry[];
}

/** Which receivers `replay()` re-runs. */
export interface ReplayOptions {
  /**
   * `'failed'`: the failed and dead deliveries. `'all'`: every receiver that matches the event
   * now, succeeded ones included (new receivers get a delivery). Or receiver names.
   * @default 'failed'
   */
  receivers?: 'failed' | 'all' | readonly string[];
  /** The variant, when a provider event id is given and several variants hold it. */
  variant?: string;
}

/**
 * What `pay.prune()` deletes. Each cut-off is a `Date`, or an age in milliseconds; omitted, the
 * configured retention applies (`requestLog.retentionDays`, `events.retentionDays`: none keeps
 * events forever); `false` leaves that table alone.
 *
 * @example
 * await pay.prune({ events: 90 * 86_400_000, dryRun: true });
 */
export interface PruneOptions {
  /** Request-log lines received before this. */
  requests?: Date | number | false;
  /**
   * Settled events (`processed` or `ignored`, every delivery succeeded) received and settled
   * before this, with their deliveries. Pending and failed events are never pruned.
   */
  events?: Date | number | false;
  /**
   * Count what would be deleted, and delete nothing.
   * @default false
   */
  dryRun?: boolean;
}

/** What `pay.prune()` deleted (or, with `dryRun`, would delete). */
export interface PruneResult {
  /** Request-log lines. */
  requests: number;
  /** Settled events. */
  events: number;
  /** Deliveries of those events. */
  deliveries: number;
  /** The cut-offs applied; null for a table left alone. */
  before: { requests: Date | null; events: Date | null };
  dryRun: boolean;
}

/** Reading stored events (`pay.events`). */
export interface EventsApi {
  /**
   * Events matching a filter, newest first (default limit 100).
   *
   * @example
   * const failed = await pay.events.list({ status: 'failed', since: new Date(Date.now() - 864e5) });
   */
  list(filter?: EventFilter): Promise<StoredEvent[]>;
  /**
   * An event with its deliveries and request-log lines: by row id, or by the provider's event id
   * (with `variant` when several variants hold it). Undefined when there is none.
   *
   * @example
   * const details = await pay.events.get('evt_1Pz...', 'stripe');
   */
  get(id: number | string, variant?: string): Promise<EventDetails | undefined>;
}

/** Reading the request log (`pay.requests`). */
export interface RequestsApi {
  /**
   * Logged requests matching a filter, newest first (default limit 100). Pass the id of a page's
   * last line as `before` for the next page.
   *
   * @example
   * const refused = await pay.requests.list({ valid: false, since: new Date(Date.now() - 864e5) });
   */
  list(filter?: RequestFilter): Promise<RequestLogEntry[]>;
  /** A logged request by its row id (headers as stored, redacted; the body as stored, truncated). */
  get(id: number): Promise<RequestLogEntry | undefined>;
}

/** A paused receiver, as its row is stored. */
export interface PausedReceiver {
  receiver: string;
  pausedAt: Date;
  /** What the operator said when pausing it, if anything. */
  reason: string | null;
}

/** Options of `pay.runOnce()`. */
export interface RunOnceOptions {
  /**
   * The caller's Knex transaction (on the payments database): the key is claimed in it, and
   * the claim commits or rolls back with it. `fn` should write through it too.
   */
  trx?: Knex.Transaction;
  /**
   * How long a caller waits for a run of the same key in progress elsewhere, in ms. Past it,
   * the call rejects with a `RunOnceBusyError` (code `run_once_busy`) and runs nothing.
   * @default 30_000
   */
  waitMs?: number;
}

/** What `pay.runOnce()` resolves with: whether `fn` ran in this call, and what it returned. */
export type RunOnceResult<T> = { ran: true; result: T } | { ran: false; result?: undefined };

/** A receiver's pause, as `pay.pause()`, `pay.resume()` and `pay.paused()` report it. */
export interface ReceiverPause {
  receiver: string;
  /** Whether it is paused now. */
  paused: boolean;
  /** When it was paused (null when it is not). */
  pausedAt: Date | null;
  /** What the operator said when pausing it. */
  reason: string | null;
  /** Whether this call changed it (false: it was already paused, or already running). */
  changed: boolean;
  /** Its deliveries waiting to run: pending, failed (to be retried) or running. */
  waiting: number;
}
