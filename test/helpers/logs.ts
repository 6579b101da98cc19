/** A logger that records what the library logs, for tests that assert on it. */
import type { Logger } from '../../src/index.js';

/** One recorded call. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger and what it recorded. */
export function recordingLogger(): Logger & {
  entries: LogEntry[];
  at(level: LogEntry['level']): LogEntry[];
} {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) => (fields: Record<string, unknown>, message: string) => {
      entries.push({ level, fields, message });
    };
  return {
    entries,
    at: (level) => entries.filter((entry) => entry.level === level),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}
