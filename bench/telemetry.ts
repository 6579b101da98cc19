/**
 * What OpenTelemetry costs a webhook, in three modes: `off` (`telemetry: false`, the same code
 * path as without `@opentelemetry/api` installed), `api` (the API installed, no SDK registered:
 * the API's no-op meter and tracer) and `sdk` (the SDK's MeterProvider with a reader and a
 * BasicTracerProvider with a batch processor and the async-hooks context manager, as the Node
 * SDK sets them up; spans are dropped by the exporter, as a network exporter would send them).
 *
 * 1. The telemetry calls of one webhook with two receivers, alone, in a loop: ns per webhook.
 * 2. Webhooks over HTTP on loopback to an in-process Koa app (SQLite, inline dispatch, two
 *    receivers), 10 at a time: the process's CPU per webhook (client included, the same in
 *    every mode) and webhooks per second, modes interleaved over rounds, medians reported.
 *
 *   npx tsx bench/telemetry.ts [--webhooks 3000] [--rounds 5] [--calls 200000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  MetricReader as BaseReader,
  MeterProvider,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import Koa from 'koa';
import type * as Library from '../src/index.js';
import type * as TelemetryModule from '../src/telemetry/telemetry.js';
import type { TelemetrySettings } from '../src/telemetry/telemetry.js';
import type * as Testing from '../src/testing/index.js';
import { compileLibrary } from './build.js';
import { median, table } from './report.js';

const { values } = parseArgs({
  options: {
    webhooks: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '200000' },
  },
});
const WEBHOOKS = Number(values.webhooks);
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
const CONCURRENCY = 10;
const SECRET = 'whsec_bench_telemetry';

// The library as it ships (tsc), not through tsx, whose helpers would be measured too.
const outDir = join('node_modules', '.cache', 'koa-payments-bench-telemetry');
const indexJs = compileLibrary('tsconfig.build.json', outDir, 'pipe');
const { createRegistry, payments } = (await import(join(process.cwd(), indexJs))) as typeof Library;
const { createTelemetry } = (await import(
  join(process.cwd(), outDir, 'telemetry', 'telemetry.js')
)) as typeof TelemetryModule;
const { signWebhook } = (await import(
  join(process.cwd(), outDir, 'testing', 'index.js')
)) as typeof Testing;

type Mode = 'off' | 'api' | 'sdk';
const MODES: readonly Mode[] = ['off', 'api', 'sdk'];

/** A reader that never exports on its own (metrics are aggregated, as between two scrapes). */
class IdleReader extends BaseReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** An exporter that drops what it is given. */
const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** The `telemetry` setting of a mode, and its clean-up. */
function setup(mode: Mode): { setting: TelemetrySettings | false; stop(): Promise<void> } {
  if (mode === 'off') return { setting: false, stop: async () => {} };
  if (mode === 'api') return { setting: {}, stop: async () => {} };
  const reader: MetricReader = new IdleReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(dropSpans)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return {
    setting: { meterProvider, tracerProvider },
    async stop() {
      context.disable();
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
    },
  };
}

/** Part 1: ns of the telemetry calls of one webhook with two receivers. */
async function calls(mode: Mode): Promise<number> {
  const { setting, stop } = setup(mode);
  const telemetry = createTelemetry(
    setting,
    {
      read: async () => ({ due: new Map(), dead: new Map(), silent: new Map() }),
      receivers: () => [],
    },
    { debug() {}, info() {}, warn() {}, error() {} },
  );
  const one = () => {
    const webhook = telemetry.webhook('stripe', 'stripe');
    webhook.run(() => {
      for (const receiver of ['ledger', 'mailer']) {
        const run = telemetry.run(receiver, 'stripe', 1);
        run.run(() => undefined);
        run.end('succeeded');
        telemetry.delivered(receiver, 'succeeded');
      }
    });
    webhook.end('stored');
  };
  for (let i = 0; i < CALLS / 10; i++) one(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) one();
  const ns = Number(process.hrtime.bigint() - started) / CALLS;
  telemetry.close();
  await stop();
  return ns;
}

/** Part 2: one round of webhooks over HTTP; CPU µs per webhook and webhooks per second. */
async function webhooks(mode: Mode, round: number): Promise<{ cpuUs: number; rps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'koa-payments-bench-telemetry-'));
  const { setting, stop } = setup(mode);
  const registry = createRegistry();
  registry.receiver('charge.succeeded', async function ledger() {});
  registry.receiver('charge.succeeded', async function mailer() {});
  const settings: Library.PaymentsSettings = {
    database: join(dir, 'payments.sqlite3'),
    registry,
    worker: false,
    logger: false,
    variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    telemetry: setting,
  };
  const pay = payments(settings);
  await pay.migrate();
  const app = new Koa();
  app.use(pay.middleware);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const bodies = Array.from({ length: WEBHOOKS + 200 }, (_, i) => {
    const payload = {
      id: `evt_${mode}_${round}_${i}`,
      object: 'event',
      type: 'charge.succeeded',
      created: 1_700_000_000,
      data: { object: { id: `ch_${i}`, amount: 1000, currency: 'usd', padding: 'x'.repeat(700) } },
    };
    return signWebhook('stripe', { payload, secret: SECRET });
  });
  const send = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const { body, headers } = bodies[i] as (typeof bodies)[number];
      const req = request(
        {
          agent,
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/payments/process/stripe/',
          headers,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const load = async (from: number, count: number) => {
    let next = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < from + count) await send(next++);
      }),
    );
  };
  await load(0, 200); // warm-up
  const cpu = process.cpuUsage();
  const started = performance.now();
  await load(200, WEBHOOKS);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  await pay.close();
  await stop();
  rmSync(dir, { recursive: true, force: true });
  return { cpuUs: (used.user + used.system) / WEBHOOKS, rps: WEBHOOKS / seconds };
}

const ns = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
for (let round = 0; round < 3; round++)
  for (const mode of MODES) ns.get(mode)?.push(await calls(mode));
console.log(`Telemetry calls of one webhook with two receivers (${CALLS} webhooks, median of 3)`);
console.log(
  table(
    ['mode', 'ns per webhook'],
    MODES.map((m) => [m, median(ns.get(m) ?? []).toFixed(0)]),
  ),
);

const results = new Map<Mode, { cpuUs: number; rps: number }[]>(MODES.map((m) => [m, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Each round runs the modes in another order, so that a trend in the machine's load is shared.
  const order = [...MODES.slice(round % 3), ...MODES.slice(0, round % 3)];
  for (const mode of order) results.get(mode)?.push(await webhooks(mode, round));
}
console.log();
console.log(
  `Webhooks over HTTP, SQLite, inline dispatch, two receivers, ${CONCURRENCY} at a time (${WEBHOOKS} per run, median of ${ROUNDS} rounds)`,
);
const base = median((results.get('off') ?? []).map((r) => r.cpuUs));
console.log(
  table(
    ['mode', 'CPU µs per webhook', 'vs off', 'webhooks/s'],
    MODES.map((m) => {
      const runs = results.get(m) ?? [];
      const cpuUs = median(runs.map((r) => r.cpuUs));
      return [
        m,
        cpuUs.toFixed(0),
        `${cpuUs - base >= 0 ? '+' : ''}${(cpuUs - base).toFixed(0)} µs`,
        median(runs.map((r) => r.rps)).toFixed(0),
      ];
    }),
  ),
);
