/** Helpers for provider unit tests. */
import { expect } from 'chai';
import { SignatureVerificationError } from '../../src/index.js';
import type { Provider, VerifiedEvent, WebhookRequest } from '../../src/providers/types.js';

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

/** Calls a provider that verifies synchronously (all built-ins do). */
export function verifySync(provider: Provider, request: WebhookRequest): VerifiedEvent {
  const result = provider.verify(request);
  if (result instanceof Promise) throw new Error('expected a synchronous verify()');
  return result;
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
