/**
 * The provider layout (one folder per provider): no provider imports another, and the main entry
 * never reaches the testing kit (samples, signers) through any import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { builtinProviders } from '../../src/providers/index.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const PROVIDERS = join(SRC, 'providers');

/** The relative modules a source file imports or re-exports (type-only ones included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
    found.push(resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')));
  }
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+'(\.[^']+)'/g)) {
    found.push(resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Every file reachable from `entry` through relative imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  return seen;
}

describe('provider layout', () => {
  const folders = readdirSync(PROVIDERS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
    .map((entry) => entry.name);

  it('has one folder per built-in provider, each with index, verify and testing modules', () => {
    expect([...folders].sort()).to.deep.equal(Object.keys(builtinProviders).sort());
    for (const name of folders) {
      const files = readdirSync(join(PROVIDERS, name));
      expect(files, name).to.include.members(['index.ts', 'verify.ts', 'testing.ts']);
    }
  });

  it('lets no provider import another provider', () => {
    for (const name of folders) {
      for (const file of readdirSync(join(PROVIDERS, name))) {
        for (const target of importsOf(join(PROVIDERS, name, file))) {
          const inside = relative(PROVIDERS, target).split(/[\\/]/)[0];
          if (inside === undefined || inside.startsWith('..')) continue;
          expect(
            [name, 'shared', 'types.ts', 'index.ts'],
            `${name}/${file} imports ${inside}`,
          ).to.include(inside);
        }
      }
    }
  });

  it('keeps the testing kit out of the main entry', () => {
    const files = [...reachable(join(SRC, 'index.ts'))].map((file) => relative(SRC, file));
    expect(files.length).to.be.greaterThan(20);
    const kit = files.filter(
      (file) => file.startsWith('testing') || /providers\/[^/]+\/(testing|samples)\.ts$/.test(file),
    );
    expect(kit).to.deep.equal([]);
  });
});
