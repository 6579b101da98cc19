/**
 * The loggers the library ships: the default one (warnings and errors on stderr, one line each),
 * the quiet one (`logger: false`), and the wrapper every logger is called through, which keeps
 * bound values out of the database errors it logs (store/database-errors.ts).
 */
import { withoutBoundValues } from './store/database-errors.js';
import type { Logger } from './types.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** A logger that drops everything (`logger: false`). */
export const quietLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Longest value printed by {@link lineLogger}; longer ones are cut. */
const MAX_VALUE = 300;

/** `key=value`: quoted when the value holds a space, a quote or `=`, and always on one line. */
function pair(key: string, value: string): string {
  const text = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  return `${key}=${text === '' || /[\s"=\\]/.test(text) ? JSON.stringify(text) : text}`;
}

/** An error as one line: its name, message and the frame it was thrown from. */
function errorText(error: Error): string {
  const frame = error.stack
    ?.split('\n')
    .find((line) => /^\s+at /.test(line))
    ?.trim();
  const text = `${error.name}: ${error.message}`.replace(/\s*\n\s*/g, ' ');
  return frame === undefined ? text : `${text} (${frame})`;
}

/**
 * The value of a field as printed, or undefined to leave it out: strings, numbers, booleans,
 * dates, errors and lists of those. Objects are left out, so that nothing large or unforeseen
 * (a payload, a request) reaches the line.
 */
function fieldText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Error) return errorText(value);
  if (Array.isArray(value)) {
    const items = value.map(fieldText);
    return items.every((item) => item !== undefined) ? items.join(',') : undefined;
  }
  return undefined;
}

/**
 * A logger that writes warnings and errors as one readable line each, through `write`, and drops
 * debug and info: `<time> koa-payments <level>: <message> key=value ...`.
 */
export function lineLogger(write: (line: string) => void): Logger {
  const print = (level: Level) => (fields: Record<string, unknown>, message: string) => {
    const parts = [
      new Date().toISOString(),
      `koa-payments ${level}:`,
      message.replace(/^koa-payments: /, '').replace(/\s*\n\s*/g, ' '),
    ];
    for (const [key, value] of Object.entries(fields ?? {})) {
      const text = fieldText(value);
      if (text !== undefined) parts.push(pair(key, text));
    }
    write(`${parts.join(' ')}\n`);
  };
  return { debug() {}, info() {}, warn: print('warn'), error: print('error') };
}

/** The default logger: warnings and errors on stderr. */
export const stderrLogger: Logger = lineLogger((line) => {
  process.stderr.write(line);
});

/**
 * `logger`, called with every logged database error (`fields.err`, and the errors it wraps)
 * stripped of its bound values. Each method is called on the logger itself, as pino needs.
 */
export function safeLogger(logger: Logger): Logger {
  const call =
    (level: Level) =>
    (fields: Record<string, unknown>, message: string): void => {
      const err = fields?.err;
      const safe = err === undefined ? err : withoutBoundValues(err);
      logger[level](safe === err ? fields : { ...fields, err: safe }, message);
    };
  return { debug: call('debug'), info: call('info'), warn: call('warn'), error: call('error') };
}
