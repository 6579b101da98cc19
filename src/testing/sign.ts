/**
 * Signs test webhooks exactly as the providers do, so host apps can test their receivers
 * without the real gateway.
 */
import { hmac } from '../providers/signature.js';

/** What to sign. */
export interface SignOptions {
  /** The body: an object (serialised with JSON.stringify) or the exact string/bytes to send. */
  payload: unknown;
  /** The variant's secret (the first one, when rotating). */
  secret: string;
  /** Unix seconds to sign with. Default: now. */
  timestamp?: number;
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
 * The `Stripe-Signature` header for a body, as Stripe sends it (and as stripe-node's
 * `webhooks.generateTestHeaderString` builds it).
 *
 * @example
 * const header = stripeSignatureHeader(body, 'whsec_test', Math.floor(Date.now() / 1000));
 */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac('sha256', secret, [`${timestamp}.${body}`], 'hex')}`;
}

/**
 * Signs a payload for a built-in provider; returns the body and the headers to send.
 *
 * @example
 * const { body, headers } = signWebhook('stripe', { payload: event, secret: 'whsec_test' });
 * await fetch(pay.webhookUrl('stripe'), { method: 'POST', body, headers });
 */
export function signWebhook(provider: 'stripe' | 'dummy', options: SignOptions): SignedWebhook {
  const body = bodyOf(options.payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  switch (provider) {
    case 'stripe':
      headers['stripe-signature'] = stripeSignatureHeader(body, options.secret, timestamp);
      break;
    case 'dummy':
      break;
    default:
      throw new TypeError(`koa-payments/testing: no signer for provider '${String(provider)}'`);
  }
  return { body, headers };
}
