/**
 * How fast this machine is right now, in the two resources the servers compete for. This VM's
 * speed changes by tens of percent within a session, and not evenly: in its slow phases
 * computing slows down more than fsync does, or the other way round. At 10 connections A is
 * bound by its CPU time and B by its fsyncs, so a run's A/B follows the ratio of the two
 * (docs/performance.md). The bench prints a probe before and after each run and saves it with
 * the results, so that runs made in different phases can be told apart.
 *
 *   npx tsx bench/probe.ts          # print one probe
 *
 * - `commitUs`: the median time of one durable autocommit INSERT of a 1 KB event into the
 *   baselines' table, with the bench's pragmas (WAL, synchronous=FULL): B's storage step, its
 *   fsync included.
 * - `cpuUs`: the median time of a fixed piece of CPU work (an HMAC-SHA256 and a `JSON.parse` of
 *   the same 1 KB event, 100 times), which involves no I/O, sampled between the INSERTs.
 *
 * A probe is a snapshot of a few tenths of a second: a CPU sample every few milliseconds,
 * between the INSERTs. On this VM the same CPU work took 0.8 to 2.3 ms in samples taken 50 ms
 * apart within three seconds, and probes minutes apart differed more (1.5 to 4.5 ms).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { applyPragmas, BASELINE_SCHEMA, BASELINE_TABLE } from './database.js';
import { EventFactory } from './payload.js';
import { median } from './report.js';

/** One probe of the machine. */
export interface MachineProbe {
  /** When the probe ran (ISO 8601). */
  at: string;
  /** Median µs of one durable autocommit INSERT of a 1 KB event (synchronous=FULL). */
  commitUs: number;
  /** Median µs of 100 × (HMAC-SHA256 + JSON.parse) of a 1 KB event. */
  cpuUs: number;
}

/** Durable INSERTs timed, after a few untimed ones. */
const COMMITS = 200;
const COMMIT_WARMUP = 20;
/** A sample of the CPU work after every this many INSERTs, so that samples spread over time. */
const CPU_EVERY = 4;
/** Each CPU sample repeats the work this many times. */
const CPU_REPEAT = 100;

function microsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1000;
}

/**
 * Times durable INSERTs in a fresh database file under `dir` (removed afterwards), with a sample
 * of the CPU work between every few of them; returns both medians.
 */
function probe(dir: string, factory: EventFactory): { commitUs: number; cpuUs: number } {
  const work = cpuWork(factory);
  const scratch = mkdtempSync(join(dir, 'probe-'));
  const db = new Database(join(scratch, 'probe.sqlite3'));
  try {
    applyPragmas(db, 'full');
    db.exec(BASELINE_SCHEMA);
    const insert = db.prepare(
      `INSERT INTO ${BASELINE_TABLE} (event_id, type, payload, received_at) VALUES (?, 'charge.succeeded', ?, ?)`,
    );
    const commits: number[] = [];
    const cpu: number[] = [];
    const rows = Array.from({ length: COMMIT_WARMUP + COMMITS }, (_, n) => [
      factory.eventId(n),
      factory.body(n),
    ]);
    for (const [n, [eventId, body]] of rows.entries()) {
      let started = process.hrtime.bigint();
      insert.run(eventId, body, Date.now());
      if (n < COMMIT_WARMUP) continue;
      commits.push(microsSince(started));
      if (n % CPU_EVERY === 0) {
        started = process.hrtime.bigint();
        work();
        cpu.push(microsSince(started));
      }
    }
    return { commitUs: median(commits), cpuUs: median(cpu) };
  } finally {
    db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The fixed CPU work, run once untimed (so that it is compiled before it is timed). */
function cpuWork(factory: EventFactory): () => void {
  const body = Buffer.from(factory.body(0));
  let sink = 0;
  const work = (): void => {
    for (let i = 0; i < CPU_REPEAT; i += 1) {
      const mac = createHmac('sha256', 'whsec_probe').update(`${i}.`).update(body).digest();
      const parsed = JSON.parse(body.toString('utf8')) as { id: string };
      sink += (mac[0] as number) + parsed.id.length;
    }
    // Keeps the work observable, so that nothing is optimised away.
    if (sink < 0) throw new Error('unreachable');
  };
  for (let i = 0; i < 5; i += 1) work();
  return work;
}

/** Probes the machine, with a scratch database under `dir` (default: the OS temp directory). */
export function probeMachine(dir: string = tmpdir()): MachineProbe {
  const factory = new EventFactory(1024, 'probe');
  const at = new Date().toISOString();
  const { commitUs, cpuUs } = probe(dir, factory);
  return { at, commitUs: Math.round(commitUs), cpuUs: Math.round(cpuUs) };
}

/** One line for the console. */
export function describeProbe(probe: MachineProbe): string {
  return `durable INSERT ${probe.commitUs} µs, CPU work ${probe.cpuUs} µs (ratio ${(
    probe.cpuUs / probe.commitUs
  ).toFixed(2)})`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(describeProbe(probeMachine()));
}
