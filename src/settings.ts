/**
 * Settings of `payments()`: their defaults (applied once, with `??`) and their validation. A
 * wrong setting throws a `ConfigurationError` naming the option. The types are in
 * settings-types.ts (re-exported here), the variants' checks in variants.ts.
 */
import { durationMs } from './duration.js';
import { ConfigurationError } from './errors.js';
import { quietLogger, safeLogger, stderrLogger } from './logger.js';
import { type KeysOf, keySet } from './option-keys.js';
import { describe } from './providers/shared/signature.js';
import type { TelemetrySettings } from './telemetry/telemetry.js';

export type {
  BuiltinVariantSettings,
  CommonVariantSettings,
  CustomVariantSettings,
  DatabaseSetting,
  EventsSettings,
  GroupCommitSettings,
  PaymentsSettings,
  RequestLogSettings,
  ResolvedRetrySettings,
  ResolvedSettings,
  RetrySettings,
  SqliteFileSettings,
  VariantMode,
  VariantSettings,
  WorkerSettings,
} from './settings-types.js';

import type {
  EventsSettings,
  GroupCommitSettings,
  PaymentsSettings,
  RequestLogSettings,
  ResolvedRetrySettings,
  ResolvedSettings,
  RetrySettings,
  WorkerSettings,
} from './settings-types.js';

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

/**
 * The largest `trustProxy` hop count. A count past the header's length reads its first entry,
 * the client's own, as `true` does: a count like 1e21 is a mistake, not a deployment.
 */
const MAX_PROXY_HOPS = 32;

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
  if (
    typeof trustProxy !== 'boolean' &&
    !(
      typeof trustProxy === 'number' &&
      Number.isInteger(trustProxy) &&
      trustProxy >= 1 &&
      trustProxy <= MAX_PROXY_HOPS
    )
  ) {
    throw new ConfigurationError(
      'trustProxy',
      `must be a whole number from 1 to ${MAX_PROXY_HOPS} (how many proxies in front of the ` +
        'app append to X-Forwarded-For), true (a proxy replaces that header) or false, got ' +
        (typeof trustProxy === 'number' ? String(trustProxy) : describe(trustProxy)),
    );
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
      enabled: groupCommit !== false,
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
