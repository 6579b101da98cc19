/**
 * The part of `pg`'s API the Postgres suite uses (the package ships no types and `@types/pg` is
 * not installed; the library itself reaches pg only through Knex).
 */
declare module 'pg' {
  export type QueryResultRow = Record<string, unknown>;

  export interface QueryResult<R extends QueryResultRow = QueryResultRow> {
    rows: R[];
    rowCount: number | null;
  }

  export interface QueryConfig {
    /** Names a prepared statement: parsed once per connection. */
    name?: string;
    text: string;
    values?: unknown[];
  }

  export interface ConnectionOptions {
    connectionString?: string;
  }

  export class Client {
    constructor(options?: ConnectionOptions);
    connect(): Promise<void>;
    query<R extends QueryResultRow = QueryResultRow>(
      query: string | QueryConfig,
      values?: unknown[],
    ): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }

  export class Pool {
    constructor(options?: ConnectionOptions & { max?: number });
    query<R extends QueryResultRow = QueryResultRow>(
      query: string | QueryConfig,
      values?: unknown[],
    ): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }

  const pg: { Client: typeof Client; Pool: typeof Pool };
  export default pg;
}
