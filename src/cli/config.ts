/**
 * Finds and loads the CLI's configuration: a module whose default export is the settings of
 * `payments()` (or a function returning them), from `--config`, `KOA_PAYMENTS_CONFIG`, or
 * `payments.config.{mjs,js,ts}` in the working directory. Secrets stay in the environment: the
 * module reads `process.env` itself.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PaymentsSettings } from '../settings.js';
import { CliFailure } from './errors.js';
import { missingTypeScriptSibling, resolveTypeScriptImports } from './typescript.js';

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILES = ['payments.config.mjs', 'payments.config.js', 'payments.config.ts'];

/** A loaded configuration. */
export interface LoadedConfig {
  /** Absolute path of the module. */
  file: string;
  /** The settings it exports (with the environment's overrides applied). */
  settings: PaymentsSettings;
}

/** Where to look: the `--config` value, the environment and the working directory. */
export interface ConfigSource {
  flag: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Picks the config file; throws a {@link CliFailure} that says where it looked. */
export function findConfig({ flag, env, cwd }: ConfigSource): string {
  const given = flag ?? (env.KOA_PAYMENTS_CONFIG || undefined);
  if (given !== undefined) {
    const file = resolve(cwd, given);
    if (!existsSync(file)) {
      const from = flag !== undefined ? '--config' : 'KOA_PAYMENTS_CONFIG';
      throw new CliFailure(`config file not found: ${file} (from ${from})`);
    }
    return file;
  }
  for (const name of CONFIG_FILES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return file;
  }
  throw new CliFailure(
    `no configuration found: pass --config <file>, set KOA_PAYMENTS_CONFIG, or create ` +
      `${CONFIG_FILES.join(', ')} in ${cwd} (a module whose default export is the payments() settings)`,
  );
}

const TYPESCRIPT = /\.[cm]?ts$/;

/**
 * Imports a module. A TypeScript file loads natively where Node strips types (with its `.js`
 * imports of `.ts` files resolved: typescript.ts). One that Node cannot load by itself (Node 20
 * without a loader, or syntax that stripping cannot erase, such as decorators or enums) is
 * loaded again through tsx, when the app has it installed.
 */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  const typescript = TYPESCRIPT.test(file);
  if (typescript) resolveTypeScriptImports();
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    // Without a loader, Node refuses the extension (in an ESM package), fails to parse the
    // types (elsewhere), or cannot erase them (stripping); or it cannot resolve a .js import
    // of a .ts file (stripping, without module.registerHooks).
    const code = (error as { code?: unknown }).code;
    const unloadable =
      code === 'ERR_UNKNOWN_FILE_EXTENSION' ||
      code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' ||
      error instanceof SyntaxError ||
      missingTypeScriptSibling(error);
    if (!typescript || !unloadable) throw error;
  }
  let registers: (() => unknown)[];
  try {
    // Variables keep TypeScript from resolving the optional dependency at build time. Both
    // hooks: a .ts file outside a "type": "module" package is loaded as CommonJS.
    const esm = 'tsx/esm/api';
    const cjs = 'tsx/cjs/api';
    registers = await Promise.all(
      [esm, cjs].map(async (api) => ((await import(api)) as { register: () => unknown }).register),
    );
  } catch {
    throw new CliFailure(
      `cannot load ${file}: Node needs a TypeScript loader for it. Install tsx (npm i -D tsx), ` +
        'run the CLI with `node --import tsx`, or write the config as payments.config.mjs',
    );
  }
  for (const register of registers) register();
  // A fresh URL: the failed attempt may be cached under the plain one.
  return (await import(`${url}?tsx`)) as Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The default export, unwrapped from a CommonJS module compiled from `export default`. */
function defaultExport(module: Record<string, unknown>): unknown {
  let value = module.default;
  if (isObject(value) && value.__esModule === true && 'default' in value) value = value.default;
  return value;
}

/** Loads the configuration; throws a {@link CliFailure} that says what is wrong with it. */
export async function loadConfig(source: ConfigSource): Promise<LoadedConfig> {
  const file = findConfig(source);
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(`cannot load ${file}: ${(error as Error).message}`, { cause: error });
  }
  let settings = defaultExport(module);
  if (typeof settings === 'function') settings = await settings();
  if (!isObject(settings)) {
    throw new CliFailure(
      `${file} must \`export default\` the payments() settings (an object, or a function returning one)`,
    );
  }
  if (!isObject(settings.variants)) {
    throw new CliFailure(`${file}: the settings have no \`variants\`; configure at least one`);
  }
  const copy = { ...settings } as unknown as PaymentsSettings;
  const database = source.env.KOA_PAYMENTS_DATABASE;
  // payments() reads it as it reads the setting: a Postgres URL, else a SQLite file.
  if (database !== undefined && database !== '') copy.database = database;
  return { file, settings: copy };
}
