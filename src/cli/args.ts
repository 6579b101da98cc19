/** Parsing and validating option values: durations, dates, numbers, JSON. */
import { DURATION, durationMs } from '../duration.js';
import { UsageError } from './errors.js';

/** `'30d'` → milliseconds. Units: ms, s, m, h, d, w. */
export function parseDuration(value: string, option: string, command: string): number {
  const amount = durationMs(value);
  if (amount === undefined) {
    throw new UsageError(
      `${option} expects a duration such as 30d, 12h, 90m or 2w, got '${value}'`,
      command,
    );
  }
  return amount;
}

/** `--since`: a duration back from now (`24h`) or a date (`2024-05-01`, ISO 8601). */
export function parseSince(value: string, command: string, now = Date.now()): Date {
  if (DURATION.test(value.trim())) {
    return new Date(now - parseDuration(value, '--since', command));
  }
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--since expects a duration back from now (24h, 7d) or a date (2024-05-01), got '${value}'`,
      command,
    );
  }
  return date;
}

/** A positive integer option, at most `max`. */
export function parseCount(
  value: string,
  option: string,
  command: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) {
    throw new UsageError(
      `${option} expects a whole number from 1 to ${max}, got '${value}'`,
      command,
    );
  }
  return number;
}

/** A JSON object option. */
export function parseJsonObject(
  value: string,
  option: string,
  command: string,
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`${option} is not valid JSON: ${(error as Error).message}`, command);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(
      `${option} must be a JSON object, e.g. '{"client_reference_id":"42"}'`,
      command,
    );
  }
  return parsed as Record<string, unknown>;
}

/** A comma-separated list option, each value one of `allowed`. */
export function parseList<T extends string>(
  value: string,
  allowed: readonly T[],
  option: string,
  command: string,
): T[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`${option} '${item}' is not one of ${allowed.join(', ')}`, command);
    }
  }
  if (items.length === 0) throw new UsageError(`${option} needs a value`, command);
  return items as T[];
}
