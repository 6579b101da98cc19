/** Starts Koa apps on an ephemeral loopback port for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import type { Payments } from '../../src/index.js';

/** A running server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with an ephemeral port. */
export async function listen(app: Koa): Promise<TestServer> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A Koa app with just the payments middleware (and a fallback 'next' marker). */
export function appWith(pay: Payments): Koa {
  const app = new Koa();
  app.use(pay.middleware);
  app.use((ctx) => {
    ctx.status = 418;
    ctx.body = { next: true };
  });
  return app;
}

/** A fresh directory for SQLite files; removed by the returned cleanup. */
export function tempDir(): { dir: string; file(name?: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'koa-payments-test-'));
  return {
    dir,
    file: (name = 'payments.sqlite3') => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** POSTs a body with headers; returns status, headers and the parsed JSON body. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}
