/**
 * The Postgres suite (`npm run bench -- --suite postgres`): A, B and C on an embedded Postgres
 * the bench starts itself (bench/postgres.ts, `synchronous_commit=on`), each run on a fresh
 * database; A also with group commit the other way, to show what it is worth there; then two A
 * processes sharing one database, loaded at once, and a check that every event was stored once
 * and its receiver run once, duplicates sent on purpose included.
 */

import { BASELINE_TABLE } from './database.js';
import { loadShared, type Measurement, problems, ServerChild } from './harness.js';
import { RequestSource } from './payload.js';
import { BenchPostgres, PG_STATS, POSTGRES_SETTINGS } from './postgres.js';
import {
  type Median,
  medians,
  mediansTable,
  type Run,
  ratios,
  roundRatios,
  roundRatiosText,
  runsTable,
} from './report.js';
import type { GroupCommitMode, ServerConfig } from './servers/protocol.js';
import {
  alternate,
  configOf,
  type Entry,
  poolSize,
  type Storage,
  type SuiteContext,
} from './suites.js';

/** The Postgres suite's targets (issue 15): A/B ≥ 1.0 and A/C ≥ 1.5. */
export const POSTGRES_TARGETS = { AB: 1.0, AC: 1.5 } as const;

/** In the shared case, every this many requests is a duplicate of the one before. */
const DUPLICATE_EVERY = 10;
/** Library table names of A (bench/database.ts's TABLE_PREFIX). */
const EVENTS = 'payments_events';
const DELIVERIES = 'payments_deliveries';

/** The group-commit setting of A's second configuration: the other way from the first. */
function flipped(mode: GroupCommitMode): 'on' | 'off' {
  // `default` is the library's default, on.
  return mode === 'off' ? 'on' : 'off';
}

/** What the shared case's check found. */
export interface SharedCheck {
  ok: boolean;
  sentUnique: number;
  duplicatesSent: number;
  answeredUnique: number;
  eventRows: number;
  distinctEventIds: number;
  deliveryRows: number;
  deliveriesSucceeded: number;
  deliveryAttempts: number;
  receiverRuns: number;
  problems: string[];
}

/** Counts the rows of the shared database against the ids sent and answered. */
async function checkShared(
  pg: BenchPostgres,
  database: string,
  source: RequestSource,
  receiverRuns: number,
): Promise<SharedCheck> {
  const ids = await pg.query<{ event_id: string }>(database, `SELECT event_id FROM ${EVENTS}`);
  const stored = new Set(ids.map((r) => r.event_id));
  const [d] = await pg.query<{ n: string; events: string; succeeded: string; attempts: string }>(
    database,
    `SELECT count(*) AS n, count(DISTINCT event) AS events,
            count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
            coalesce(sum(attempts), 0) AS attempts
       FROM ${DELIVERIES}`,
  );
  const deliveryRows = Number(d?.n ?? 0);
  const check: SharedCheck = {
    ok: true,
    sentUnique: source.sentIds.size,
    duplicatesSent: source.duplicates,
    answeredUnique: source.answeredIds.size,
    eventRows: ids.length,
    distinctEventIds: stored.size,
    deliveryRows,
    deliveriesSucceeded: Number(d?.succeeded ?? 0),
    deliveryAttempts: Number(d?.attempts ?? 0),
    receiverRuns,
    problems: [],
  };
  const problem = (text: string): void => {
    check.problems.push(text);
  };
  if (check.eventRows !== check.distinctEventIds) {
    problem(`${check.eventRows} event rows for ${check.distinctEventIds} event ids`);
  }
  const unknown = [...stored].filter((id) => !source.sentIds.has(id)).length;
  if (unknown > 0) problem(`${unknown} stored event ids were never sent`);
  const lost = [...source.answeredIds].filter((id) => !stored.has(id)).length;
  if (lost > 0) problem(`${lost} events answered 2xx are not stored`);
  if (deliveryRows !== check.eventRows || Number(d?.events ?? 0) !== check.eventRows) {
    problem(`${deliveryRows} deliveries for ${check.eventRows} events (one receiver each)`);
  }
  if (check.deliveriesSucceeded !== deliveryRows) {
    problem(`${deliveryRows - check.deliveriesSucceeded} deliveries not succeeded`);
  }
  if (check.deliveryAttempts !== deliveryRows) {
    problem(`${check.deliveryAttempts} delivery attempts for ${deliveryRows} deliveries`);
  }
  if (receiverRuns !== check.eventRows) {
    problem(`the receiver ran ${receiverRuns} times for ${check.eventRows} events`);
  }
  if (check.duplicatesSent === 0) problem('no duplicate was sent');
  check.ok = check.problems.length === 0;
  return check;
}

/** The summary of the shared case. */
interface SharedSummary {
  processes: number;
  connectionsEach: number;
  rps: number;
  perProcessRps: number[];
  /** Combined req/s over the median of one A process in the rounds above. */
  overSingleA: number | undefined;
  p99: number;
  check: SharedCheck;
}

/**
 * Two A children on one fresh database, loaded at once (half the connections each) from one
 * request source that repeats every tenth request, after a warm-up; then the check.
 */
async function sharedCase(
  ctx: SuiteContext,
  pg: BenchPostgres,
  config: ServerConfig,
  singleA: Median | undefined,
): Promise<{ run: Run; summary: SharedSummary }> {
  const { options, log } = ctx;
  const database = await pg.freshDatabase();
  const children: ServerChild[] = [];
  try {
    const shared = { ...config, postgres: pg.url(database) };
    // One after the other: the first runs the migrations, the second finds them done.
    for (let i = 0; i < 2; i += 1) children.push(await ServerChild.start('A', shared));
    const rate = (singleA?.rps ?? 2000) * 1.5;
    const seconds = options.warmup + options.duration;
    const source = new RequestSource(options.payload, poolSize(rate, seconds, options.payload), {
      duplicateEvery: DUPLICATE_EVERY,
    });
    log(
      `postgres shared: 2 × A on one database, ${Math.max(1, Math.floor(options.connections / 2))} connections each, every ${DUPLICATE_EVERY}th request a duplicate`,
    );
    if (options.warmup > 0) {
      await loadShared(children, source, {
        connections: options.connections,
        duration: options.warmup,
      });
    }
    const m = await loadShared(children, source, {
      connections: options.connections,
      duration: options.duration,
    });
    // Requests in flight when autocannon stopped finish on the servers.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stats = await Promise.all(children.map((c) => c.stats()));
    const runs = stats.reduce((total, s) => total + (s.runs ?? 0), 0);
    const check = await checkShared(pg, database, source, runs);
    const combined: Measurement = m.combined;
    // Duplicates are answered 2xx without a new row: the row count cannot match the answers.
    const runProblems = [
      ...problems(combined, options.connections).filter((p) => !p.includes('rows stored')),
      ...check.problems,
    ];
    const summary: SharedSummary = {
      processes: children.length,
      connectionsEach: Math.max(1, Math.floor(options.connections / 2)),
      rps: combined.rps,
      perProcessRps: m.perServer.map((p) => p.rps),
      overSingleA: singleA === undefined ? undefined : combined.rps / singleA.rps,
      p99: combined.latency.p99,
      check,
    };
    log(
      `  2 × A: ${combined.rps.toFixed(0)} req/s combined (${summary.perProcessRps.map((r) => r.toFixed(0)).join(' + ')}), ` +
        `p99 ${combined.latency.p99.toFixed(1)} ms` +
        (summary.overSingleA === undefined
          ? ''
          : `, ${summary.overSingleA.toFixed(2)} × one A process`),
    );
    log(
      `  check: ${check.sentUnique} events sent (+${check.duplicatesSent} duplicates), ${check.eventRows} stored, ` +
        `${check.deliveryRows} deliveries, receiver run ${check.receiverRuns} times: ` +
        (check.ok ? 'each event stored once, each receiver run once' : check.problems.join('; ')),
    );
    const run: Run = {
      suite: 'postgres',
      server: 'A',
      variant: 'shared-2-processes',
      round: 1,
      preload: 0,
      payloadBytes: options.payload,
      measurement: combined,
      problems: runProblems,
    };
    return { run, summary };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await pg.dropDatabase(database);
  }
}

/** A, B and C (and A with group commit flipped) on Postgres, then two A processes sharing it. */
export async function postgresSuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  const pg = await BenchPostgres.start(log);
  try {
    const version = await pg.version();
    const pool = options.pool === undefined ? {} : { pool: options.pool };
    /** Postgres CPU per stored event of each run, warm-up included, by entry. */
    const serverCpu: { server: string; variant?: string; events: number; cpuUsPerEvent: number }[] =
      [];
    const storage: Storage = async (suiteCtx, entry) => {
      const database = await pg.freshDatabase();
      await pg.resetStatements(database);
      const cpuBefore = pg.cpuSeconds();
      return {
        config: {
          ...configOf(suiteCtx, ''),
          postgres: pg.url(database),
          ...pool,
          ...entry.override,
        },
        remove: async () => {
          const cpu = pg.cpuSeconds() - cpuBefore;
          const table = entry.server === 'A' ? EVENTS : BASELINE_TABLE;
          const [row] = await pg.query<{ n: string }>(
            database,
            `SELECT count(*) AS n FROM ${table}`,
          );
          const events = Number(row?.n ?? 0);
          const cpuUsPerEvent = events === 0 ? 0 : (cpu * 1e6) / events;
          const name =
            entry.variant === undefined ? entry.server : `${entry.server} (${entry.variant})`;
          log(
            `  ${name}: Postgres used ${cpu.toFixed(2)} CPU s for ${events} events stored (warm-up included): ${cpuUsPerEvent.toFixed(0)} µs per event`,
          );
          serverCpu.push({
            server: entry.server,
            ...(entry.variant === undefined ? {} : { variant: entry.variant }),
            events,
            cpuUsPerEvent,
          });
          if (PG_STATS) {
            log(
              '    per stored event: calls, rows/call, exec ms (mean), plan ms (mean), plans/call, µs',
            );
            for (const s of (await pg.statements(database, events)).slice(0, 25)) {
              const text = s.query.replace(/\s+/g, ' ');
              log(
                `    ${s.callsPerEvent.toFixed(3).padStart(7)} ${s.rowsPerCall.toFixed(1).padStart(5)} ` +
                  `${s.execMsMean.toFixed(3).padStart(7)} ${s.planMsMean.toFixed(3).padStart(7)} ` +
                  `${s.plansPerCall.toFixed(2).padStart(5)} ${s.usPerEvent.toFixed(0).padStart(6)}  ` +
                  `${text.length > 160 ? `${text.slice(0, 160)}…` : text}`,
              );
            }
          }
          await pg.dropDatabase(database);
        },
      };
    };
    const other = flipped(options.groupCommit);
    const entries: Entry[] = options.servers.map((server) => ({ server }));
    if (options.servers.includes('A')) {
      entries.splice(1, 0, {
        server: 'A',
        variant: `group-commit-${other}`,
        override: { groupCommit: other },
      });
    }
    log(
      `postgres ${version}: ${entries.map((e) => (e.variant === undefined ? e.server : `${e.server} (${e.variant})`)).join(', ')} × ${options.rounds} rounds, ` +
        `${options.duration} s each, ${options.connections} connections, ${options.payload} B bodies, ` +
        `A's groupCommit ${options.groupCommit}, pool ${options.pool ?? 'the default (Knex 2–10, pg 10)'}`,
    );
    const runs = await alternate(ctx, 'postgres', 0, options.payload, entries, storage);
    const main = runs.filter((r) => r.variant === undefined);
    const flippedRuns = runs.filter((r) => r.variant !== undefined);
    const meds = medians(main);
    const flippedA = medians(flippedRuns)[0];
    const medianA = meds.find((m) => m.server === 'A');
    log(
      `\n${runsTable(runs)}\n\nmedians\n${mediansTable(meds, POSTGRES_TARGETS)}\n${roundRatiosText(main)}`,
    );
    if (flippedA !== undefined && medianA !== undefined) {
      log(
        `A with group commit ${other}: ${flippedA.rps.toFixed(0)} req/s, ${(flippedA.rps / medianA.rps).toFixed(2)} × A (${options.groupCommit})\n`,
      );
    }
    let shared: SharedSummary | undefined;
    if (options.servers.includes('A')) {
      const result = await sharedCase(ctx, pg, { ...configOf(ctx, ''), ...pool }, medianA);
      runs.push(result.run);
      shared = result.summary;
    }
    const { AB, AC } = ratios(meds);
    return {
      runs,
      summary: {
        server: { version, settings: POSTGRES_SETTINGS, pool: options.pool ?? 'default' },
        medians: meds,
        ratios: { AB, AC },
        targets: POSTGRES_TARGETS,
        serverCpu,
        roundRatios: roundRatios(main),
        groupCommit:
          flippedA === undefined || medianA === undefined
            ? undefined
            : {
                A: options.groupCommit,
                flipped: other,
                flippedMedian: flippedA,
                flippedOverA: flippedA.rps / medianA.rps,
              },
        shared,
      },
    };
  } finally {
    await pg.stop();
  }
}
