/** Compiling the library for the benchmarks, as it ships: tsc with tsconfig.build.json. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Compiles the library whose tsconfig.build.json is `tsconfig` into `outDir` (without
 * declarations or source maps); returns the path of its `index.js`. `outDir` must be inside the
 * project, so that the compiled modules resolve their dependencies.
 */
export function compileLibrary(
  tsconfig: string,
  outDir: string,
  stdio: 'inherit' | 'pipe' = 'inherit',
): string {
  mkdirSync(outDir, { recursive: true });
  // ES modules, as the package's own "type" says; nothing above node_modules/ tells Node so.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  execFileSync(
    process.execPath,
    [
      createRequire(import.meta.url).resolve('typescript/bin/tsc'),
      '-p',
      tsconfig,
      '--outDir',
      outDir,
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { stdio },
  );
  return join(outDir, 'index.js');
}
