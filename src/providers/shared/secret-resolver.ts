/**
 * A variant whose signing secret is a resolver function (`endpointSecret: async (request) => …`):
 * the secret is resolved per request, cached per key with a bounded TTL and size, and the
 * provider is built for the secret found (the same factory, the same validation). The other
 * options are checked at start-up with a placeholder secret. A resolver that throws, times out or
 * returns no valid secret answers 503 `secret_unavailable` (the provider redelivers); nothing is
 * stored, and neither the secret nor the resolver's result is ever logged.
 */
import { ConfigurationError, SecretUnavailableError } from '../../errors.js';
import { type KeysOf, keySet } from '../../option-keys.js';
import type {
  Provider,
  ProviderContext,
  ProviderDefinition,
  SecretResolver,
  WebhookRequest,
} from '../types.js';
import { describe } from './signature.js';

/** How a variant's resolved secrets are cached (`secretCache`). */
export interface SecretCacheSettings {
  /**
   * Milliseconds a resolved secret is reused for the same key. `0`: resolved on every request.
   * A rotated secret is picked up within this time.
   * @default 60000
   */
  ttlMs?: number;
  /**
   * The most keys kept; past it the least recently used is dropped.
   * @default 1000
   */
  maxEntries?: number;
  /**
   * Milliseconds the resolver may take before the webhook is answered 503.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * What tells requests with different secrets apart: the cache key. The default fits one URL
   * per tenant (`/payments/process/stripe/?account=acct_1`); a resolver that reads a header or
   * the body needs a `key` reading the same thing.
   * @default the request URL (path and query)
   */
  key?: (request: WebhookRequest) => string;
}

const SECRET_CACHE_KEYS = keySet({
  ttlMs: true,
  maxEntries: true,
  timeoutMs: true,
  key: true,
} satisfies KeysOf<SecretCacheSettings>);

/** The defaults of {@link SecretCacheSettings}. */
export const SECRET_CACHE_DEFAULTS = { ttlMs: 60_000, maxEntries: 1000, timeoutMs: 5000 } as const;

interface Entry {
  provider: Provider;
  expiresAt: number;
}

function count(
  value: unknown,
  fallback: number,
  option: string,
  variant: string,
  min: number,
): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new ConfigurationError(
      `variants.${variant}.secretCache.${option}`,
      `must be an integer of at least ${min}, got ${describe(value)}`,
      variant,
    );
  }
  return n;
}

/** Validates `secretCache` and applies its defaults. */
export function secretCacheOption(
  value: unknown,
  variant: string,
): Required<Omit<SecretCacheSettings, 'key'>> & Pick<SecretCacheSettings, 'key'> {
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    throw new ConfigurationError(`variants.${variant}.secretCache`, 'must be an object', variant);
  }
  const settings = (value ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(settings)) {
    if (!SECRET_CACHE_KEYS.has(name)) {
      throw new ConfigurationError(
        `variants.${variant}.secretCache.${name}`,
        'unknown option',
        variant,
      );
    }
  }
  if (settings.key !== undefined && typeof settings.key !== 'function') {
    throw new ConfigurationError(
      `variants.${variant}.secretCache.key`,
      `must be a function (request) => string, got ${describe(settings.key)}`,
      variant,
    );
  }
  const { ttlMs, maxEntries, timeoutMs } = SECRET_CACHE_DEFAULTS;
  return {
    ttlMs: count(settings.ttlMs, ttlMs, 'ttlMs', variant, 0),
    maxEntries: count(settings.maxEntries, maxEntries, 'maxEntries', variant, 1),
    timeoutMs: count(settings.timeoutMs, timeoutMs, 'timeoutMs', variant, 1),
    ...(settings.key === undefined ? {} : { key: settings.key as SecretCacheSettings['key'] }),
  };
}

/** `promise`, or a rejection after `ms` milliseconds. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the secret resolver took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The provider of a variant whose secret option (`definition.resolvableSecret.option`) is a
 * resolver: its `verify` resolves (or reuses) the secret, then verifies with the provider built
 * for it. Everything else (facts, data, API) comes from a provider built with the placeholder.
 */
export function resolvingProvider<O>(
  definition: ProviderDefinition<O>,
  options: O,
  context: ProviderContext,
  cacheSettings: unknown,
): Provider {
  const { variant } = context;
  const secret = definition.resolvableSecret;
  if (secret === undefined) throw new Error('resolvingProvider: no resolvable secret');
  const resolver = options[secret.option] as unknown as SecretResolver;
  const cache = secretCacheOption(cacheSettings, variant);
  const build = (value: unknown) =>
    definition.create({ ...options, [secret.option]: value }, context);
  // Checks every other option now, as a variant with a plain secret is checked.
  const template = build(secret.placeholder);
  const now = context.now ?? Date.now;
  const keyOf = cache.key ?? ((request: WebhookRequest) => request.url);
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<Entry>>();

  function unavailable(cause: unknown, message: string): SecretUnavailableError {
    // The resolver's error is the app's own; the secret and the resolver's result never appear.
    context.logger?.error({ err: cause, variant, option: secret?.option }, message);
    return new SecretUnavailableError(variant, cause);
  }

  async function resolve(request: WebhookRequest): Promise<Entry> {
    let value: unknown;
    try {
      value = await within(
        Promise.resolve().then(() => resolver(request)),
        cache.timeoutMs,
      );
    } catch (error) {
      throw unavailable(
        error,
        `koa-payments: the ${String(secret?.option)} resolver of variant "${variant}" failed; answering 503 so the provider retries`,
      );
    }
    let provider: Provider;
    try {
      provider = build(value);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      // A ConfigurationError names the option and the mistake, never the value.
      throw unavailable(
        error,
        `koa-payments: the ${String(secret?.option)} resolver of variant "${variant}" returned no valid secret; answering 503`,
      );
    }
    return { provider, expiresAt: now() + cache.ttlMs };
  }

  async function providerFor(request: WebhookRequest): Promise<Provider> {
    if (cache.ttlMs === 0) return (await resolve(request)).provider;
    let key: string;
    try {
      key = String(keyOf(request));
    } catch (error) {
      throw unavailable(
        error,
        `koa-payments: secretCache.key of variant "${variant}" threw; answering 503`,
      );
    }
    const cached = entries.get(key);
    if (cached !== undefined && cached.expiresAt > now()) {
      // Least recently used last: Map keeps insertion order.
      entries.delete(key);
      entries.set(key, cached);
      return cached.provider;
    }
    entries.delete(key);
    // Concurrent requests for one key share one resolution.
    let inFlight = pending.get(key);
    if (inFlight === undefined) {
      inFlight = resolve(request).finally(() => pending.delete(key));
      pending.set(key, inFlight);
    }
    const entry = await inFlight;
    entries.set(key, entry);
    while (entries.size > cache.maxEntries) {
      entries.delete(entries.keys().next().value as string);
    }
    return entry.provider;
  }

  const provider: Provider = {
    ...template,
    async verify(request) {
      return (await providerFor(request)).verify(request);
    },
  };
  return provider;
}
