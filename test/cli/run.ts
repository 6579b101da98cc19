/**
 * Runs the real `koa-payments` bin in a child process: `node --import tsx src/cli/index.ts`,
 * the TypeScript source, so the suite never depends on a build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The bin's source. */
export const BIN = join(ROOT, 'src/cli/index.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

/** `import ... from '<this>'` in a generated config module: the library's source. */
export const LIBRARY = pathToFileURL(join(ROOT, 'src/index.ts')).href;

/** How a run ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of a run. */
export interface RunOptions {
  /** Working directory. Default: the repository root. */
  cwd?: string;
  /** Added to (or, when undefined, removed from) the environment. */
  env?: Record<string, string | undefined>;
}

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('KOA_PAYMENTS_')) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A running bin. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves with stdout so far once it matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves when the process has ended. */
  readonly result: Promise<CliResult>;
}

/** Starts the bin with `args`. */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: environment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve(s: string): void; reject(e: Error): void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(stdout);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(
            `the CLI exited (${code}) before printing ${waiter.pattern}:\n${stdout}\n${stderr}`,
          ),
        );
      }
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    result,
    waitFor(pattern) {
      if (pattern.test(stdout)) return Promise.resolve(stdout);
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

/** Runs the bin with `args` to its end. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Writes a config module; returns its path. */
export function writeConfig(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

/**
 * Runs the command line in this process, through the same `main()` the bin calls: for the many
 * help and usage cases, where a child process per case would only add seconds.
 */
export async function runMain(
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: environment(options.env),
    cwd: options.cwd ?? ROOT,
  });
  return { code, stdout, stderr };
}
