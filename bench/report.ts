/**
 * Medians, ratios and text tables of benchmark runs.
 */
import type { Measurement, ServerName } from './harness.js';

/** One measured run of one server. */
export interface Run {
  suite: string;
  server: ServerName;
  /** A second configuration of the same server (the Postgres suite's A with group commit flipped). */
  variant?: string;
  round: number;
  preload: number;
  payloadBytes: number;
  measurement: Measurement;
  problems: string[];
}

/** The median of each figure over a server's runs. */
export interface Median {
  server: ServerName;
  runs: number;
  rps: number;
  p50: number;
  p99: number;
  serverCpuUsPerRequest: number;
  foreignCores: number;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Medians per server, over the runs given. */
export function medians(runs: readonly Run[]): Median[] {
  const servers = [...new Set(runs.map((r) => r.server))].sort();
  return servers.map((server) => {
    const mine = runs.filter((r) => r.server === server).map((r) => r.measurement);
    return {
      server,
      runs: mine.length,
      rps: median(mine.map((m) => m.rps)),
      p50: median(mine.map((m) => m.latency.p50)),
      p99: median(mine.map((m) => m.latency.p99)),
      serverCpuUsPerRequest: median(mine.map((m) => m.serverCpuUsPerRequest)),
      foreignCores: median(mine.map((m) => m.foreignCores)),
    };
  });
}

/** The ratios reported: each names the server divided by the server it is compared with. */
const RATIOS = [
  { key: 'AB', over: 'A', under: 'B' },
  { key: 'AC', over: 'A', under: 'C' },
  { key: 'GB', over: 'G', under: 'B' },
] as const;

/** A/B, A/C and G/B (undefined where a server did not run). */
export type Ratios = { AB?: number; AC?: number; GB?: number };

/** The ratios of the req/s that `rps` gives per server. */
function ratiosOf(rps: (server: ServerName) => number | undefined): Ratios {
  const out: Ratios = {};
  for (const { key, over, under } of RATIOS) {
    const a = rps(over);
    const b = rps(under);
    if (a !== undefined && b !== undefined) out[key] = a / b;
  }
  return out;
}

/**
 * A/B, A/C and G/B throughput ratios of the medians (undefined when a server did not run). G/B
 * is about the most a group-committing server reaches against B on this machine.
 */
export function ratios(meds: readonly Median[]): Ratios {
  return ratiosOf((s) => meds.find((m) => m.server === s)?.rps);
}

/**
 * The ratios within each round: servers run one after the other in a round, so a round's ratio
 * is the least touched by this VM's drift, and their spread tells how far the medians can move.
 */
export function roundRatios(runs: readonly Run[]): { round: number; ratios: Ratios }[] {
  const rounds = [...new Set(runs.map((r) => r.round))].sort((a, b) => a - b);
  return rounds.map((round) => ({
    round,
    ratios: ratiosOf((s) => runs.find((r) => r.round === round && r.server === s)?.measurement.rps),
  }));
}

/** `A/B per round: 1.46 1.62 ...`, one line per ratio that every round has. */
export function roundRatiosText(runs: readonly Run[]): string {
  const perRound = roundRatios(runs);
  return RATIOS.filter(({ key }) => perRound.every((r) => r.ratios[key] !== undefined))
    .map(
      ({ over, under, key }) =>
        `${over}/${under} per round: ${perRound.map((r) => (r.ratios[key] as number).toFixed(2)).join(' ')}`,
    )
    .join('\n');
}

/** Formats rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One line per run. */
export function runsTable(runs: readonly Run[]): string {
  return table(
    [
      'run',
      'req/s',
      'p50 ms',
      'p99 ms',
      'srv CPU µs/req',
      'loop busy',
      'others (cores)',
      'load1',
      'notes',
    ],
    runs.map((r) => {
      const m = r.measurement;
      return [
        `${r.server} #${r.round}`,
        m.rps.toFixed(0),
        m.latency.p50.toFixed(1),
        m.latency.p99.toFixed(1),
        m.serverCpuUsPerRequest.toFixed(0),
        m.loopBusy === undefined ? '–' : `${(m.loopBusy * 100).toFixed(0)} %`,
        m.foreignCores.toFixed(2),
        (m.loadavgBefore[0] ?? 0).toFixed(2),
        r.problems.join('; '),
      ];
    }),
  );
}

/** The ratio targets printed under the medians: the compare suite's unless a suite has its own. */
export const COMPARE_TARGETS = { AB: 0.8, AC: 1.2 } as const;

/** The medians, and the ratios under them with their targets. */
export function mediansTable(
  meds: readonly Median[],
  targets: { AB: number; AC: number } = COMPARE_TARGETS,
): string {
  const r = ratios(meds);
  const body = table(
    ['server', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'srv CPU µs/req', 'others (cores)'],
    meds.map((m) => [
      m.server,
      String(m.runs),
      m.rps.toFixed(0),
      m.p50.toFixed(1),
      m.p99.toFixed(1),
      m.serverCpuUsPerRequest.toFixed(0),
      m.foreignCores.toFixed(2),
    ]),
  );
  const parts = [body];
  if (r.AB !== undefined)
    parts.push(`A/B = ${r.AB.toFixed(2)}  (target ≥ ${targets.AB.toFixed(2)})`);
  if (r.AC !== undefined)
    parts.push(`A/C = ${r.AC.toFixed(2)}  (target ≥ ${targets.AC.toFixed(2)})`);
  if (r.GB !== undefined) {
    parts.push(`G/B = ${r.GB.toFixed(2)}  (what group commit alone reaches here)`);
  }
  return parts.join('\n');
}
