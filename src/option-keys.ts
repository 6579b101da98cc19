/**
 * Lists of allowed option keys that the compiler keeps in sync with their types: a new option
 * that is not listed, or a listed one the type lacks, fails to compile instead of being refused
 * (or accepted) at run time.
 */

/**
 * Every key of an options type, each once. A record that `satisfies` it misses none and adds
 * none, so a list of allowed keys cannot drift from its type.
 *
 * @example
 * const KEYS = keySet({ every: true, lookback: true, types: true } satisfies KeysOf<SyncSchedule>);
 */
export type KeysOf<T> = Record<keyof T, true>;

/** The keys of such a record. */
export function keySet(keys: Record<string, true>): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}
