/** Helpers for provider unit tests. */
import { expect } from 'chai';
import {
  ConfigurationError,
  type Payments,
  type PaymentsSettings,
  payments,
  SignatureVerificationError,
} from '../../src/index.js';
import type { Provider, VerifiedEvent, WebhookRequest } from '../../src/providers/types.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './databases.js';
import { appWith, listen, type TestServer } from './server.js';

/** Builds a request as the middleware would hand it to a provider. */
export function webhookRequest(
  body: string | Buffer,
  headers: Record<string, string>,
  options: { receivedAt?: Date; url?: string; remoteIp?: string } = {},
): WebhookRequest {
  const request: { -readonly [K in keyof WebhookRequest]: WebhookRequest[K] } = {
    headers,
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    url: options.url ?? 'https://shop.test/payments/process/test/',
    receivedAt: options.receivedAt ?? new Date(),
  };
  if (options.remoteIp !== undefined) request.remoteIp = options.remoteIp;
  return request;
}

/** Calls a provider that verifies synchronously (all built-ins do) and returns one event. */
export function verifySync(provider: Provider, request: WebhookRequest): VerifiedEvent {
  const result = verifyAllSync(provider, request);
  if (result.length !== 1) throw new Error(`expected one event, got ${result.length}`);
  return result[0] as VerifiedEvent;
}

/** Calls a provider that verifies synchronously; returns its events (one, or several). */
export function verifyAllSync(provider: Provider, request: WebhookRequest): VerifiedEvent[] {
  const result = provider.verify(request);
  if (result instanceof Promise) throw new Error('expected a synchronous verify()');
  return Array.isArray(result) ? [...result] : [result as VerifiedEvent];
}

/** The `reason` of the SignatureVerificationError `fn` throws; fails if it throws nothing. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SignatureVerificationError);
    return (error as SignatureVerificationError).reason;
  }
  throw new Error('expected a SignatureVerificationError');
}

/** The error `promise` rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** A logger keeping every line, with its level. */
export function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

/** The ConfigurationError `fn` throws; fails if it throws nothing or something else. */
export function configurationErrorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

/** What {@link servedForEach} gives each test: a migrated instance, served on loopback. */
export interface Served {
  readonly db: TestDatabase;
  readonly pay: Payments;
  readonly server: TestServer;
  /** The webhook URL of a variant on the test server. */
  url(variant: string): string;
}

/**
 * Before each test of the enclosing `describe`: a fresh database of `dialect`, a `payments()`
 * instance built by `settings` on it, migrated and served over HTTP; after each, all closed.
 * The instance logs nothing unless `settings` gives it a logger.
 */
export function servedForEach(
  dialect: Dialect,
  settings: (db: TestDatabase) => PaymentsSettings,
): Served {
  const served = {} as { -readonly [K in keyof Served]: Served[K] };
  served.url = (variant) => `${served.server.origin}/payments/process/${variant}/`;
  beforeEach(async () => {
    served.db = await createTestDatabase(dialect);
    served.pay = payments({ logger: false, ...settings(served.db) });
    await served.pay.migrate();
    served.server = await listen(appWith(served.pay));
  });
  afterEach(async () => {
    await served.server.close();
    await served.pay.close();
    await served.db.cleanup();
  });
  return served;
}
