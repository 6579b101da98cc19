/** The memory suite (`npm run bench -- --suite memory`): A's memory across many requests. */
import { join } from 'node:path';
import { removeDatabase } from './database.js';
import { load, type Measurement, problems, ServerChild } from './harness.js';
import type { Run } from './report.js';
import type { ServerStats } from './servers/protocol.js';
import { configOf, POOL_BYTES, type SuiteContext } from './suites.js';

interface MemoryPoint {
  requests: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  rps?: number;
}

function point(requests: number, stats: ServerStats, rps?: number): MemoryPoint {
  const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    requests,
    rssMiB: mib(stats.memory.rss),
    heapUsedMiB: mib(stats.memory.heapUsed),
    externalMiB: mib(stats.memory.external),
    ...(rps === undefined ? {} : { rps: Math.round(rps) }),
  };
}

/**
 * Memory across `requests` requests, sampled (after a full GC) every `checkpoint` requests,
 * after a warm-up of one checkpoint. Memory must not grow with the requests served.
 */
export async function memorySuite(ctx: SuiteContext): Promise<{ runs: Run[]; summary: unknown }> {
  const { options, log } = ctx;
  const runs: Run[] = [];
  const summary: Record<string, unknown> = {};
  for (const server of options.servers) {
    log(
      `memory: ${server}, ${options.requests} requests of ${options.payload} B, memory every ${options.checkpoint}`,
    );
    const file = join(ctx.scratch, `memory-${server}.sqlite3`);
    removeDatabase(file);
    const child = await ServerChild.start(server, configOf(ctx, file));
    const points: MemoryPoint[] = [];
    try {
      points.push(point(0, await child.stats(true)));
      const phase = (amount: number): Promise<Measurement> =>
        load(child, {
          connections: options.connections,
          amount,
          payloadBytes: options.payload,
          poolSize: Math.min(amount, Math.floor(POOL_BYTES / options.payload)),
        });
      const warm = await phase(options.checkpoint);
      const before = await child.stats(true);
      log(`  warm-up ${options.checkpoint}: rss ${point(0, before).rssMiB} MiB`);
      let served = 0;
      while (served < options.requests) {
        const amount = Math.min(options.checkpoint, options.requests - served);
        const m = await phase(amount);
        served += amount;
        const stats = await child.stats(true);
        const p = point(served, stats, m.rps);
        points.push(p);
        runs.push({
          suite: 'memory',
          server,
          round: points.length - 1,
          preload: 0,
          payloadBytes: options.payload,
          measurement: m,
          problems: problems(m, options.connections),
        });
        log(
          `  ${served}: rss ${p.rssMiB} MiB, heap ${p.heapUsedMiB} MiB, external ${p.externalMiB} MiB, ${p.rps} req/s`,
        );
      }
      const start = point(0, before);
      const end = points[points.length - 1] as MemoryPoint;
      summary[server] = {
        warmupRps: Math.round(warm.rps),
        afterStart: points[0],
        beforeLoad: start,
        afterLoad: end,
        growthMiB: {
          rss: Math.round((end.rssMiB - start.rssMiB) * 10) / 10,
          heapUsed: Math.round((end.heapUsedMiB - start.heapUsedMiB) * 10) / 10,
        },
        points,
      };
      log(
        `  ${server}: rss ${start.rssMiB} → ${end.rssMiB} MiB, heap ${start.heapUsedMiB} → ${end.heapUsedMiB} MiB over ${served} requests`,
      );
    } finally {
      await child.stop();
      removeDatabase(file);
    }
  }
  return { runs, summary };
}
