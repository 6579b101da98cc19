/**
 * The factory: settings → `{ middleware, migrate, webhookUrl, close, registry, ... }`.
 * Everything is resolved and validated here, once; nothing is re-read per request.
 */
import Emittery from 'emittery';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { SilenceWatch } from './alerts/silence.js';
import { createDashboard, type DashboardOptions } from './dashboard/index.js';
import { DashboardQueries } from './dashboard/queries.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { Pauses } from './dispatch/pauses.js';
import { Worker } from './dispatch/worker.js';
import { ConfigurationError } from './errors.js';
import { createMiddleware } from './http/middleware.js';
import { storedPaymentSignal } from './objects/facts.js';
import { ObjectQueries } from './objects/queries.js';
import type { ObjectsApi } from './objects/types.js';
import { Operations } from './operations.js';
import { Pipeline } from './pipeline.js';
import type { WebhookRequest } from './providers/types.js';
import { type PaymentsSettings, resolveSettings, type VariantSettings } from './settings.js';
import { ReceiverCoverage } from './signals/coverage.js';
import { defaultRegistry, type Registry, type RegistryCore } from './signals/registry.js';
import { openDatabase } from './store/database.js';
import { Deliveries } from './store/deliveries.js';
import { EventRetention } from './store/event-retention.js';
import { EventStore } from './store/event-store.js';
import { GroupCommitter } from './store/group-commit.js';
import { migrateLatest, schemaReady } from './store/migrate.js';
import { tableNames } from './store/migrations.js';
import { PausedReceivers } from './store/paused-receivers.js';
import { EventQueries, RequestQueries } from './store/queries.js';
import { RequestLog } from './store/requests.js';
import { RunOnce, type RunOnceOptions, type RunOnceResult } from './store/run-once.js';
import { SyncStateStore } from './store/sync-state.js';
import type { StoredEvent } from './store/types.js';
import { VariantActivity } from './store/variant-activity.js';
import { objectFetcher } from './sync/fetch.js';
import { PeriodicSync } from './sync/periodic.js';
import { checkReferences, runReconcile } from './sync/reconcile.js';
import { type CatchUpDependencies, runSync, syncRequest } from './sync/sync.js';
import type { ReconcileResult, SyncOptions, SyncOutcome, SyncState } from './sync/types.js';
import { createTelemetry } from './telemetry/telemetry.js';
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
} from './types.js';
import {
  buildProviders,
  variantExpectations,
  variantGroups,
  variantModes,
  variantSchedules,
} from './variants.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
   * Answers 503 to new webhooks, waits for in-flight receivers (up to `timeoutMs`), stops the
   * worker, and closes the database if the library opened it (never the host's). Idempotent.
   */
  close(options?: {
    /**
     * How long to wait for receivers still running, in ms; their leases expire after it.
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
   * `delivery.dead`, `event.settled`, `store.committed` for each group commit, and
   * `variant.silent` / `variant.resumed` for variants with `expectEvery`; see
   * {@link PaymentsHooks}); returns an unsubscribe function.
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

/**
 * Creates a webhook receiver for the configured payment variants.
 *
 * @example
 * const pay = payments({
 *   host: 'shop.example.com',
 *   variants: { stripe: { provider: 'stripe', endpointSecret: process.env.STRIPE_WEBHOOK_SECRET! } },
 * });
 * await pay.migrate();
 * app.use(pay.middleware);
 */
export function payments(settings: PaymentsSettings): Payments {
  const resolved = resolveSettings(settings);
  const registry = (settings.registry ?? defaultRegistry) as RegistryCore;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof (registry as { match?: unknown }).match !== 'function'
  ) {
    throw new ConfigurationError('registry', 'expected a registry from createRegistry()');
  }
  registry.list(); // surfaces a decorator's registration error now, not on the first webhook

  const webhookUrl = (variant: string): string => {
    if (resolved.host === undefined) {
      throw new ConfigurationError(
        'host',
        'webhookUrl() needs the public host: set payments({ host })',
      );
    }
    return `${resolved.protocol}://${resolved.host()}${resolved.prefix}/${variant}/`;
  };
  const providers = buildProviders(settings.variants, (variant) => ({
    variant,
    webhookUrl: () => webhookUrl(variant),
    logger: resolved.logger,
  }));
  const modes = variantModes(settings.variants);
  const groups = variantGroups(settings.variants);
  const expectEvery = variantExpectations(settings.variants);
  // Validated before the database opens: a wrong option opens nothing.
  const schedules = variantSchedules(settings.variants, providers);

  // The store: events and deliveries, written in units of work (group-committed by default on
  // SQLite), claimed and leased, read; and the request log.
  const db = openDatabase(resolved.database, resolved.logger);
  const tables = tableNames(resolved.tablePrefix);
  const hooks = new Emittery<PaymentsHooks>();
  const batching = resolved.groupCommit.enabled ?? db.dialect === 'sqlite';
  const committer = batching
    ? new GroupCommitter(db, {
        maxBatch: resolved.groupCommit.maxBatch,
        maxWaitMs: resolved.groupCommit.maxWaitMs,
        onCommit(size) {
          if (hooks.listenerCount('store.committed') === 0) return;
          hooks.emit('store.committed', { size }).catch(() => {});
        },
      })
    : undefined;
  const store = new EventStore(db, tables, committer);
  const deliveries = new Deliveries(db, tables);
  const pausedReceivers = new PausedReceivers(db, tables);
  const pauses = new Pauses(pausedReceivers, resolved.logger);
  const queries = new EventQueries(db.knex, tables);
  const requestQueries = new RequestQueries(
    db.knex,
    tables,
    resolved.requestLog === false ? Number.POSITIVE_INFINITY : resolved.requestLog.maxBody,
  );
  const objects = new ObjectQueries(db.knex, tables);
  const secretHeaders = [...providers.values()].flatMap((p) => p.secretHeaders ?? []);
  const requestLog =
    resolved.requestLog === false
      ? undefined
      : new RequestLog(db.knex, tables, resolved.requestLog.maxBody, secretHeaders);
  // What an operator watches: variants gone silent (expectEvery), metrics and spans.
  const silence = new SilenceWatch({
    expectEvery,
    activity: new VariantActivity(db.knex, tables),
    hooks,
    logger: resolved.logger,
  });
  const telemetry = createTelemetry(
    resolved.telemetry,
    {
      async read() {
        const [deliveryCounts, silent] = await Promise.all([
          queries.deliveryGauges(new Date()),
          silence.silence(),
        ]);
        return { ...deliveryCounts, silent };
      },
      receivers: () => registry.list().map((r) => r.name),
    },
    resolved.logger,
  );
  // The parts that run webhooks: the pipeline receives and stores them, the dispatcher runs
  // their receivers after COMMIT, the worker retries what failed.
  const dataOf = (event: StoredEvent): unknown => {
    const provider = providers.get(event.variant);
    if (provider?.dataOf !== undefined) return provider.dataOf(event.payload);
    return (event.payload as { data?: unknown } | null)?.data ?? null;
  };
  const paymentOf = (event: StoredEvent) => {
    const provider = providers.get(event.variant);
    return provider === undefined ? undefined : storedPaymentSignal(provider, event);
  };
  const fetchObject = objectFetcher(providers);
  const dispatcher = new Dispatcher({
    fetchObject,
    knex: db.knex,
    store,
    deliveries,
    registry,
    settings: resolved,
    hooks,
    dataOf,
    paymentOf,
    pauses,
    telemetry,
  });
  // Warns when the first request comes in with no receiver registered (not at payments() or
  // migrate(): receivers may be imported after the one, and the CLI runs the other without them).
  const coverage = new ReceiverCoverage(registry, resolved.logger);
  const pipeline = new Pipeline({
    fetchObject,
    providers,
    modes,
    groups,
    registry,
    coverage,
    store,
    deliveries,
    dispatcher,
    requestLog,
    settings: resolved,
    pauses,
    telemetry,
    silence,
    async onStored(event, duplicate) {
      if (hooks.listenerCount('event.stored') === 0) return;
      try {
        await hooks.emit('event.stored', { event, duplicate });
      } catch (error) {
        resolved.logger.error({ err: error }, 'koa-payments: an event.stored listener threw');
      }
    },
  });
  // Find, replay and prune, for the operator.
  const retentionMs = {
    requests:
      resolved.requestLog === false ? undefined : resolved.requestLog.retentionDays * DAY_MS,
    events:
      resolved.events.retentionDays === undefined
        ? undefined
        : resolved.events.retentionDays * DAY_MS,
  };
  const operations = new Operations({
    queries,
    objects,
    deliveries,
    registry,
    dispatcher,
    requestLog,
    leaseMs: resolved.retry.leaseMs,
    retention: new EventRetention(db, tables),
    retentionMs,
    paused: pausedReceivers,
    pauses,
  });
  const once = new RunOnce(db, tables, resolved.retry.leaseMs, resolved.logger);
  const worker = new Worker({
    deliveries,
    queries,
    dispatcher,
    // The worker applies the retentions; with none (request log off, events kept), it prunes nothing.
    prune:
      requestLog === undefined && retentionMs.events === undefined
        ? undefined
        : () => operations.prune(),
    logger: resolved.logger,
    schemaReady: () => schemaReady(db.knex, resolved.tablePrefix, tables),
    checkSilence: silence.watching ? () => silence.maybeCheck() : undefined,
    options: {
      pollIntervalMs: resolved.worker.pollIntervalMs,
      batchSize: resolved.worker.batchSize,
      leaseMs: resolved.retry.leaseMs,
    },
  });

  let closing: Promise<void> | undefined;
  const middleware = createMiddleware({
    prefix: resolved.prefix,
    bodyLimit: resolved.bodyLimit,
    bodyTimeout: resolved.bodyTimeout,
    logger: resolved.logger,
    dispatch: resolved.dispatch,
    trustProxy: resolved.trustProxy,
    hasVariant: (variant) => providers.has(variant),
    bodyLimitOf(variant) {
      const provider = providers.get(variant);
      return provider?.bodyLimit === undefined
        ? undefined
        : { limit: provider.bodyLimit, source: `the ${provider.name} provider's limit` };
    },
    webhook: (variant) => telemetry.webhook(variant, providers.get(variant)?.name ?? 'unknown'),
    unknownVariant: () => telemetry.unknownVariant(),
    isClosing: () => closing !== undefined,
    onFirstRequest: () => coverage.checkRegistry(),
    ticket: () => pipeline.ticket(),
    receive: (variant, request, ticket) => pipeline.receive(variant, request, ticket),
    logFailure: (variant, request, status, error) =>
      pipeline.logFailure(variant, request, status, error),
  });

  // Sync and reconcile store what the provider's API reports through the pipeline; the periodic
  // catch-up runs sync for the variants with a `sync` option, started and stopped with the worker.
  const catchUp: CatchUpDependencies = { providers, pipeline, queries, groups };
  const syncState = new SyncStateStore(db.knex, tables);
  const periodic = new PeriodicSync({
    schedules,
    state: syncState,
    sync: (variant, request) => runSync(catchUp, variant, request),
    hooks,
    logger: resolved.logger,
    leaseMs: resolved.retry.leaseMs,
    ready: () => worker.ready(),
  });

  if (resolved.worker.enabled) {
    worker.start();
    periodic.start();
  }

  // The instance: each method hands its work to one of the parts above.
  return {
    middleware,
    registry: registry as unknown as Registry,
    knex: db.knex,
    variants: [...providers.keys()],
    events: {
      list: (filter) => operations.list(filter),
      get: (id, variant) => operations.details(id, variant),
    },
    requests: {
      list: (filter) => requestQueries.list(filter),
      get: (id) => requestQueries.get(id),
    },
    objects: {
      get: (variant, type, id) => objects.get(variant, type, id),
      list: (filter) => objects.list(filter),
    },
    async migrate() {
      await migrateLatest(db, resolved.tablePrefix, tables);
      worker.schemaMigrated();
    },
    webhookUrl(variant) {
      if (!providers.has(variant)) {
        throw new ConfigurationError('variants', `no variant named '${variant}'`, variant);
      }
      return webhookUrl(variant);
    },
    receive(variant, request) {
      return pipeline.receive(variant, request);
    },
    variantSettings(variant) {
      const configured = settings.variants[variant];
      if (!providers.has(variant) || configured === undefined) {
        throw new ConfigurationError('variants', `no variant named '${variant}'`, variant);
      }
      return Object.freeze({ ...configured });
    },
    replay: (id, options) => operations.replay(id, options),
    dashboard: (options) =>
      createDashboard(options, {
        queries: new DashboardQueries(db, tables, requestQueries, [...providers.keys()]),
        operations,
        variants: [...providers.keys()],
        requestLog: resolved.requestLog !== false,
        silent: () => silence.silentVariants(),
      }),
    startWorker() {
      worker.start();
      periodic.start();
    },
    async stopWorker() {
      await Promise.all([worker.stop(), periodic.stop()]);
    },
    runDueDeliveries: () => worker.runOnce(),
    prune: (options) => operations.prune(options),
    close(options = {}) {
      closing ??= (async () => {
        const deadline = Date.now() + (options.timeoutMs ?? 10_000);
        await Promise.all([
          worker.stop(Math.max(0, deadline - Date.now())),
          periodic.stop(Math.max(0, deadline - Date.now())),
        ]);
        const left = await dispatcher.drain(Math.max(0, deadline - Date.now()));
        if (left > 0) {
          dispatcher.abandon();
          resolved.logger.warn(
            { inFlight: left },
            'koa-payments: closing with receivers still running; their leases expire and they are retried',
          );
        }
        hooks.clearListeners();
        telemetry.close();
        await db.checkpointer?.stop();
        if (db.owned) await db.knex.destroy();
      })();
      return closing;
    },
    on: hooks.on.bind(hooks),
    once: hooks.once.bind(hooks),
    runOnce: (key, fn, options) => once.run(key, fn, options),
    pause: (receiver, options) => operations.pause(receiver, options),
    resume: (receiver) => operations.resume(receiver),
    paused: () => operations.pausedReceivers(),
    sync: async (variant, options) => runSync(catchUp, variant, syncRequest(options)),
    reconcile: async (variant, references) =>
      runReconcile(catchUp, variant, checkReferences(references)),
    syncState: (variant) => syncState.get(variant),
    runDueSyncs: () => periodic.runDue(),
  };
}
