/**
 * Durations as options write them: a number of milliseconds, or a string such as `'2s'`,
 * `'15m'`, `'24h'`, `'30d'`, `'2w'`, `'500ms'`.
 */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration string's shape: a positive number and a unit (ms, s, m, h, d, w). */
export const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/**
 * `'24h'` → 86 400 000 and a finite number of milliseconds ≥ 0 as it is; undefined for anything
 * else.
 */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return Number.isFinite(ms) ? ms : undefined;
}
