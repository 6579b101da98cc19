/**
 * The `sync` option of a variant (`{ every, lookback, types? }`), validated at construction: a
 * mistake is a `ConfigurationError` naming the variant and the option.
 */
import { ConfigurationError } from '../errors.js';
import { type KeysOf, keySet } from '../option-keys.js';
import type { Provider } from '../providers/types.js';
import { missingApi, positiveDuration, resolveTypes } from './sync.js';
import type { SyncSchedule } from './types.js';

/** A schedule with its durations in milliseconds. */
export interface ResolvedSchedule {
  everyMs: number;
  lookbackMs: number;
  types: readonly string[] | undefined;
}

/** The shortest period accepted: a run lists at least one page every time. */
export const MIN_EVERY_MS = 1_000;

const KEYS = keySet({ every: true, lookback: true, types: true } satisfies KeysOf<SyncSchedule>);

/** Validates one variant's `sync` option, for its provider. */
export function resolveSchedule(
  value: unknown,
  variant: string,
  provider: Provider,
): ResolvedSchedule {
  const option = `variants.${variant}.sync`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      option,
      `must be an object like { every: '15m', lookback: '1h' }`,
      variant,
    );
  }
  const schedule = value as Partial<SyncSchedule> & Record<string, unknown>;
  for (const key of Object.keys(schedule)) {
    if (!KEYS.has(key)) {
      throw new ConfigurationError(
        `${option}.${key}`,
        `unknown option (it accepts ${[...KEYS].join(', ')})`,
        variant,
      );
    }
  }
  const everyMs = positiveDuration(schedule.every);
  if (everyMs === undefined || everyMs < MIN_EVERY_MS) {
    throw new ConfigurationError(
      `${option}.every`,
      `must be a duration of at least 1s such as '15m', got ${JSON.stringify(schedule.every)}`,
      variant,
    );
  }
  const lookbackMs = positiveDuration(schedule.lookback);
  if (lookbackMs === undefined) {
    throw new ConfigurationError(
      `${option}.lookback`,
      `must be a duration such as '1h' (how far back each run lists), got ${JSON.stringify(schedule.lookback)}`,
      variant,
    );
  }
  let types: readonly string[] | undefined;
  try {
    types = resolveTypes(schedule.types, 'sync');
  } catch {
    throw new ConfigurationError(
      `${option}.types`,
      `must be a non-empty array of event types ('charge.succeeded', 'charge.*' or '*')`,
      variant,
    );
  }
  if (provider.api === undefined) {
    const { reason } = missingApi(provider, variant);
    throw new ConfigurationError(option, `lists the provider's API, and ${reason}`, variant);
  }
  return { everyMs, lookbackMs, types };
}
