/**
 * Settings of `payments()`: their types, their defaults (applied once, with `??`) and their
 * validation. A wrong setting throws a `ConfigurationError` naming the option (and the variant).
 */
import type { Knex } from 'knex';
import { durationMs } from './duration.js';
import { ConfigurationError } from './errors.js';
import { quietLogger, safeLogger, stderrLogger } from './logger.js';
import { type BuiltinProviderOptions, builtinProviders } from './providers/index.js';
import { resolvingProvider, type SecretCacheSettings } from './providers/shared/secret-resolver.js';
import { describe } from './providers/shared/signature.js';
import type {
  Provider,
  ProviderContext,
  ProviderDefinition,
  SuccessAnswer,
} from './providers/types.js';
import type { RegistryCore } from './signals/registry.js';
import { type ResolvedSchedule, resolveSchedule } from './sync/schedule.js';
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
   * load the wait buys one fsync for many events. 0 turns the waiting off.
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
   * again (docs/reliability.md#retention).
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
   * @default on for SQLite, off for Postgres (whose many connections commit in parallel)
   */
  groupCommit?: boolean | GroupCommitSettings;
  /**
   * Read the client address from X-Forwarded-For (behind a proxy you control); otherwise the
   * socket address.
   * @default false
   */
  trustProxy?: boolean;
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
  /** `undefined`: the dialect's default. */
  groupCommit: { enabled: boolean | undefined; maxBatch: number; maxWaitMs: number };
  trustProxy: boolean;
  telemetry: TelemetrySettings | false;
}

/**
 * Every key of an options type, each once. A record that `satisfies` it misses none and adds
 * none, so the lists of allowed keys below cannot drift from the types above.
 */
type KeysOf<T> = Record<keyof T, true>;

/** The keys of such a record. */
function keySet(keys: Record<string, true>): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}

const SETTINGS_KEYS = keySet({
  host: true,
  protocol: true,
  prefix: true,
  database: true,
  tablePrefix: true,
  variants: true,
  dispatch: true,
  retry: true,
  bodyLimit: true,
  bodyTimeout: true,
  registry: true,
  logger: true,
  worker: true,
  requestLog: true,
  events: true,
  groupCommit: true,
  trustProxy: true,
  telemetry: true,
} satisfies KeysOf<PaymentsSettings>);
const TELEMETRY_KEYS = keySet({
  meterProvider: true,
  tracerProvider: true,
} satisfies KeysOf<TelemetrySettings>);
const GROUP_COMMIT_KEYS = keySet({
  maxBatch: true,
  maxWaitMs: true,
} satisfies KeysOf<GroupCommitSettings>);
const WORKER_KEYS = keySet({
  pollIntervalMs: true,
  batchSize: true,
} satisfies KeysOf<WorkerSettings>);
const REQUEST_LOG_KEYS = keySet({
  maxBody: true,
  retentionDays: true,
} satisfies KeysOf<RequestLogSettings>);
const EVENTS_KEYS = keySet({
  retentionDays: true,
} satisfies KeysOf<EventsSettings>);
const RETRY_KEYS = keySet({
  maxAttempts: true,
  minDelayMs: true,
  maxDelayMs: true,
  leaseMs: true,
  deferFor: true,
} satisfies KeysOf<RetrySettings>);
/** The keys of a variant beside `provider` that are not its provider's options. */
const COMMON_VARIANT_KEYS = keySet({
  mode: true,
  secretCache: true,
  dedupeGroup: true,
  expectEvery: true,
  sync: true,
} satisfies KeysOf<CommonVariantSettings>);
const VARIANT_MODES: readonly VariantMode[] = ['live', 'test', 'any'];
const VARIANT_NAME = /^[a-z0-9_-]+$/;

/** Validates `settings` and applies the defaults. Never mutates the caller's object. */
export function resolveSettings(settings: PaymentsSettings): ResolvedSettings {
  if (settings === null || typeof settings !== 'object') {
    throw new ConfigurationError('settings', 'payments() needs a settings object');
  }
  for (const key of Object.keys(settings)) {
    if (!SETTINGS_KEYS.has(key)) throw new ConfigurationError(key, 'unknown option');
  }
  const protocol = settings.protocol ?? 'https';
  if (protocol !== 'https' && protocol !== 'http') {
    throw new ConfigurationError('protocol', `must be 'https' or 'http'`);
  }
  const prefix = (settings.prefix ?? '/payments/process').replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) {
    throw new ConfigurationError('prefix', `must be a path like '/payments/process'`);
  }
  const host = settings.host;
  if (typeof host === 'string' && /[/\s]/.test(host)) {
    throw new ConfigurationError(
      'host',
      "is a host name with an optional port ('shop.example.com'), not a URL; set protocol separately",
    );
  }
  if (
    host !== undefined &&
    typeof host !== 'function' &&
    (typeof host !== 'string' || host === '')
  ) {
    throw new ConfigurationError(
      'host',
      'must be a host name (string) or a function returning one',
    );
  }
  const tablePrefix = settings.tablePrefix ?? 'payments_';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tablePrefix) && tablePrefix !== '') {
    throw new ConfigurationError('tablePrefix', 'must contain only letters, digits and _');
  }
  const dispatch = settings.dispatch ?? 'inline';
  if (dispatch !== 'inline' && dispatch !== 'background') {
    throw new ConfigurationError('dispatch', `must be 'inline' or 'background'`);
  }
  const retry = settings.retry ?? {};
  for (const key of Object.keys(retry)) {
    if (!RETRY_KEYS.has(key)) throw new ConfigurationError(`retry.${key}`, 'unknown option');
  }
  const deferForMs = durationMs(retry.deferFor ?? '24h');
  if (deferForMs === undefined) {
    throw new ConfigurationError(
      'retry.deferFor',
      `must be milliseconds (≥ 0) or a duration such as '24h' or '30m', got ${describe(retry.deferFor)}`,
    );
  }
  const resolvedRetry: ResolvedRetrySettings = {
    maxAttempts: positive(retry.maxAttempts ?? 10, 'retry.maxAttempts'),
    minDelayMs: positive(retry.minDelayMs ?? 10_000, 'retry.minDelayMs'),
    maxDelayMs: positive(retry.maxDelayMs ?? 6 * 60 * 60 * 1000, 'retry.maxDelayMs'),
    leaseMs: positive(retry.leaseMs ?? 60_000, 'retry.leaseMs'),
    deferForMs,
  };
  if (resolvedRetry.maxDelayMs < resolvedRetry.minDelayMs) {
    throw new ConfigurationError('retry.maxDelayMs', 'must not be smaller than retry.minDelayMs');
  }
  const logger = settings.logger ?? stderrLogger;
  if (logger !== false) {
    if (typeof logger !== 'object' || logger === null) {
      throw new ConfigurationError(
        'logger',
        'must be false or an object with debug, info, warn and error methods',
      );
    }
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      if (typeof logger[level] !== 'function') {
        throw new ConfigurationError('logger', `needs a ${level}() method`);
      }
    }
  }
  const worker = settings.worker ?? true;
  if (typeof worker !== 'boolean' && (typeof worker !== 'object' || worker === null)) {
    throw new ConfigurationError('worker', 'must be true, false or { pollIntervalMs, batchSize }');
  }
  const workerOptions = typeof worker === 'object' ? worker : {};
  for (const key of Object.keys(workerOptions)) {
    if (!WORKER_KEYS.has(key)) throw new ConfigurationError(`worker.${key}`, 'unknown option');
  }
  const requestLog = settings.requestLog ?? {};
  if (requestLog !== false && (typeof requestLog !== 'object' || requestLog === null)) {
    throw new ConfigurationError('requestLog', 'must be false or { maxBody, retentionDays }');
  }
  if (requestLog !== false) {
    for (const key of Object.keys(requestLog)) {
      if (!REQUEST_LOG_KEYS.has(key)) {
        throw new ConfigurationError(`requestLog.${key}`, 'unknown option');
      }
    }
  }
  const events = settings.events ?? {};
  if (typeof events !== 'object' || events === null) {
    throw new ConfigurationError('events', 'must be an object: { retentionDays }');
  }
  for (const key of Object.keys(events)) {
    if (!EVENTS_KEYS.has(key)) throw new ConfigurationError(`events.${key}`, 'unknown option');
  }
  const groupCommit = settings.groupCommit;
  if (
    groupCommit !== undefined &&
    typeof groupCommit !== 'boolean' &&
    (typeof groupCommit !== 'object' || groupCommit === null)
  ) {
    throw new ConfigurationError('groupCommit', 'must be true, false or { maxBatch, maxWaitMs }');
  }
  const groupOptions = typeof groupCommit === 'object' ? groupCommit : {};
  for (const key of Object.keys(groupOptions)) {
    if (!GROUP_COMMIT_KEYS.has(key)) {
      throw new ConfigurationError(`groupCommit.${key}`, 'unknown option');
    }
  }
  const trustProxy = settings.trustProxy ?? false;
  if (typeof trustProxy !== 'boolean') {
    throw new ConfigurationError('trustProxy', 'must be a boolean');
  }
  const telemetry = resolveTelemetry(settings.telemetry ?? {});
  return {
    host: host === undefined ? undefined : typeof host === 'function' ? host : () => host,
    protocol,
    prefix,
    database: settings.database,
    tablePrefix,
    dispatch,
    retry: resolvedRetry,
    bodyLimit: parseBytes(settings.bodyLimit ?? '2mb'),
    bodyTimeout: positive(settings.bodyTimeout ?? 30_000, 'bodyTimeout'),
    logger: logger === false ? quietLogger : safeLogger(logger),
    worker: {
      enabled: worker !== false,
      pollIntervalMs: positive(workerOptions.pollIntervalMs ?? 1_000, 'worker.pollIntervalMs'),
      batchSize: Math.floor(positive(workerOptions.batchSize ?? 20, 'worker.batchSize')),
    },
    requestLog:
      requestLog === false
        ? false
        : {
            maxBody: Math.floor(positive(requestLog.maxBody ?? 64 * 1024, 'requestLog.maxBody')),
            retentionDays: positive(requestLog.retentionDays ?? 30, 'requestLog.retentionDays'),
          },
    events: {
      retentionDays:
        events.retentionDays === undefined
          ? undefined
          : positive(events.retentionDays, 'events.retentionDays'),
    },
    groupCommit: {
      enabled: groupCommit === undefined ? undefined : groupCommit !== false,
      maxBatch: Math.floor(positive(groupOptions.maxBatch ?? 100, 'groupCommit.maxBatch')),
      maxWaitMs: nonNegative(groupOptions.maxWaitMs ?? 2, 'groupCommit.maxWaitMs'),
    },
    trustProxy,
    telemetry,
  };
}

function resolveTelemetry(telemetry: TelemetrySettings | false): TelemetrySettings | false {
  if (telemetry === false) return false;
  if (typeof telemetry !== 'object' || telemetry === null) {
    throw new ConfigurationError('telemetry', 'must be false or { meterProvider, tracerProvider }');
  }
  for (const key of Object.keys(telemetry)) {
    if (!TELEMETRY_KEYS.has(key))
      throw new ConfigurationError(`telemetry.${key}`, 'unknown option');
  }
  const { meterProvider, tracerProvider } = telemetry;
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') {
    throw new ConfigurationError(
      'telemetry.meterProvider',
      'must be an OpenTelemetry MeterProvider (with getMeter())',
    );
  }
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') {
    throw new ConfigurationError(
      'telemetry.tracerProvider',
      'must be an OpenTelemetry TracerProvider (with getTracer())',
    );
  }
  return { ...telemetry };
}

/** Builds each variant's provider, validating names and provider options. */
export function buildProviders(
  variants: Record<string, VariantSettings> | undefined,
  contextFor: (variant: string) => ProviderContext,
): Map<string, Provider> {
  if (variants === null || typeof variants !== 'object' || Object.keys(variants).length === 0) {
    throw new ConfigurationError('variants', 'configure at least one variant');
  }
  const providers = new Map<string, Provider>();
  for (const [name, variant] of Object.entries(variants)) {
    if (!VARIANT_NAME.test(name)) {
      throw new ConfigurationError(
        `variants.${name}`,
        'a variant name is a URL segment: lowercase letters, digits, - and _ only',
        name,
      );
    }
    if (variant === null || typeof variant !== 'object') {
      throw new ConfigurationError(`variants.${name}`, 'must be an object with a provider', name);
    }
    providers.set(name, buildProvider(name, variant, contextFor(name)));
  }
  return providers;
}

/**
 * The {@link VariantMode} of each variant (call after {@link buildProviders}, which checks the
 * variants' names and shapes).
 */
export function variantModes(variants: Record<string, VariantSettings>): Map<string, VariantMode> {
  const modes = new Map<string, VariantMode>();
  for (const [name, variant] of Object.entries(variants)) modes.set(name, modeOf(name, variant));
  return modes;
}

/** A variant's validated mode; `'sandbox'` (PayPal's word) is `'test'`. */
function modeOf(name: string, variant: VariantSettings): VariantMode {
  const mode = variant.mode ?? 'any';
  if (mode === 'sandbox') return 'test';
  if (!VARIANT_MODES.includes(mode)) {
    throw new ConfigurationError(
      `variants.${name}.mode`,
      `must be 'live', 'test' or 'any' ('sandbox' is 'test'), got ${describe(mode)}`,
      name,
    );
  }
  return mode;
}

/**
 * The dedupe group of each variant: its `dedupeGroup`, else its name (call after
 * {@link buildProviders}).
 */
export function variantGroups(variants: Record<string, VariantSettings>): Map<string, string> {
  const groups = new Map<string, string>();
  for (const [name, variant] of Object.entries(variants)) {
    const group = variant.dedupeGroup ?? name;
    if (typeof group !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(group)) {
      throw new ConfigurationError(
        `variants.${name}.dedupeGroup`,
        `must be a name of letters, digits, - and _ (at most 64), got ${describe(group)}`,
        name,
      );
    }
    groups.set(name, group);
  }
  return groups;
}

/**
 * `expectEvery` of each variant that has one, in ms (call after {@link buildProviders}, which
 * checks the variants' names and shapes).
 */
export function variantExpectations(
  variants: Record<string, VariantSettings>,
): Map<string, number> {
  const expectations = new Map<string, number>();
  for (const [name, variant] of Object.entries(variants)) {
    const expectEvery = variant.expectEvery;
    if (expectEvery === undefined) continue;
    const ms = typeof expectEvery === 'string' ? durationMs(expectEvery) : undefined;
    if (ms === undefined || ms < 60_000) {
      throw new ConfigurationError(
        `variants.${name}.expectEvery`,
        `must be a duration of a minute or more, such as '6h', '30m' or '2d', got ${typeof expectEvery === 'string' ? `'${expectEvery}'` : describe(expectEvery)}`,
        name,
      );
    }
    expectations.set(name, ms);
  }
  return expectations;
}

/**
 * The periodic catch-up of each variant that has one (its `sync` option), validated against
 * the variant's provider.
 */
export function variantSchedules(
  variants: Record<string, VariantSettings>,
  providers: ReadonlyMap<string, Provider>,
): Map<string, ResolvedSchedule> {
  const schedules = new Map<string, ResolvedSchedule>();
  for (const [name, variant] of Object.entries(variants)) {
    const provider = providers.get(name);
    if (variant.sync === undefined || provider === undefined) continue;
    schedules.set(name, resolveSchedule(variant.sync, name, provider));
  }
  return schedules;
}

function buildProvider(name: string, variant: VariantSettings, context: ProviderContext): Provider {
  const { provider, ...rest } = variant as { provider: unknown } & Record<string, unknown>;
  const options = Object.fromEntries(
    Object.entries(rest).filter(([key]) => !COMMON_VARIANT_KEYS.has(key)),
  );
  const { secretCache } = variant as CommonVariantSettings;
  if (typeof provider === 'object' && provider !== null) {
    const custom = provider as Partial<Provider>;
    if (typeof custom.verify !== 'function' || typeof custom.name !== 'string') {
      throw new ConfigurationError(
        `variants.${name}.provider`,
        'a custom provider needs a name (string) and a verify(request) function',
        name,
      );
    }
    refuseSecretCache(name, secretCache);
    const extra = Object.keys(options)[0];
    if (extra !== undefined) {
      throw new ConfigurationError(`variants.${name}.${extra}`, 'unknown option', name);
    }
    checkSuccessAnswer(custom.successAnswer, name);
    return custom as Provider;
  }
  if (typeof provider !== 'string' || !Object.hasOwn(builtinProviders, provider)) {
    const known = Object.keys(builtinProviders).join(', ');
    throw new ConfigurationError(
      `variants.${name}.provider`,
      `unknown provider ${typeof provider === 'string' ? `'${provider}'` : describe(provider)}; built-in providers are ${known}, or pass a provider object`,
      name,
    );
  }
  const definition = builtinProviders[provider as keyof BuiltinProviderOptions];
  const allowed = new Set<string>(definition.options);
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      throw new ConfigurationError(
        `variants.${name}.${key}`,
        `unknown option for the ${provider} provider (it accepts ${[...allowed, 'sync'].join(', ')})`,
        name,
      );
    }
  }
  const withMode = { ...context, mode: modeOf(name, variant) };
  const resolvable = (definition as ProviderDefinition<Record<string, unknown>>).resolvableSecret;
  if (resolvable !== undefined && typeof options[resolvable.option] === 'function') {
    return resolvingProvider(
      definition as ProviderDefinition<Record<string, unknown>>,
      options,
      withMode,
      secretCache,
    );
  }
  refuseSecretCache(name, secretCache);
  return (definition.create as (o: unknown, c: ProviderContext) => Provider)(options, withMode);
}

/** `secretCache` applies only to a secret resolver. */
function refuseSecretCache(variant: string, secretCache: unknown): void {
  if (secretCache === undefined) return;
  throw new ConfigurationError(
    `variants.${variant}.secretCache`,
    "applies only when the variant's signing secret is a resolver function",
    variant,
  );
}

/** Refuses a custom provider's success answer that Koa could not send as given. */
function checkSuccessAnswer(answer: SuccessAnswer | undefined, variant: string): void {
  if (answer === undefined) return;
  const option = `variants.${variant}.provider.successAnswer`;
  if (answer === null || typeof answer !== 'object') {
    throw new ConfigurationError(option, 'must be { status?, contentType, body }', variant);
  }
  const status = answer.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 299 || status === 204) {
    throw new ConfigurationError(
      `${option}.status`,
      `must be a 2xx status with a body (not 204), got ${describe(answer.status)}`,
      variant,
    );
  }
  if (
    typeof answer.contentType !== 'string' ||
    !/^[\x21-\x7e][\x20-\x7e]*$/.test(answer.contentType)
  ) {
    throw new ConfigurationError(
      `${option}.contentType`,
      'must be a Content-Type header value such as text/plain',
      variant,
    );
  }
  if (typeof answer.body !== 'string') {
    throw new ConfigurationError(
      `${option}.body`,
      `must be a string, got ${describe(answer.body)}`,
      variant,
    );
  }
}

function nonNegative(value: number, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(option, `must be a non-negative number, got ${describe(value)}`);
  }
  return value;
}

function positive(value: number, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a positive number, got ${describe(value)}`);
  }
  return value;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `'2mb'` → 2097152; a number is bytes. */
export function parseBytes(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
    if (match) {
      const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
      if (bytes > 0) return bytes;
    }
  }
  throw new ConfigurationError('bodyLimit', `must be a byte count or a size like '2mb'`);
}
