/**
 * Loading a TypeScript config on a Node that strips types by itself (22.18+, 23.6+, 24). Node
 * then resolves `import './receivers.js'` literally, while a TypeScript project writes `.js` for
 * its `receivers.ts` (what tsc and tsx expect). A resolve hook retries such a relative import of a
 * TypeScript module with the TypeScript extension.
 */
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => unknown;
interface ModuleHooks {
  resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): unknown;
}
/** `module.registerHooks` (Node 22.15+, 23.5+), not in the Node 20 types. */
type RegisterHooks = (hooks: ModuleHooks) => unknown;

const JAVASCRIPT = /\.([cm]?)js$/;
const TYPESCRIPT_PARENT = /\.[cm]?ts(\?.*)?$/;

/** `./receivers.js` → `./receivers.ts` (`.mjs` → `.mts`, `.cjs` → `.cts`). */
function typescriptSibling(specifier: string): string {
  return specifier.replace(JAVASCRIPT, '.$1ts');
}

/** Whether this Node runs `.ts` files without a loader. */
export function stripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

let registered = false;

/**
 * Registers the hook once, where Node strips types and has `module.registerHooks`; returns
 * whether it is in place.
 */
export function resolveTypeScriptImports(): boolean {
  const register = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
  if (registered) return true;
  if (typeof register !== 'function' || !stripsTypes()) return false;
  register({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const relative = specifier.startsWith('./') || specifier.startsWith('../');
        if (
          (error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND' ||
          !relative ||
          !JAVASCRIPT.test(specifier) ||
          !TYPESCRIPT_PARENT.test(context.parentURL ?? '')
        ) {
          throw error;
        }
        return nextResolve(typescriptSibling(specifier), context);
      }
    },
  });
  registered = true;
  return true;
}

/**
 * Whether an import failed on a `.js` file that does not exist beside the `.ts` file it names
 * (a Node that strips types but cannot take the hook): a TypeScript loader would resolve it.
 */
export function missingTypeScriptSibling(error: unknown): boolean {
  const { code, url } = error as { code?: unknown; url?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof url !== 'string' || !JAVASCRIPT.test(url)) {
    return false;
  }
  return url.startsWith('file:') && existsSync(fileURLToPath(typescriptSibling(url)));
}
