/**
 * The factory: settings → `{ middleware, migrate, webhookUrl, close, registry, ... }`.
 * Everything is resolved and validated here, once; nothing is re-read per request. This page
 * wires the parts; the instance's members, grouped by area, delegate to them from src/instance/,
 * and their type and documentation are in payments-types.ts (re-exported here).
 */
import Emittery from 'emittery';
import { SilenceWatch } from './alerts/silence.js';
import { DashboardQueries } from './dashboard/queries.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { Pauses } from './dispatch/pauses.js';
import { Worker } from './dispatch/worker.js';
import { ConfigurationError } from './errors.js';
import { logFailedRequest } from './http/failed-requests.js';
import { createMiddleware } from './http/middleware.js';
import { catchUpMethods } from './instance/catch-up.js';
import { hookMethods } from './instance/hooks.js';
import { lifecycle } from './instance/lifecycle.js';
import { operatorMethods } from './instance/operate.js';
import { Shutdown } from './instance/shutdown.js';
import { storedPaymentSignal } from './objects/facts.js';
import { ObjectQueries } from './objects/queries.js';
import { Operations } from './operations.js';
import type { Payments } from './payments-types.js';
import { Pipeline } from './pipeline.js';
import { type PaymentsSettings, resolveSettings } from './settings.js';
import { ReceiverCoverage } from './signals/coverage.js';
import { defaultRegistry, type Registry, type RegistryCore } from './signals/registry.js';
import { openDatabase } from './store/database.js';
import { Deliveries } from './store/deliveries.js';
import { EventRetention } from './store/event-retention.js';
import { EventStore } from './store/event-store.js';
import { GroupCommitter } from './store/group-commit.js';
import { schemaReady } from './store/migrate.js';
import { PausedReceivers } from './store/paused-receivers.js';
import { EventQueries, RequestQueries } from './store/queries.js';
import { RequestLog } from './store/requests.js';
import { RunOnce } from './store/run-once.js';
import { SyncStateStore } from './store/sync-state.js';
import { tableNames } from './store/table-names.js';
import type { StoredEvent } from './store/types.js';
import { VariantActivity } from './store/variant-activity.js';
import { objectFetcher } from './sync/fetch.js';
import { PeriodicSync } from './sync/periodic.js';
import { type CatchUpDependencies, runSync } from './sync/sync.js';
import { createTelemetry } from './telemetry/telemetry.js';
import type { PaymentsHooks } from './types.js';
import {
  buildProviders,
  variantExpectations,
  variantGroups,
  variantModes,
  variantSchedules,
} from './variants.js';

export type { Payments } from './payments-types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
    trustProxy: resolved.trustProxy,
  }));
  const modes = variantModes(settings.variants);
  const groups = variantGroups(settings.variants);
  const expectEvery = variantExpectations(settings.variants);
  // Validated before the database opens: a wrong option opens nothing.
  const schedules = variantSchedules(settings.variants, providers);

  // The store: events and deliveries, written in units of work (group-committed by default),
  // claimed and leased, read; and the request log.
  const db = openDatabase(resolved.database, resolved.logger);
  const tables = tableNames(resolved.tablePrefix);
  const hooks = new Emittery<PaymentsHooks>();
  const batching = resolved.groupCommit.enabled;
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
  // What close() waits for first, and refuses once called: the webhooks taken in, and the
  // operators' calls that write through the store.
  const shutdown = new Shutdown();
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
    operate: shutdown.operate,
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

  // Migrate, start and stop the worker, close: `close()` waits for the webhooks taken in and the
  // operators' calls, and refuses new ones.
  const lifecycleMethods = lifecycle({
    db,
    tablePrefix: resolved.tablePrefix,
    tables,
    worker,
    periodic,
    dispatcher,
    committer,
    hooks,
    telemetry,
    logger: resolved.logger,
    shutdown,
  });
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
    admit: () => shutdown.admit(),
    refuseIfClosing: () => shutdown.refuseIfClosing(),
    onFirstRequest: () => coverage.checkRegistry(),
    ticket: () => pipeline.ticket(),
    receive: (variant, request, ticket) => pipeline.receive(variant, request, ticket),
    logFailure: (variant, request, statusCode, error) =>
      logFailedRequest(requestLog, resolved.logger, { variant, request, statusCode, error }),
  });

  if (resolved.worker.enabled) {
    worker.start();
    periodic.start();
  }

  // The instance: each member hands its work to one of the parts above (src/instance/ groups
  // the members by area).
  return {
    middleware,
    registry: registry as unknown as Registry,
    knex: db.knex,
    variants: [...providers.keys()],
    webhookUrl(variant) {
      if (!providers.has(variant)) {
        throw new ConfigurationError('variants', `no variant named '${variant}'`, variant);
      }
      return webhookUrl(variant);
    },
    async receive(variant, request) {
      const answered = shutdown.admit();
      try {
        return await pipeline.receive(variant, request);
      } finally {
        answered();
      }
    },
    variantSettings(variant) {
      const configured = settings.variants[variant];
      if (!providers.has(variant) || configured === undefined) {
        throw new ConfigurationError('variants', `no variant named '${variant}'`, variant);
      }
      return Object.freeze({ ...configured });
    },
    ...lifecycleMethods,
    ...operatorMethods({
      operations,
      operate: shutdown.operate,
      requests: requestQueries,
      objects,
      dashboard: () => ({
        queries: new DashboardQueries(db, tables, requestQueries, [...providers.keys()]),
        variants: [...providers.keys()],
        requestLog: resolved.requestLog !== false,
        silent: () => silence.silentVariants(),
      }),
    }),
    ...hookMethods({ hooks, once }),
    ...catchUpMethods({
      catchUp,
      state: syncState,
      periodic,
      operate: shutdown.operate,
      stopping: (signal) => shutdown.stopping(signal),
    }),
  };
}
