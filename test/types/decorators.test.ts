/**
 * Type-checks the decorator forms of the docs (test/types/decorators/forms.ts) in both decorator
 * modes, on the project's TypeScript (5.9) and on TypeScript 7 (installed as `typescript7`).
 * The four compilations run at once, before the tests read their results.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDER = join(ROOT, 'test/types/decorators');

const COMPILERS = { 'TypeScript 5.9': 'typescript', 'TypeScript 7': 'typescript7' } as const;
const MODES = {
  'TC39 standard decorators': 'tsconfig.standard.json',
  experimentalDecorators: 'tsconfig.experimental.json',
} as const;

interface Compilation {
  version: string;
  code: number;
  output: string;
}

/** Runs a compiler's own `tsc` on a project; resolves with its exit code and diagnostics. */
function typeCheck(pkg: string, project: string): Promise<Compilation> {
  const tsc = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin/tsc');
  const { version } = require(`${pkg}/package.json`) as { version: string };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', join(FOLDER, project), '--noEmit', '--pretty', 'false'],
      { cwd: ROOT },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ version, code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('decorator forms of the docs type-check', function () {
  this.timeout(120_000);
  const results = new Map<string, Promise<Compilation>>();

  before(() => {
    for (const pkg of Object.values(COMPILERS)) {
      for (const project of Object.values(MODES)) {
        results.set(`${pkg}:${project}`, typeCheck(pkg, project));
      }
    }
  });

  for (const [compiler, pkg] of Object.entries(COMPILERS)) {
    for (const [mode, project] of Object.entries(MODES)) {
      it(`with ${mode} on ${compiler}`, async () => {
        const result = (await results.get(`${pkg}:${project}`)) as Compilation;
        expect(result.version).to.match(compiler === 'TypeScript 7' ? /^7\./ : /^5\.9\./);
        expect(result.output, result.output).to.equal('');
        expect(result.code).to.equal(0);
      });
    }
  }
});
