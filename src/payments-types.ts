/**
 * The type of a `payments()` instance, with the documentation of each member. payments.ts
 * re-exports it and wires the parts its members delegate to (src/instance/ groups them by area).
 */
import type Emittery from 'emittery';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import type { DashboardOptions } from './dashboard/index.js';
import type { ObjectsApi } from './objects/types.js';
import type { WebhookRequest } from './providers/types.js';
import type { VariantSettings } from './settings.js';
import type { Registry } from './signals/registry.js';
import type { ReconcileResult, SyncOptions, SyncOutcome, SyncState } from './sync/types.js';
import type {
  EventDetails,
  EventsApi,
  PausedReceiver,
  PaymentsHooks,
  PruneOptions,
  PruneResult,
  Received,
  ReceiverPause,
  ReplayOptions,
  RequestsApi,
  RunOnceOptions,
  RunOnceResult,
} from './types.js';

/** A `payments()` instance. */
export interface Payments {
  /** The Koa middleware (named `koaPayments`). Paths outside the prefix call `next()`. */
  readonly middleware: Middleware;
  /**
   * Runs the shipped migrations in the library's own migrations table. Idempotent, and safe to
   * call from several processes at once (every instance at start-up).
   */
  migrate(): Promise<void>;
  /** The public URL of a variant's route, to register in the provider's dashboard. */
  webhookUrl(variant: string): string;
  /**
   * Shuts the instance down: answers 503 `store_unavailable` to new webhooks (and rejects new
   * `receive()` calls with it, and the operator's calls that write: `sync()`, `reconcile()`,
   * `replay()`, `prune()`, ...), stops the worker, waits for the webhooks already taken in to be
   * stored and their receivers to run and be recorded (a group-commit batch gathering commits at
   * once) and for the operator's calls in progress, waits for the receivers still running, then
   * closes the database if the library opened it (never the host's). Idempotent: a second call
   * returns the same promise.
   *
   * Past `timeoutMs` it logs a warning with the count and goes on: no receiver starts any more
   * (deliveries claimed after that are left to a worker), a webhook not stored before the
   * library's own database closes is answered 503 and redelivered by its provider, and a
   * receiver still running is run again by a worker after its lease. Closing the database waits
   * for connections in use, which can take longer than `timeoutMs`. A `timeoutMs` that is not a
   * number ≥ 0 rejects with a TypeError; `Infinity` waits as long as it takes.
   *
   * @example
   * process.once('SIGTERM', async () => {
   *   server.close();
   *   await pay.close({ timeoutMs: 20_000 });
   * });
   */
  close(options?: {
    /**
     * How long to wait in all, in ms, for the webhooks taken in and the receivers running.
     * @default 10_000
     */
    timeoutMs?: number;
  }): Promise<void>;
  /** The receiver registry this instance dispatches to. */
  readonly registry: Registry;
  /** The Knex instance events are stored through. */
  readonly knex: Knex;
  /** The configured variant names. */
  readonly variants: readonly string[];
  /**
   * Receives a webhook without HTTP (the middleware calls this): verify, store, dispatch.
   * Rejects with a `PaymentsError` exactly where the middleware would answer an error.
   */
  receive(variant: string, request: WebhookRequest): Promise<Received>;
  /** Stored events. */
  readonly events: EventsApi;
  /** The request log: every POST to a variant, refused ones included. */
  readonly requests: RequestsApi;
  /**
   * The objects mirror: the newest known state of each provider object the stored events are
   * about (docs/objects-and-payments.md).
   *
   * @example
   * const sub = await pay.objects.get('stripe', 'subscription', 'sub_1Pz...');
   */
  readonly objects: ObjectsApi;
  /**
   * A variant's settings as configured (provider and options, secrets included), for
   * koa-payments/testing and tools that sign test webhooks. Throws for an unknown variant.
   */
  variantSettings(variant: string): Readonly<VariantSettings>;
  /**
   * Re-runs receivers of a stored event now and resolves when they have run. Deliveries leased
   * by a runner at that moment are left to it.
   *
   * @example
   * await pay.replay('evt_1Pz...', { receivers: ['orders.mark-paid'] });
   */
  replay(id: number | string, options?: ReplayOptions): Promise<EventDetails>;
  /**
   * The operator dashboard as a Koa middleware (named `koaPaymentsDashboard`): server-rendered
   * pages of the request log, events, deliveries and the last 24 hours, with replay and retry
   * buttons. `authorize` is required; see docs/dashboard.md.
   *
   * @example
   * app.use(pay.dashboard({
   *   path: '/payments/admin',
   *   authorize: (ctx) => ctx.state.user?.admin === true,
   * }));
   */
  dashboard(options: DashboardOptions): Middleware;
  /** Starts the retry worker (idempotent); `payments()` starts it unless `worker: false`. */
  startWorker(): void;
  /** Stops the retry worker and waits for its current batch. */
  stopWorker(): Promise<void>;
  /** Runs one worker batch now; resolves with how many deliveries ran. */
  runDueDeliveries(): Promise<number>;
  /**
   * Deletes request-log lines and settled events (with their deliveries) past their retention,
   * or past the cut-offs given; resolves with how many. The worker does it hourly. Pending and
   * failed events are never pruned; `events.retentionDays` unset keeps events forever.
   *
   * @example
   * await pay.prune(); // the configured retentions
   * await pay.prune({ events: new Date('2025-01-01'), requests: false, dryRun: true });
   */
  prune(options?: PruneOptions): Promise<PruneResult>;
  /**
   * Subscribes to lifecycle hooks (`event.stored`, `delivery.succeeded`, `delivery.failed`,
   * `delivery.dead`, `event.settled`, `store.committed` for each group commit,
   * `variant.silent` / `variant.resumed` for variants with `expectEvery`, and `sync.completed` /
   * `sync.failed` for periodic catch-ups; see {@link PaymentsHooks}); returns an unsubscribe
   * function.
   *
   * @example
   * pay.on('delivery.dead', ({ event, receiver }) => alertOps(event.eventId, receiver));
   */
  on: Emittery<PaymentsHooks>['on'];
  /**
   * Resolves with the next occurrence of a hook (the EventEmitter convention; for running
   * something once, see {@link runOnce}).
   */
  once: Emittery<PaymentsHooks>['once'];
  /**
   * Runs `fn` at most once per `key` across every path, process and instance on this database
   * (the `once` table, UNIQUE(key)), and resolves with `{ ran: true, result }` for the call that
   * ran it, `{ ran: false }` for every other. A caller that finds the key running elsewhere
   * waits for that run (up to `waitMs`, default 30 s; past it, a `RunOnceBusyError`): when it
   * succeeds, `{ ran: false }`; when it throws, the key is free again (that caller gets the
   * error) and the waiting caller runs `fn` itself. With `trx`, the claim commits or rolls back
   * with the caller's transaction. See docs/exactly-once.md.
   *
   * @example
   * // The checkout-success page and the payment:succeeded receiver both call this:
   * await pay.runOnce(`fulfil:${reference}`, () => fulfilOrder(reference));
   */
  runOnce<T>(
    key: string,
    fn: () => T | Promise<T>,
    options?: RunOnceOptions,
  ): Promise<RunOnceResult<T>>;
  /**
   * Pauses a receiver on every instance and worker that shares the database (the pause is
   * stored): its deliveries stay `pending`, without using up attempts, until it is resumed; runs
   * already going finish. Another instance honours it within a second. A name no receiver of
   * this process has is refused with a `PaymentsError` (404) that lists the receivers.
   *
   * @example
   * await pay.pause('Orders.markPaid', { reason: 'orders DB migration' });
   * // ... deploy ...
   * await pay.resume('Orders.markPaid'); // the worker runs what waited at its next poll
   */
  pause(receiver: string, options?: { reason?: string }): Promise<ReceiverPause>;
  /**
   * Resumes a paused receiver: its waiting deliveries are due again, and the retry worker (of
   * any instance) runs them at its next poll. Resolves with its state and how many wait.
   */
  resume(receiver: string): Promise<ReceiverPause>;
  /** The paused receivers, as stored. */
  paused(): Promise<PausedReceiver[]>;
  /**
   * Lists what the variant's provider API has since `since` (a Date, or a duration back from now
   * such as `'72h'`) and stores each event through the same store and receivers as its webhook,
   * with `source: 'sync'`. Events already stored (their webhook came) are counted as duplicates
   * and left alone; a webhook that comes later is answered as a duplicate. Resolves once the
   * receivers of the stored events have run. A page the API will not give stops it with a
   * `SyncError`; what was stored before stays stored. Needs the variant's API key.
   *
   * @example
   * const { fetched, stored, duplicates } = await pay.sync('stripe', { since: '72h' });
   */
  sync(variant: string, options: SyncOptions): Promise<SyncOutcome>;
  /**
   * Asks the provider about specific payments (Paystack and Flutterwave by your reference,
   * Stripe by PaymentIntent `pi_...` or Checkout Session `cs_...` id) and stores what it reports
   * as the event its webhook carries, with `source: 'reconcile'`. One result per reference:
   * `stored`, `duplicate`, `pending` or `not_found`.
   *
   * @example
   * const [result] = await pay.reconcile('paystack', ['order_1042']);
   * if (result.status === 'pending') scheduleAnotherCheck();
   */
  reconcile(variant: string, references: readonly string[]): Promise<ReconcileResult[]>;
  /**
   * What the store records about a variant's periodic catch-up (`sync: { every, lookback }`):
   * when it last ran, how it ended, what it found, and who runs it now. Undefined before its
   * first run.
   *
   * @example
   * const state = await pay.syncState('stripe');
   * if (state?.lastStatus === 'failed') alertOps(state.lastResult?.error?.message);
   */
  syncState(variant: string): Promise<SyncState | undefined>;
  /**
   * Runs now, in this process, the periodic catch-ups that are due (those whose lease this
   * process gets); resolves with the variants it ran. The worker does this by itself; this is
   * for `koa-payments worker --once` and tests.
   */
  runDueSyncs(): Promise<string[]>;
}
