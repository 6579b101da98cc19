/**
 * Variants: each one's provider built from its options, and its common settings (mode, dedupe
 * group, expectEvery, sync) read and checked. A wrong one throws a `ConfigurationError` naming
 * the variant's option. The settings' types are in settings.ts.
 */

import { durationMs } from './duration.js';
import { ConfigurationError } from './errors.js';
import { type KeysOf, keySet } from './option-keys.js';
import { type BuiltinProviderOptions, builtinProviders } from './providers/index.js';
import { resolvingProvider } from './providers/shared/secret-resolver.js';
import { describe } from './providers/shared/signature.js';
import type {
  Provider,
  ProviderContext,
  ProviderDefinition,
  SuccessAnswer,
} from './providers/types.js';
import type { CommonVariantSettings, VariantMode, VariantSettings } from './settings.js';
import { type ResolvedSchedule, resolveSchedule } from './sync/schedule.js';

const COMMON_VARIANT_KEYS = keySet({
  mode: true,
  secretCache: true,
  dedupeGroup: true,
  expectEvery: true,
  sync: true,
} satisfies KeysOf<CommonVariantSettings>);
const VARIANT_MODES: readonly VariantMode[] = ['live', 'test', 'any'];
const VARIANT_NAME = /^[a-z0-9_-]+$/;

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
