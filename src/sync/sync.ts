/**
 * `pay.sync()`: lists what a variant's provider API has since a time and stores each event
 * through the pipeline, exactly as its webhook would be stored (the same transaction, the same
 * receivers, after the commit), with `source: 'sync'`. Every listed event has the id its webhook
 * has, so the store's UNIQUE(event_id, dedupe_group) makes the two one event whichever comes
 * first (a webhook at another variant of the same `dedupeGroup` included).
 */

import { durationMs } from '../duration.js';
import { ConfigurationError, PaymentsError } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import type { Provider, ProviderApi, VerifiedEvent } from '../providers/types.js';
import type { EventQueries } from '../store/queries.js';
import { SyncError } from './errors.js';
import type { SyncOptions, SyncOutcome, SyncProgress } from './types.js';

/** Events of a page stored at once: enough for a group commit to batch them. */
const CONCURRENCY = 8;

/** What sync and reconcile work with. */
export interface CatchUpDependencies {
  providers: ReadonlyMap<string, Provider>;
  pipeline: Pick<Pipeline, 'storeFetched'>;
  queries: Pick<EventQueries, 'storedEventIds' | 'getEvent'>;
  /** The dedupe group of each variant (its `dedupeGroup`, else its name). */
  groups: ReadonlyMap<string, string>;
}

/** A sync with its options checked. */
export interface SyncRequest {
  since: Date;
  until: Date;
  types: readonly string[] | undefined;
  onProgress: ((progress: SyncProgress) => void) | undefined;
  dryRun: boolean;
  /** Stops the sync between two events (the worker's stop, `options.signal`). */
  signal?: AbortSignal | undefined;
}

const TYPE_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

/** The providers whose variants ask their API once given a key, and the option that holds it. */
const API_KEY_OPTIONS: Readonly<Record<string, string>> = {
  stripe: 'apiKey',
  paystack: 'secretKey',
  flutterwave: 'apiKey',
  mollie: 'apiKey',
};

/**
 * What a variant without `provider.api` lacks, for the `ConfigurationError` that says so: the
 * API key of a provider that has an API, or API support at all.
 */
export function missingApi(
  provider: Provider,
  variant: string,
): { option: string; reason: string } {
  const key = API_KEY_OPTIONS[provider.name];
  return key === undefined
    ? {
        option: `variants.${variant}.provider`,
        reason: `the ${provider.name} provider has no API support (a custom provider can give one as provider.api)`,
      }
    : {
        option: `variants.${variant}.${key}`,
        reason: `the ${provider.name} variant has no API credentials (${key})`,
      };
}

/**
 * The API of a variant, or the error that says what is missing: an unknown variant, or a variant
 * without API credentials.
 */
export function apiOf(
  providers: ReadonlyMap<string, Provider>,
  variant: string,
  call: string,
): ProviderApi {
  const provider = providers.get(variant);
  if (provider === undefined) {
    throw new PaymentsError('unknown_variant', 404, `No payment variant named "${variant}".`);
  }
  if (provider.api === undefined) {
    const { option, reason } = missingApi(provider, variant);
    throw new ConfigurationError(option, `${call} asks the provider's API, and ${reason}`, variant);
  }
  return provider.api;
}

/** A duration string (`'72h'`) in milliseconds when it is one and positive, else undefined. */
export function positiveDuration(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? durationMs(value) : undefined;
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** `since` as a Date: a Date, or a duration back from `now`. */
export function resolveSince(since: unknown, now: Date, call: string): Date {
  const date =
    since instanceof Date
      ? since
      : positiveDuration(since) !== undefined
        ? new Date(now.getTime() - (positiveDuration(since) as number))
        : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new TypeError(
      `koa-payments: ${call} expects since to be a Date or a duration back from now such as '72h', '30d' or '90m', got ${typeof since === 'string' ? `'${since}'` : String(since)}`,
    );
  }
  if (date.getTime() > now.getTime()) {
    throw new TypeError(`koa-payments: ${call}: since (${date.toISOString()}) is in the future`);
  }
  return date;
}

/** `types` checked: each an exact type, `prefix.*` or `*`. */
export function resolveTypes(types: unknown, call: string): readonly string[] | undefined {
  if (types === undefined) return undefined;
  if (
    !Array.isArray(types) ||
    types.length === 0 ||
    !types.every((type) => typeof type === 'string' && TYPE_PATTERN.test(type))
  ) {
    throw new TypeError(
      `koa-payments: ${call} expects types to be a non-empty array of event types ('charge.succeeded', 'charge.*' or '*')`,
    );
  }
  return [...types];
}

/** Checks the options of `pay.sync()`. */
export function syncRequest(options: SyncOptions, now = new Date()): SyncRequest {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`koa-payments: sync(variant, { since }) needs its options`);
  }
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('koa-payments: sync() expects onProgress to be a function');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('koa-payments: sync() expects signal to be an AbortSignal');
  }
  return {
    since: resolveSince(options.since, now, 'sync()'),
    until: now,
    types: resolveTypes(options.types, 'sync()'),
    onProgress,
    dryRun: options.dryRun === true,
    signal,
  };
}

/** Runs `work` on every item, at most `limit` at once; rejects with the first failure, after the others settle. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
}

/**
 * Lists the variant's events of the window page by page and stores each (or, in a dry run,
 * counts which are stored). A page that fails stops the sync with a {@link SyncError}; what was
 * stored before stays stored. Resolves once every stored event's receivers have run.
 */
export async function runSync(
  dependencies: CatchUpDependencies,
  variant: string,
  request: SyncRequest,
): Promise<SyncOutcome> {
  const api = apiOf(dependencies.providers, variant, 'sync()');
  const progress: SyncProgress = { fetched: 0, stored: 0, duplicates: 0, pages: 0 };
  let missing = 0;
  const report = () => request.onProgress?.({ ...progress });
  const listing = api.listEvents({
    since: request.since,
    until: request.until,
    ...(request.types === undefined ? {} : { types: request.types }),
  });
  const counts = () => ({
    fetched: progress.fetched,
    stored: progress.stored,
    duplicates: progress.duplicates,
  });
  let done = 0;
  try {
    for await (const page of listing) {
      request.signal?.throwIfAborted();
      progress.pages += 1;
      progress.fetched += page.fetched;
      report();
      if (request.dryRun) {
        // Events are unique per dedupe group: what another variant of the group stored counts.
        const stored = await dependencies.queries.storedEventIds(
          dependencies.groups.get(variant) ?? variant,
          page.events.map((event) => event.id),
        );
        progress.duplicates += page.events.filter((event) => stored.has(event.id)).length;
        missing += page.events.filter((event) => !stored.has(event.id)).length;
        done += 1;
        continue;
      }
      await eachLimited(page.events, CONCURRENCY, async (event: VerifiedEvent) => {
        request.signal?.throwIfAborted();
        const received = await dependencies.pipeline.storeFetched(variant, event, 'sync');
        await received.dispatched;
        if (received.duplicate) progress.duplicates += 1;
        else progress.stored += 1;
        report();
      });
      done += 1;
    }
  } catch (error) {
    // The events stored before stay stored.
    throw new SyncError(variant, counts(), done, error);
  }
  return request.dryRun ? { ...counts(), missing } : counts();
}
