/**
 * A config module for the CLI commands that ask the provider's API (sync, reconcile, endpoints),
 * pointing at a loopback fake of the Stripe API, and `main()` run with a terminal or not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PaymentsSettings, payments } from '../../src/index.js';
import { fakeForEach } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';
import { tempDir } from '../helpers/server.js';
import { type CliResult, LIBRARY, runMain, writeConfig } from './run.js';

export const STRIPE_KEY = 'sk_test_51CliCatchUp';
export const STRIPE_SECRET = 'whsec_cli_catch_up';

let configs = 0;

/** The config's files. */
export interface CatchUpConfig {
  /** With receivers (`charge.*`, `checkout.session.completed`, and one of another variant). */
  config: string;
  /** The same without receivers. */
  bare: string;
  /** Event ids the `charge.*` receiver saw. */
  seen(): string[];
}

/** Writes the config modules and migrates their SQLite database. */
export async function catchUpConfig(dir: string, apiBase: string): Promise<CatchUpConfig> {
  const name = `catch-up-${++configs}`;
  const db = join(dir, `${name}.sqlite3`);
  const seenFile = join(dir, `${name}.seen`);
  writeFileSync(seenFile, '');
  const variants = {
    stripe: { provider: 'stripe', endpointSecret: STRIPE_SECRET, apiKey: STRIPE_KEY, apiBase },
    nokey: { provider: 'stripe', endpointSecret: STRIPE_SECRET },
    paystack: { provider: 'paystack', secretKey: 'sk_test_cli_catch_up' },
  };
  const common = `database: ${JSON.stringify(db)}, host: 'shop.test', variants: ${JSON.stringify(variants)}`;
  const config = writeConfig(
    dir,
    `${name}.config.mjs`,
    `import { appendFileSync } from 'node:fs';
import { createRegistry } from ${JSON.stringify(LIBRARY)};

const registry = createRegistry();
registry.receiver('charge.*', function charges({ event }) {
  appendFileSync(${JSON.stringify(seenFile)}, event.eventId + '\\n');
}, { name: 'charges' });
registry.receiver('checkout.session.completed', function checkout() {}, { name: 'checkout' });
registry.receiver('invoice.paid', function otherVariant() {}, { name: 'other', variants: ['nokey'] });

export default { registry, ${common} };
`,
  );
  const bare = writeConfig(
    dir,
    `${name}.bare.mjs`,
    `import { createRegistry } from ${JSON.stringify(LIBRARY)};
export default { registry: createRegistry(), ${common} };
`,
  );
  const settings = (await import(pathToFileURL(bare).href)).default as PaymentsSettings;
  const pay = payments({ ...settings, worker: false });
  await pay.migrate();
  await pay.close();
  return {
    config,
    bare,
    seen: () => readFileSync(seenFile, 'utf8').split('\n').filter(Boolean),
  };
}

/**
 * For each test of the enclosing `describe`: a Stripe API fake, a config (with and without
 * receivers) pointing at it, and `run(...args)` running the CLI in this process with it.
 */
export function catchUpForEach(): {
  readonly fake: StripeApiFake;
  readonly files: CatchUpConfig;
  run(...args: string[]): Promise<CliResult>;
} {
  let tmp: ReturnType<typeof tempDir>;
  const api = fakeForEach(() => new StripeApiFake(STRIPE_KEY));
  let files: CatchUpConfig;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.remove());
  beforeEach(async () => {
    files = await catchUpConfig(tmp.dir, api.current.origin);
  });
  return {
    get fake() {
      return api.current;
    },
    get files() {
      return files;
    },
    run: (...args) => runMain([...args, '--config', files.config]),
  };
}

/** Runs `main()` in this process, with stderr a terminal (`tty`) or not. */
export async function runTerminal(
  args: readonly string[],
  tty: boolean,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: tty, columns: 100 },
    env: {},
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}
