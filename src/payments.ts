/**
 * The factory: settings → `{ middleware, migrate, webhookUrl, close, registry, ... }`.
 * Everything is resolved and validated here, once; nothing is re-read per request.
 */
import Emittery from 'emittery';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { Dispatcher, type PaymentsHooks } from './dispatch/dispatcher.js';
import { ConfigurationError } from './errors.js';
import { createMiddleware } from './http/middleware.js';
import { Pipeline, type Received } from './pipeline.js';
import type { WebhookRequest } from './providers/types.js';
import { buildProviders, type PaymentsSettings, resolveSettings } from './settings.js';
import { defaultRegistry, type Registry, type RegistryCore } from './signals/registry.js';
import { openDatabase } from './store/database.js';
import { EventStore } from './store/events.js';
import { migrationSource, tableNames } from './store/migrations.js';
import type { Delivery, StoredEvent } from './store/types.js';

/** A `payments()` instance. */
export interface Payments {
  /** The Koa middleware (named `koaPayments`). Paths outside the prefix call `next()`. */
  readonly middleware: Middleware;
  /** Runs the shipped migrations in the library's own migrations table. Idempotent. */
  migrate(): Promise<void>;
  /** The public URL of a variant's route, to register in the provider's dashboard. */
  webhookUrl(variant: string): string;
  /**
   * Answers 503 to new webhooks, waits for in-flight receivers (up to `timeoutMs`, default
   * 10 000), and closes the database if the library opened it (never the host's). Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
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
  /** An event by row id, with its deliveries. */
  getEvent(id: number): Promise<(StoredEvent & { deliveries: Delivery[] }) | undefined>;
  /**
   * Subscribes to lifecycle hooks (`event.stored`, `delivery.succeeded`, `delivery.failed`,
   * `delivery.dead`, `event.settled`); returns an unsubscribe function.
   *
   * @example
   * pay.on('delivery.dead', ({ event, receiver }) => alertOps(event.eventId, receiver));
   */
  on: Emittery<PaymentsHooks>['on'];
  /** Resolves with the next occurrence of a hook. */
  once: Emittery<PaymentsHooks>['once'];
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
  }));

  const db = openDatabase(resolved.database, resolved.logger);
  const tables = tableNames(resolved.tablePrefix);
  const store = new EventStore(db, tables);
  const hooks = new Emittery<PaymentsHooks>();
  const dataOf = (event: StoredEvent): unknown => {
    const provider = providers.get(event.variant);
    if (provider?.dataOf !== undefined) return provider.dataOf(event.payload);
    return (event.payload as { data?: unknown } | null)?.data ?? null;
  };
  const dispatcher = new Dispatcher(store, registry, resolved, hooks, dataOf);
  const pipeline = new Pipeline(
    providers,
    store,
    registry,
    dispatcher,
    resolved,
    async (event, duplicate) => {
      try {
        await hooks.emit('event.stored', { event, duplicate });
      } catch (error) {
        resolved.logger.error({ err: error }, 'koa-payments: an event.stored listener threw');
      }
    },
  );

  let closing: Promise<void> | undefined;
  const middleware = createMiddleware({
    prefix: resolved.prefix,
    bodyLimit: resolved.bodyLimit,
    logger: resolved.logger,
    dispatch: resolved.dispatch,
    hasVariant: (variant) => providers.has(variant),
    isClosing: () => closing !== undefined,
    receive: (variant, request) => pipeline.receive(variant, request),
  });

  return {
    middleware,
    registry: registry as unknown as Registry,
    knex: db.knex,
    variants: [...providers.keys()],
    async migrate() {
      await db.knex.migrate.latest({
        migrationSource: migrationSource(resolved.tablePrefix),
        tableName: tables.migrations,
      });
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
    async getEvent(id) {
      const event = await store.getEvent(id);
      if (event === undefined) return undefined;
      return { ...event, deliveries: await store.deliveriesOf(id) };
    },
    close(options = {}) {
      closing ??= (async () => {
        const left = await dispatcher.drain(options.timeoutMs ?? 10_000);
        if (left > 0) {
          resolved.logger.warn(
            { inFlight: left },
            'koa-payments: closing with receivers still running; their leases expire and they are retried',
          );
        }
        hooks.clearListeners();
        if (db.owned) await db.knex.destroy();
      })();
      return closing;
    },
    on: hooks.on.bind(hooks),
    once: hooks.once.bind(hooks),
  };
}
