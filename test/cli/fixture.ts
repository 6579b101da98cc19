/**
 * A database with stored events and failed deliveries, and the config module the CLI reads it
 * with. The config registers two receivers: `audit` (every event; appends the event id to a
 * file) and `flaky` (charge events; throws until the "fixed" marker file exists).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Payments, type PaymentsSettings, payments } from '../../src/index.js';
import { sendWebhook } from '../../src/testing/index.js';
import { LIBRARY, writeConfig } from './run.js';

export const STRIPE = { provider: 'stripe', endpointSecret: 'whsec_cli_fixture' } as const;

/** The fixture. */
export interface DeliveriesFixture {
  /** The SQLite file. */
  db: string;
  /** The config module with the receivers. */
  config: string;
  /** A config module of the same database without receivers. */
  bareConfig: string;
  /** An instance in this process, on the same database and receivers (worker off). */
  pay: Payments;
  /** Stores a Stripe sample through `pay`; returns the provider event id. */
  store(type: string): Promise<string>;
  /** Lets `flaky` succeed from now on (or fail again). */
  fix(fixed: boolean): void;
  /** Event ids the `audit` receiver saw, in order. */
  audited(): string[];
  close(): Promise<void>;
}

export async function deliveriesFixture(dir: string, name: string): Promise<DeliveriesFixture> {
  const db = join(dir, `${name}.sqlite3`);
  const auditFile = join(dir, `${name}.audit`);
  const fixedFile = join(dir, `${name}.fixed`);
  writeFileSync(auditFile, '');
  const config = writeConfig(
    dir,
    `${name}.config.mjs`,
    `import { appendFileSync, existsSync } from 'node:fs';
import { createRegistry } from ${JSON.stringify(LIBRARY)};

const registry = createRegistry();
registry.receiver('*', function audit({ event }) {
  appendFileSync(${JSON.stringify(auditFile)}, event.eventId + '\\n');
}, { name: 'audit' });
registry.receiver('charge.*', function flaky() {
  if (!existsSync(${JSON.stringify(fixedFile)})) throw new Error('flaky: the ledger is down');
}, { name: 'flaky' });

export default {
  registry,
  database: ${JSON.stringify(db)},
  retry: { minDelayMs: 1, maxDelayMs: 1 },
  worker: { pollIntervalMs: 50 },
  variants: { stripe: ${JSON.stringify(STRIPE)} },
};
`,
  );
  const bareConfig = writeConfig(
    dir,
    `${name}.bare.mjs`,
    `import { createRegistry } from ${JSON.stringify(LIBRARY)};
export default { registry: createRegistry(), database: ${JSON.stringify(db)}, variants: { stripe: ${JSON.stringify(STRIPE)} } };
`,
  );
  const settings = (await import(pathToFileURL(config).href)).default as PaymentsSettings;
  const pay = payments({ ...settings, worker: false });
  await pay.migrate();
  return {
    db,
    config,
    bareConfig,
    pay,
    async store(type) {
      const sent = await sendWebhook(pay, 'stripe', type, { settings: STRIPE });
      if (!sent.ok) throw new Error(`could not store a ${type}: ${JSON.stringify(sent.body)}`);
      return sent.event?.eventId as string;
    },
    fix(fixed) {
      if (fixed) writeFileSync(fixedFile, '');
      else rmSync(fixedFile, { force: true });
    },
    audited: () => readFileSync(auditFile, 'utf8').split('\n').filter(Boolean),
    async close() {
      await pay.close();
      if (existsSync(fixedFile)) rmSync(fixedFile);
    },
  };
}
