/**
 * The types of `payments()`'s settings, with their documentation: what users write, and what
 * settings.ts resolves them to (every default applied).
 */
import type { Knex } from 'knex';
import type { BuiltinProviderOptions } from './providers/index.js';
import type { SecretCacheSettings } from './providers/shared/secret-resolver.js';
import type { Provider } from './providers/types.js';
import type { RegistryCore } from './signals/registry.js';
import type { SyncSchedule } from './sync/types.js';
import type { TelemetrySettings } from './telemetry/telemetry.js';
import type { Logger } from './types.js';

/** Which mode's events a variant runs receivers for: live, test, or both. */
export type VariantMode = 'live' | 'test' | 'any';

/** Settings every variant takes, whatever its provider. */
export interface CommonVariantSettings {
  /**
   * Which mode's events run receivers. With `'live'` (or `'test'`), an event the provider marks
   * as of the other mode (Stripe's `livemode`, Paystack's `data.domain`, ...) is answered 200 and
   * stored as `ignored`, with `ignoredReason: 'mode_mismatch'`, and no receiver runs for it. An
   * event whose provider does not say is accepted. Use `'live'` in production. `'sandbox'` is
   * `'test'` in PayPal's word; PayPal variants also take it as the PayPal environment to trust.
   * @default 'any'
   */
  mode?: VariantMode | 'sandbox';
  /**
   * How the signing secret is cached when it is a resolver function (`endpointSecret: async
   * (request) => …`): TTL, size, the resolver's timeout and the cache key. Refused when the
   * secret is not a resolver. See docs/configuration.md, "Secret resolvers".
   */
  secretCache?: SecretCacheSettings;
  /**
   * Variants in one dedupe group share event identity: an event id is stored once per group,
   * whichever of its variants receives it first, and a copy reaching another variant of the
   * group answers `duplicate: true` and runs no receiver again. For two endpoints of one
   * account (a Stripe API-version migration) or a Connect event reaching both the platform
   * and the account endpoint. Letters, digits, `-` and `_`, at most 64.
   * @default the variant's name (its own group)
   */
  dedupeGroup?: string;
  /**
   * How often a valid webhook is expected at least, as a duration (`'6h'`, `'30m'`, `'2d'`).
   * When none arrives for that long, the library reports the variant silent: the
   * `variant.silent` hook, a warning in the log, the `payments.variant.silent` gauge and a line
   * on the dashboard; and `variant.resumed` when webhooks come again. The retry worker checks.
   * @default undefined (never reported silent)
   * @example
   * stripe: { provider: 'stripe', endpointSecret, expectEvery: '6h' }
   */
  expectEvery?: string;
  /**
   * The periodic catch-up: every `every`, the worker lists what the provider's API has since
   * `lookback` ago and stores what is missing (as `pay.sync()`), one process at a time. Needs
   * the variant's API key.
   *
   * @example
   * sync: { every: '15m', lookback: '1h' }
   */
  sync?: SyncSchedule;
}

/** A variant using a built-in provider: `{ provider: 'stripe', endpointSecret }`, etc. */
export type BuiltinVariantSettings = {
  [P in keyof BuiltinProviderOptions]: { provider: P } & BuiltinProviderOptions[P] &
    CommonVariantSettings;
}[keyof BuiltinProviderOptions];

/** A variant using your own provider object (with `provider.api` for `sync`). */
export interface CustomVariantSettings extends CommonVariantSettings {
  provider: Provider;
}

/** One payment variant: a provider and its settings (django-payments' PAYMENT_VARIANTS). */
export type VariantSettings = BuiltinVariantSettings | CustomVariantSettings;

/** The embedded SQLite database, with its file and busy timeout. */
export interface SqliteFileSettings {
  /**
   * Path of the database file.
   * @default './payments.sqlite3'
   */
  filename: string;
  /**
   * How long a write waits for another connection's lock before answering 503, in ms.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * Where events are stored: a Postgres connection string or a SQLite path / `file:` URL, the
 * SQLite file with its busy timeout, a Knex instance, or a Knex config.
 */
export type DatabaseSetting = string | SqliteFileSettings | Knex | Knex.Config;

/** Retry schedule of failed deliveries. */
export interface RetrySettings {
  /**
   * Attempts before a delivery is `dead` (the first run counts).
   * @default 10
   */
  maxAttempts?: number;
  /**
   * Smallest delay before a retry, in ms.
   * @default 10_000
   */
  minDelayMs?: number;
  /**
   * Largest delay before a retry, in ms.
   * @default 21_600_000 (6 hours)
   */
  maxDelayMs?: number;
  /**
   * How long a claimed delivery stays locked to its runner, in ms.
   * @default 60_000
   */
  leaseMs?: number;
  /**
   * How long a receiver may defer a delivery (`throw new RetryLater(reason)`) without using up
   * attempts, counted from its first deferral: milliseconds or a duration string. After it, a
   * RetryLater fails as any error does (an attempt, the `delivery.failed` hook, then `dead`).
   * @default '24h'
   */
  deferFor?: number | string;
}

/** {@link RetrySettings} resolved: every default applied, `deferFor` in milliseconds. */
export type ResolvedRetrySettings = Required<Omit<RetrySettings, 'deferFor'>> & {
  deferForMs: number;
};

/** The retry worker. */
export interface WorkerSettings {
  /**
   * Pause between polls when nothing is due, in ms.
   * @default 1_000
   */
  pollIntervalMs?: number;
  /**
   * Deliveries claimed per poll.
   * @default 20
   */
  batchSize?: number;
}

/** Group commit: concurrent webhooks stored in one transaction. */
export interface GroupCommitSettings {
  /**
   * Most units of work (event stores, outcome records) per transaction.
   * @default 100
   */
  maxBatch?: number;
  /**
   * How long a commit may wait for more work to join it, in ms: webhooks whose body has arrived
   * and is being verified, and outcomes of receivers that have just run. A commit waits only
   * while such requests are being verified or while each turn of the event loop brings more
   * work (never for a body still on its way), so a lone webhook waits one extra turn; under
   * load the wait buys one fsync for many events. 0 turns the waiting off. SQLite only: on
   * Postgres a batch takes what queued while the batches before it were in flight.
   * @default 2
   */
  maxWaitMs?: number;
}

/** The request log (the `requests` table). */
export interface RequestLogSettings {
  /**
   * Bytes of each body kept.
   * @default 65_536 (64 KiB)
   */
  maxBody?: number;
  /**
   * Days lines are kept; the worker deletes older ones hourly.
   * @default 30
   */
  retentionDays?: number;
}

/** Stored events. */
export interface EventsSettings {
  /**
   * Days a settled event is kept: one that is `processed` or `ignored`, with every delivery
   * succeeded, and that was received and settled this many days ago is deleted with its
   * deliveries by the worker (hourly) and by `koa-payments prune`. Pending and failed events are
   * never deleted. A redelivery of a deleted event is stored as a new one, and its receivers run
   * again (docs/operations.md#retention).
   * @default undefined (kept forever)
   */
  retentionDays?: number;
}

/** Settings of {@link payments}. Only `variants` is required. */
export interface PaymentsSettings {
  /** Public host of the app, used by `webhookUrl()`: a string or a function returning one. */
  host?: string | (() => string);
  /**
   * Scheme of `webhookUrl()`.
   * @default 'https'
   */
  protocol?: 'https' | 'http';
  /**
   * Path under which variants are routed.
   * @default '/payments/process'
   */
  prefix?: string;
  /**
   * Where events are stored. A string is a Postgres connection string (`postgres://…`,
   * `postgresql://…`; needs `pg`) or a SQLite file (a path or a `file:` URL); any other URL is
   * refused. `{ filename, busyTimeoutMs }` tunes the SQLite file; a Knex instance (the host's
   * database, never closed by the library) or a Knex config object is used as given.
   * @default './payments.sqlite3' (the embedded SQLite file)
   */
  database?: DatabaseSetting;
  /**
   * Prefix of every table the library owns.
   * @default 'payments_'
   */
  tablePrefix?: string;
  /** Variant name (the URL segment) → provider settings. */
  variants: Record<string, VariantSettings>;
  /**
   * `'inline'`: run the after-commit receivers before answering. `'background'`: answer right
   * after the commit, then run them.
   * @default 'inline'
   */
  dispatch?: 'inline' | 'background';
  /** Retry schedule. */
  retry?: RetrySettings;
  /**
   * Largest body accepted: bytes or a string like `'2mb'`.
   * @default '2mb'
   */
  bodyLimit?: string | number;
  /**
   * Milliseconds the whole body may take to arrive, from when the middleware starts reading it.
   * Past it, the answer is 408 `body_timeout` and the connection is closed: a client that sends
   * slowly (or stops) does not hold the request open.
   * @default 30_000
   */
  bodyTimeout?: number;
  /**
   * Receiver registry.
   * @default the module-level registry `receiver` writes to
   */
  registry?: RegistryCore;
  /**
   * Where the library logs, pino-style (`logger.warn(fields, message)`; pino fits as it is).
   * `false` logs nothing. Errors are in `fields.err`; database errors are logged without their
   * bound values, and no payload or secret is ever logged.
   * @default warnings and errors on stderr, one line each; debug and info dropped
   */
  logger?: Logger | false;
  /**
   * The retry worker, started with the instance. `false` leaves it stopped (start it with
   * `pay.startWorker()`, or run it elsewhere).
   * @default true (on, polling every second)
   */
  worker?: boolean | WorkerSettings;
  /**
   * The request log. `false` turns it off.
   * @default true (on, 64 KiB bodies, 30 days)
   */
  requestLog?: false | RequestLogSettings;
  /**
   * Stored events: their retention.
   * @default {} (kept forever)
   */
  events?: EventsSettings;
  /**
   * Store concurrent webhooks in one transaction, answering each only after the shared COMMIT:
   * one fsync for many events. One webhook that fails in a batch fails alone.
   * @default true
   */
  groupCommit?: boolean | GroupCommitSettings;
  /**
   * Where the client address (request log, IP allow-lists) comes from, behind proxies you
   * control. `false`: the socket. A positive integer N: the Nth X-Forwarded-For entry from the
   * right, for N proxies in front of the app that each append to the header (nginx's
   * `$proxy_add_x_forwarded_for`, AWS ALB, Heroku); a client cannot forge it. `true`: the first
   * entry, only for a proxy that replaces the header (an appending one lets the client choose it).
   * An entry that is no address gives the socket's.
   * @default false
   * @example
   * payments({ trustProxy: 1, variants }); // one nginx or ALB in front
   */
  trustProxy?: boolean | number;
  /**
   * OpenTelemetry metrics and spans, through `@opentelemetry/api` (an optional peer dependency:
   * without it, or without an SDK registered, nothing is recorded). By default they go to the
   * global providers (the Node SDK registers them); give `{ meterProvider, tracerProvider }` to
   * send them elsewhere, or `false` to record nothing. See docs/observability.md.
   * @default {} (the global providers)
   */
  telemetry?: false | TelemetrySettings;
}

/** Settings with every default applied. */
export interface ResolvedSettings {
  host: (() => string) | undefined;
  protocol: 'https' | 'http';
  prefix: string;
  database: DatabaseSetting | undefined;
  tablePrefix: string;
  dispatch: 'inline' | 'background';
  retry: ResolvedRetrySettings;
  bodyLimit: number;
  bodyTimeout: number;
  logger: Logger;
  worker: Required<WorkerSettings> & { enabled: boolean };
  requestLog: Required<RequestLogSettings> | false;
  events: { retentionDays: number | undefined };
  groupCommit: { enabled: boolean; maxBatch: number; maxWaitMs: number };
  trustProxy: boolean | number;
  telemetry: TelemetrySettings | false;
}
