/** Child processes for the multi-process tests (test/fixtures/child.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { DatabaseSetting } from '../../src/index.js';

/** A running child. */
export interface Child {
  process: ChildProcess;
  /** The port it listens on (0 for a worker). */
  port: number;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when it prints a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (clean close), then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts test/fixtures/child.ts with the given role and receiver mode (or another fixture that
 * prints `READY <port>`, with `extra` environment variables).
 */
export async function startChild(
  database: DatabaseSetting,
  env: {
    role: 'server' | 'worker';
    receiver: 'hang' | 'record';
    workMs?: number;
    leaseMs?: number;
    fixture?: string;
    extra?: Record<string, string>;
  },
): Promise<Child> {
  const fixture = env.fixture ?? 'test/fixtures/child.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      ...process.env,
      ...env.extra,
      // A long SQLite busy timeout: the children and the test share one file on a busy machine.
      KP_DATABASE: JSON.stringify(
        typeof database === 'string' ? { filename: database, busyTimeoutMs: 30_000 } : database,
      ),
      KP_ROLE: env.role,
      KP_RECEIVER: env.receiver,
      KP_WORK_MS: String(env.workMs ?? 0),
      KP_LEASE_MS: String(env.leaseMs ?? 1000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = out.split('\n').find((line) => waiter.pattern.test(line));
      if (match !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = once(child, 'exit');
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ pattern, resolve });
      check();
      exited.then(() => reject(new Error(`child exited before printing ${pattern}:\n${out}`)));
    });
  const ready = await waitFor(/^READY \d+$/);
  return {
    process: child,
    port: Number(ready.split(' ')[1]),
    output: () => out,
    waitFor,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
