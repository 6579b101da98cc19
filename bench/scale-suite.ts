/**
 * The scale suite (`npm run bench -- --suite scale`): A B C with 0, 100k and 1M events stored (1
 * KB bodies), then with larger bodies on an empty store.
 */
import {
  median,
  medians,
  mediansTable,
  type Run,
  ratios,
  roundRatios,
  roundRatiosText,
} from './report.js';
import { alternate, type SuiteContext } from './suites.js';

/**
 * Each stored-event count at 1 KB, then each body size with nothing stored. Each round runs every
 * case (its A B C), in reverse order in even rounds, instead of each case's rounds together: this
 * VM's CPU speed drifts by tens of per cent over minutes, which would otherwise land on whole
 * cases and show up as an effect of the stored events.
 */
export async function scaleSuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  const cases: { preload: number; payload: number }[] = [
    ...options.preloads.map((preload) => ({ preload, payload: 1024 })),
    ...options.payloads
      .filter((payload) => payload !== 1024 || !options.preloads.includes(0))
      .map((payload) => ({ preload: 0, payload })),
  ];
  const once = { ...ctx, options: { ...options, rounds: 1 } };
  const byCase = cases.map(() => [] as Run[]);
  for (let round = 1; round <= options.rounds; round += 1) {
    const order = [...cases.entries()];
    if (round % 2 === 0) order.reverse();
    for (const [i, c] of order) {
      log(`scale, round ${round}: ${c.preload} stored events, ${c.payload} B bodies`);
      const runs = await alternate(once, 'scale', c.preload, c.payload);
      byCase[i]?.push(...runs.map((run) => ({ ...run, round })));
    }
  }
  const empty = byCase[cases.findIndex((c) => c.preload === 0 && c.payload === 1024)];
  const summary = cases.map((c, i) => {
    const runs = byCase[i] ?? [];
    const meds = medians(runs);
    log(
      `\n${c.preload} stored events, ${c.payload} B bodies\n${mediansTable(meds)}\n${roundRatiosText(runs)}`,
    );
    const vsEmpty = c.preload > 0 && empty !== undefined ? overEmpty(runs, empty) : undefined;
    if (vsEmpty !== undefined)
      log(`against the empty store, medians of each round's ratio: ${JSON.stringify(vsEmpty)}`);
    return {
      ...c,
      medians: meds,
      ratios: ratios(meds),
      roundRatios: roundRatios(runs),
      ...(vsEmpty === undefined ? {} : { vsEmpty }),
    };
  });
  log(`templates built in (ms): ${JSON.stringify(ctx.templates.buildMs)}`);
  return { runs: byCase.flat(), summary: { cases: summary, preloadMs: ctx.templates.buildMs } };
}

/**
 * Each server's req/s and p99 against the empty store's in the same round (run minutes apart at
 * most), the median over rounds.
 */
function overEmpty(
  runs: readonly Run[],
  empty: readonly Run[],
): Record<string, { rps: number; p99: number }> {
  const out: Record<string, { rps: number; p99: number }> = {};
  for (const server of new Set(runs.map((r) => r.server))) {
    const rps: number[] = [];
    const p99: number[] = [];
    for (const run of runs.filter((r) => r.server === server)) {
      const base = empty.find((r) => r.server === server && r.round === run.round);
      if (base === undefined) continue;
      rps.push(run.measurement.rps / base.measurement.rps);
      p99.push(run.measurement.latency.p99 / base.measurement.latency.p99);
    }
    if (rps.length > 0) out[server] = { rps: round2(median(rps)), p99: round2(median(p99)) };
  }
  return out;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
