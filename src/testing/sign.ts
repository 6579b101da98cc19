/**
 * Signs test webhooks exactly as the providers do, so host apps can test their receivers
 * without the real gateway.
 */
import type { BuiltinProviderName } from '../providers/index.js';
import { kitOf } from './kits.js';

/** What to sign. */
export interface SignOptions {
  /**
   * The body: an object (serialised with JSON.stringify) or the exact string/bytes to send. For
   * Braintree: the notification object (or its XML), sent as the signed form Braintree posts.
   */
  payload: unknown;
  /** The variant's secret (the first one, when rotating). */
  secret: string;
  /**
   * Unix seconds to sign with.
   * @default now
   */
  timestamp?: number;
  /** Message/event id, for providers that send one in a header (Standard Webhooks, Razorpay). */
  id?: string;
  /** The notification URL, for providers that sign it (Square). */
  url?: string;
  /** Provider-specific options (the `hmac` provider's header, algorithm, encoding, ...). */
  options?: Record<string, unknown>;
}

/** A signed request, ready to POST. */
export interface SignedWebhook {
  /** The exact body to send. */
  body: string;
  /** Headers to send with it, `content-type` included. */
  headers: Record<string, string>;
}

function bodyOf(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return JSON.stringify(payload);
}

/**
 * Signs a payload for a built-in provider; returns the body and the headers to send.
 *
 * @example
 * const { body, headers } = signWebhook('stripe', { payload: event, secret: 'whsec_test' });
 * await fetch(pay.webhookUrl('stripe'), { method: 'POST', body, headers });
 */
export function signWebhook(provider: BuiltinProviderName, options: SignOptions): SignedWebhook {
  const kit = kitOf(provider, 'signer');
  const body = bodyOf(options.payload);
  const input = {
    body,
    secret: options.secret,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    id: options.id,
    url: options.url,
    options: options.options,
  };
  if (kit.signRequest !== undefined) return kit.signRequest(input);
  const headers = kit.sign(input);
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}
