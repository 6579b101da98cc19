/**
 * Durations as options and the command line write them: `'72h'`, `'15m'`, `'30d'`, `'90s'`,
 * `'2w'`, `'500ms'`.
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

/** `'72h'` → 259 200 000 (milliseconds); undefined for anything that is not a positive duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/** `259200000` → `'72h'`: the largest unit that divides it (for messages and records). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
