/**
 * A fake better-sqlite3 connection for the SQLite fast path, without a database: it follows
 * BEGIN / COMMIT / ROLLBACK, logs every statement, and fails the ones it is told to.
 */
import type { RawSqlite } from '../../src/store/knex-adapter.js';
import { type DirectAccess, DirectConnection } from '../../src/store/sqlite-direct.js';

/**
 * A connection that follows BEGIN / COMMIT / ROLLBACK and fails the statements it is told to:
 * the failures SQLite itself produces after a full disk or an I/O error. A failure given as a
 * function is asked at each run of its statement (1 for the first), and fails it when it
 * returns an error.
 */
export function fakeConnection(
  failing: Record<string, Error | ((occurrence: number) => Error | undefined)>,
) {
  const log: string[] = [];
  const raw = {
    inTransaction: false,
    prepare(sql: string) {
      return {
        run() {
          log.push(sql);
          const rule = failing[sql];
          const failure =
            typeof rule === 'function' ? rule(log.filter((s) => s === sql).length) : rule;
          if (failure !== undefined) throw failure;
          if (sql.startsWith('BEGIN')) raw.inTransaction = true;
          if (sql === 'COMMIT' || sql === 'ROLLBACK') raw.inTransaction = false;
          return { changes: 0, lastInsertRowid: 0 };
        },
        get: () => undefined,
      };
    },
  };
  const given: string[] = [];
  const connection = new DirectConnection(raw as RawSqlite);
  const access: DirectAccess = {
    acquire: async () => connection,
    release: () => given.push('released'),
    discard: (_connection, error) => given.push(`discarded: ${String(error)}`),
  };
  return { log, given, access, raw };
}
