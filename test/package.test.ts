/**
 * The published package: what `npm pack` ships and what `npm install` does with it. No build
 * in the suite: the build's settings are read from tsconfig.build.json instead.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import ts from 'typescript';
import { tempDir } from './helpers/server.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const run = promisify(execFile);

/** Every `.ts` file below a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** The package a bare import specifier names (`@koa/router/x` → `@koa/router`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** The packages `src` imports, statically or through a string-literal `import()`. */
function importedPackages(): Set<string> {
  const found = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.') || fileName.startsWith('node:')) continue;
      if (builtinModules.includes(fileName)) continue;
      found.add(packageOf(fileName));
    }
  }
  found.delete('koa-payments'); // the package itself, in JSDoc examples of its own exports
  return found;
}

/** Packages loaded by name at run time rather than imported: Knex's SQLite driver. */
const LOADED_BY_KNEX = ['better-sqlite3'];

describe('the published package', () => {
  it('is MIT licensed, and ships a LICENSE file for koa-payments contributors', () => {
    expect(pkg.license).to.equal('MIT');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).to.match(/^MIT License\n\nCopyright \(c\) \d{4} koa-payments contributors\n/);
    // npm always packs LICENSE; `files` need not name it.
  });

  it('names its repository, home page and issue tracker', () => {
    expect(pkg.repository).to.deep.equal({
      type: 'git',
      url: 'git+https://github.com/koa-payments/koa-payments.git',
    });
    expect(pkg.homepage).to.equal('https://github.com/koa-payments/koa-payments#readme');
    expect(pkg.bugs).to.deep.equal({ url: 'https://github.com/koa-payments/koa-payments/issues' });
  });

  it('runs no script when it is installed (npm 11 flags prepare as an install script)', () => {
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(pkg.scripts, script).not.to.have.property(script);
    }
    // The package is built when it is packed.
    expect(pkg.scripts.prepack).to.equal('npm run build');
  });

  it('depends at run time only on what src imports, and declares everything it imports', () => {
    const imported = importedPackages();
    for (const name of Object.keys(pkg.dependencies)) {
      if (LOADED_BY_KNEX.includes(name)) continue;
      expect(imported.has(name), `${name} is a dependency that nothing in src imports`).to.equal(
        true,
      );
    }
    const declared = new Set([
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.peerDependencies),
    ]);
    for (const name of imported) {
      expect(declared.has(name), `src imports ${name}, which is not declared`).to.equal(true);
    }
  });

  it('ships source maps only if the sources they point at are shipped too', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.build.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    const options = parsed?.options ?? {};
    const maps = options.sourceMap === true || options.declarationMap === true;
    const rootDir = relative(ROOT, options.rootDir ?? '');
    expect(rootDir).to.equal('src');
    if (maps) expect(pkg.files, 'maps point at src/, which is not shipped').to.include('src');
    expect(options.inlineSourceMap ?? false).to.equal(false);
  });

  it('keeps a changelog section for its version, below the Unreleased one', () => {
    const headings = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('## '));
    expect(headings[0]).to.equal('## [Unreleased]');
    const version = pkg.version.replaceAll('.', '\\.');
    expect(headings[1]).to.match(new RegExp(`^## \\[${version}\\] - \\d{4}-\\d{2}-\\d{2}$`));
  });

  it('leaves package-lock.json as committed when npm installs from it', async function () {
    this.timeout(120_000);
    const tmp = tempDir();
    try {
      for (const file of ['package.json', 'package-lock.json']) {
        copyFileSync(join(ROOT, file), join(tmp.dir, file));
      }
      await run(
        'npm',
        ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit'],
        { cwd: tmp.dir },
      );
      const written = readFileSync(join(tmp.dir, 'package-lock.json'), 'utf8');
      const committed = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
      expect(written === committed, 'npm install rewrote package-lock.json').to.equal(true);
    } finally {
      tmp.remove();
    }
  });
});
