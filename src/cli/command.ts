/**
 * What every command is and gets: its options and help, and a context that loads the config and
 * runs code with a `payments()` instance that is always closed.
 */
import type { Knex } from 'knex';
import { PaymentsError } from '../errors.js';
import { type Payments, payments } from '../payments.js';
import type { PaymentsSettings } from '../settings.js';
import type { EventDetails } from '../types.js';
import type { LoadedConfig } from './config.js';
import { CliFailure, UsageError } from './errors.js';
import type { Output } from './output.js';
import { requireMigrated, requireStoreFile, withoutSecrets } from './store.js';

/** One option of a command, for `node:util` parseArgs and for `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder of the value in the help, e.g. `<status>`. */
  value?: string;
  description: string;
}

/** A command of the `koa-payments` bin. */
export interface Command {
  /** `'migrate'`, `'events list'`, ... */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Positional arguments as the usage line shows them, e.g. `<variant> <type>`. */
  readonly args: string;
  /** What it does, a few lines. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes. */
  readonly positionals: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
}

/**
 * What a command does with the store, which decides what it needs:
 * - `'read'`: reads (or prunes) what is stored. The store must exist and be migrated; the
 *   variants are kept by name and provider only, so no provider secret is needed.
 * - `'run'`: runs receivers over what is stored. The store must exist and be migrated, and the
 *   variants are the configured ones (the providers read the stored payloads).
 * - `'migrate'`: creates or updates the tables. No provider secret is needed.
 * - `'none'`: does not touch the store (`send` signs with the variant's secret and posts).
 */
export type StoreUse = 'read' | 'run' | 'migrate' | 'none';

/** Parsed option values. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command runs with. */
export interface CommandContext {
  readonly command: Command;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Loads the configuration (once). */
  config(): Promise<LoadedConfig>;
  /**
   * Runs `fn` with a `payments()` instance built from the configuration, after the checks that
   * `store` calls for: the retry worker off unless `worker` is true. The instance is always
   * closed afterwards. A store that is missing or not migrated is a {@link CliFailure} that
   * says to run `koa-payments migrate`, and no SQLite file is created for it.
   */
  withPayments<T>(
    fn: (pay: Payments, config: LoadedConfig) => Promise<T>,
    options: { store: StoreUse; worker?: boolean },
  ): Promise<T>;
}

function isKnex(value: unknown): value is Knex {
  return typeof value === 'function' && 'client' in value && 'destroy' in value;
}

/** The `worker` setting for an instance that runs (or must not run) the retry worker. */
function workerSetting(settings: PaymentsSettings, run: boolean): PaymentsSettings['worker'] {
  if (!run) return false;
  const configured = settings.worker;
  return configured === undefined || configured === false ? true : configured;
}

/** Builds the context's `withPayments`. */
export function paymentsRunner(
  config: () => Promise<LoadedConfig>,
): CommandContext['withPayments'] {
  return async (fn, { store, worker }) => {
    const loaded = await config();
    const existing = store === 'read' || store === 'run';
    // Opening a SQLite file creates it: check first.
    if (existing) requireStoreFile(loaded.settings.database);
    const settings =
      store === 'read' || store === 'migrate' ? withoutSecrets(loaded.settings) : loaded.settings;
    const pay = payments({ ...settings, worker: workerSetting(settings, worker === true) });
    try {
      if (existing) await requireMigrated(pay.knex, loaded.settings);
      return await fn(pay, loaded);
    } finally {
      await pay.close();
      // A Knex instance from the config is the app's, which payments() never closes; this
      // process is the CLI's, and it ends here.
      const database = loaded.settings.database;
      if (isKnex(database)) await database.destroy().catch(() => {});
    }
  };
}

/** A string option value (undefined when absent). */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Refuses a variant the config does not have, naming the ones it has. */
export function requireVariant(pay: Payments, variant: string, command: string): void {
  if (!pay.variants.includes(variant)) {
    throw new UsageError(
      `unknown variant '${variant}'; the config has ${pay.variants.join(', ')}`,
      command,
    );
  }
}

/**
 * Refuses to go on when this process has no receivers: the config module must import them.
 * Running deliveries without them would record each as failed and spend its attempts; a pause
 * would have no name to check. `consequence` ends the message: "so <consequence>".
 */
export function requireReceivers(
  pay: Payments,
  action: string,
  consequence = `${action} would only fail deliveries`,
): void {
  if (pay.registry.list().length === 0) {
    throw new CliFailure(
      `no receivers are registered in this process, so ${consequence}. ` +
        'Import your receivers in the config module (import "./receivers.js"), or pass `registry` in its settings.',
    );
  }
}

/**
 * The event an id names: a row id (all digits) or the provider's event id, in `variant` when
 * given. Throws a {@link CliFailure} when there is none.
 */
export async function findEvent(
  pay: Payments,
  id: string,
  variant: string | undefined,
): Promise<EventDetails> {
  let event: EventDetails | undefined;
  try {
    if (/^\d+$/.test(id) && variant === undefined) event = await pay.events.get(Number(id));
    event ??= await pay.events.get(id, variant);
  } catch (error) {
    if (error instanceof PaymentsError) throw new CliFailure(error.message);
    throw error;
  }
  if (event === undefined) {
    throw new CliFailure(
      `no stored event ${id}${variant === undefined ? '' : ` in variant ${variant}`} ` +
        '(an id is a row id or the provider event id; see `koa-payments events list`)',
    );
  }
  return event;
}
