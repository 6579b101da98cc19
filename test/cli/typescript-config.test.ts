/**
 * A TypeScript config loaded by the compiled bin, as an installed package runs it: without a
 * loader in the process. On a Node that strips types (22.18+, 24) it loads natively, its
 * `import './receivers.js'` resolved to `receivers.ts`; on Node 20, and for syntax stripping
 * cannot erase (decorators), through tsx. `.ci/run` runs this on Node 20 and on Node 24.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { compileLibrary } from '../../bench/build.js';
import { migrationSource } from '../../src/index.js';
import { tempDir } from '../helpers/server.js';
import { ROOT } from './run.js';

const run = promisify(execFile);

/** Whether this Node can load the config natively: it strips types and takes resolve hooks. */
const NATIVE =
  Boolean((process.features as { typescript?: unknown }).typescript) &&
  typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';

/** How many migrations the library ships. */
const shipped = async () => (await migrationSource().getMigrations([])).length;

describe('koa-payments CLI: a TypeScript config, through the compiled bin', function () {
  this.timeout(120_000);
  // Inside the project, so that the compiled modules resolve their dependencies.
  const build = join(ROOT, 'node_modules/.cache', `koa-payments-cli-${process.pid}`);
  let library: string;
  let tmp: ReturnType<typeof tempDir>;

  before(() => {
    library = pathToFileURL(compileLibrary('tsconfig.build.json', build, 'pipe')).href;
    tmp = tempDir();
    writeFileSync(join(tmp.dir, 'package.json'), '{ "type": "module" }\n');
  });
  after(() => {
    rmSync(build, { recursive: true, force: true });
    tmp.remove();
  });

  /** Writes an app whose config imports `./receivers.js`; returns its directory. */
  function app(name: string, receivers: string): string {
    const dir = join(tmp.dir, name);
    const file = (base: string) => join(dir, base);
    mkdirSync(dir);
    writeFileSync(file('receivers.ts'), receivers);
    writeFileSync(
      file('payments.config.ts'),
      `import { writeFileSync } from 'node:fs';
import type { PaymentsSettings } from ${JSON.stringify(library)};
import { registry } from './receivers.js';

writeFileSync(${JSON.stringify(file('loaded-from'))}, import.meta.url);
const database: string = ${JSON.stringify(file('payments.sqlite3'))};
export default { registry, database, variants: { d: { provider: 'dummy' } } } satisfies PaymentsSettings;
`,
    );
    return dir;
  }

  /** Runs the compiled bin in `dir` with this process's Node, and no loader. */
  async function bin(dir: string, ...args: string[]) {
    const { stdout } = await run(process.execPath, [join(build, 'cli/index.js'), ...args], {
      cwd: dir,
    });
    return stdout;
  }

  it(`loads payments.config.ts and the receivers.ts it imports as ./receivers.js (${NATIVE ? 'natively' : 'through tsx'} on Node ${process.versions.node})`, async () => {
    const dir = app(
      'plain',
      `import { createRegistry } from ${JSON.stringify(library)};
export const registry = createRegistry();
registry.receiver('*', async function audit(): Promise<void> {}, { name: 'audit' });
`,
    );
    expect(await bin(dir, 'migrate')).to.include(`${await shipped()} migrations applied.`);
    // The worker refuses to run without receivers: this proves receivers.ts was loaded.
    expect(await bin(dir, 'worker', '--once')).to.equal('Ran 0 due deliveries.\n');
    const url = readFileSync(join(dir, 'loaded-from'), 'utf8');
    expect(url.endsWith('?tsx'), url).to.equal(!NATIVE);
  });

  it('loads decorated receivers through tsx, where stripping types cannot erase decorators', async () => {
    const dir = app(
      'decorated',
      `import { createRegistry } from ${JSON.stringify(library)};
export const registry = createRegistry();
export class Orders {
  @registry.receiver('*', { name: 'orders.audit' })
  static async audit(): Promise<void> {}
}
`,
    );
    expect(await bin(dir, 'migrate')).to.include(`${await shipped()} migrations applied.`);
    expect(await bin(dir, 'worker', '--once')).to.equal('Ran 0 due deliveries.\n');
    expect(readFileSync(join(dir, 'loaded-from'), 'utf8')).to.match(/\?tsx$/);
  });
});
