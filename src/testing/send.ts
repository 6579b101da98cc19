/**
 * `sendWebhook(target, variant, type | payload, options?)`: signs a webhook as the variant's
 * provider would and delivers it to a Koa app (over HTTP on an ephemeral loopback port), to a
 * `payments()` instance (through `pay.receive()`, no HTTP) or to a running server's URL.
 */
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { PaymentsError, SignatureVerificationError } from '../errors.js';
import { receivedBody } from '../http/responses.js';
import type { Payments } from '../payments.js';
import type { BuiltinProviderName } from '../providers/index.js';
import type { VariantSettings } from '../settings.js';
import type { StoredEvent } from '../store/types.js';
import { mergeDeep, updateAt } from './paths.js';
import { samplePayload } from './samples.js';
import { signWebhook } from './sign.js';
import type { SamplePayload } from './types.js';
import { type SigningPlan, signingPlan } from './variant.js';

/** Where a test webhook goes: a Koa app, a `payments()` instance, or a base URL. */
export type WebhookTarget = Koa | Payments | string | URL;

/** Options of {@link sendWebhook}. */
export interface SendWebhookOptions {
  /**
   * The variant's settings as given to `payments()` (e.g. `config.variants.stripe`): the
   * provider, its secret and its signing options are read from them.
   */
  settings?: VariantSettings;
  /** The provider, when `settings` is not given (or to override it). */
  provider?: BuiltinProviderName;
  /** The secret to sign with, when `settings` is not given (or to override it). */
  secret?: string;
  /**
   * Merged (deeply) into the sample's data object, the one receivers get as `signal.data`
   * (Stripe's `data.object`, Paystack's `data`, ...). Only with an event type, not a payload.
   */
  data?: Record<string, unknown>;
  /** Message or event id for providers that send one in a header (Standard Webhooks, Razorpay). */
  id?: string;
  /**
   * Unix seconds to sign with.
   * @default now
   */
  timestamp?: number;
  /**
   * The URL the provider signs (Square, an `hmac` `{url}` template).
   * @default the variant's `notificationUrl` / `url`, else `pay.webhookUrl(variant)` for a
   * `payments()` target, else the URL posted to
   */
  url?: string;
  /** Options for the provider's signer (Flutterwave `{ form: 'v3' }`, Standard `{ svix: true }`). */
  signOptions?: Record<string, unknown>;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * The route prefix, for a Koa app or a base URL.
   * @default '/payments/process'
   */
  prefix?: string;
}

/** The outcome of {@link sendWebhook}. */
export interface SentWebhook {
  /** HTTP status (for a `payments()` target: the status the middleware would answer). */
  status: number;
  /** Whether the status is 2xx. */
  ok: boolean;
  /**
   * The answer: the JSON `{ received, event, duplicate }` (with `events` when the request
   * carried several) or `{ error: { code, message, reason? } }`; the provider's own text answer
   * when it has one (Adyen's `'[accepted]'`).
   */
  body: unknown;
  /** The payload that was sent. */
  payload: unknown;
  /** The request as sent. */
  request: { url: string; headers: Record<string, string>; body: string };
  /** The stored event (a `payments()` target only, when it was stored). */
  event?: StoredEvent;
  /** Whether the event was a redelivery (a `payments()` target only). */
  duplicate?: boolean;
}

const DEFAULT_PREFIX = '/payments/process';

function isPayments(target: unknown): target is Payments {
  const candidate = target as Partial<Payments> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.receive === 'function' &&
    typeof candidate.webhookUrl === 'function'
  );
}

function isKoa(target: unknown): target is Koa {
  const candidate = target as Partial<Koa> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.callback === 'function' &&
    typeof candidate.listen === 'function'
  );
}

/**
 * The variant's settings from a `payments()` instance that exposes them (`variantSettings()`),
 * else undefined.
 */
function settingsFrom(target: unknown, variant: string): VariantSettings | undefined {
  const reader = (target as { variantSettings?: unknown } | null)?.variantSettings;
  if (typeof reader !== 'function') return undefined;
  return reader.call(target, variant) as VariantSettings;
}

function buildPayload(
  plan: SigningPlan,
  type: string,
  data: Record<string, unknown> | undefined,
): SamplePayload {
  const payload = plan.kit.sampleFor?.(type, plan.settings) ?? samplePayload(plan.provider, type);
  if (data === undefined) return payload;
  return updateAt(payload, plan.dataPath, (current) => mergeDeep(current, data));
}

/** The id header value to sign with, when the provider sends one. */
function messageId(plan: SigningPlan, body: string, payload: unknown, given: string | undefined) {
  return given ?? plan.kit.messageIdOf?.(body, payload, plan.settings);
}

/** Where to POST for a base URL: a bare origin gets the prefix and variant; a path is used as is. */
function postUrl(base: string | URL, prefix: string, variant: string): string {
  const url = new URL(String(base));
  if (url.pathname === '/' || url.pathname === '') {
    url.pathname = `${prefix.replace(/\/+$/, '')}/${variant}/`;
  }
  return url.toString();
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

async function withServer<T>(app: Koa, run: (origin: string) => Promise<T>): Promise<T> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  try {
    const { port } = server.address() as AddressInfo;
    return await run(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function errorAnswer(error: PaymentsError): { status: number; body: unknown } {
  const body: { error: { code: string; message: string; reason?: string } } = {
    error: {
      code: error.code,
      message: error.expose ? error.message : 'Internal error while receiving the webhook.',
    },
  };
  if (error instanceof SignatureVerificationError) body.error.reason = error.reason;
  return { status: error.status, body };
}

function webhookUrlOf(pay: Payments, variant: string): string | undefined {
  try {
    return pay.webhookUrl(variant);
  } catch {
    return undefined;
  }
}

/**
 * Signs a test webhook as the variant's provider would and sends it to `target`:
 *
 * - a Koa app: started on an ephemeral loopback port for this one request, then closed;
 * - a `payments()` instance: handed to `pay.receive()` without HTTP; resolves after the
 *   after-commit receivers have run, so their effects can be asserted right away;
 * - a URL string: a bare origin (`http://localhost:3000`) gets `<prefix>/<variant>/`, a URL with
 *   a path is posted to as given.
 *
 * The third argument is an event type (a fresh {@link samplePayload} is built, `options.data`
 * merged into its data object) or the payload to send. The provider and secret come from
 * `options.settings` (the variant's settings) or `options.provider` and `options.secret`.
 *
 * @example
 * const sent = await sendWebhook(app, 'stripe', 'checkout.session.completed', {
 *   settings: config.variants.stripe,
 *   data: { client_reference_id: String(order.id) },
 * });
 * expect(sent.status).to.equal(200);
 */
export async function sendWebhook(
  target: WebhookTarget,
  variant: string,
  typeOrPayload: string | object,
  options: SendWebhookOptions = {},
): Promise<SentWebhook> {
  if (typeof variant !== 'string' || variant === '') {
    throw new TypeError('koa-payments/testing: sendWebhook() needs the variant name');
  }
  const plan = signingPlan(variant, options.settings ?? settingsFrom(target, variant), options);
  let payload: unknown;
  if (typeof typeOrPayload === 'string') {
    payload = buildPayload(plan, typeOrPayload, options.data);
  } else {
    if (options.data !== undefined) {
      throw new TypeError(
        'koa-payments/testing: `data` applies to a sample built from an event type; change the payload you pass instead',
      );
    }
    payload = typeOrPayload;
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const pay = isPayments(target) ? target : undefined;
  let url: string;
  if (pay !== undefined) {
    url = webhookUrlOf(pay, variant) ?? `http://127.0.0.1${prefix}/${variant}/`;
  } else if (typeof target === 'string' || target instanceof URL) {
    url = postUrl(target, prefix, variant);
  } else if (isKoa(target)) {
    url = `http://127.0.0.1${prefix}/${variant}/`; // the port is known once listening
  } else {
    throw new TypeError(
      'koa-payments/testing: sendWebhook() sends to a Koa app, a payments() instance or a URL',
    );
  }

  const sign = (postedTo: string) => {
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.isBuffer(payload)
          ? payload.toString('utf8')
          : JSON.stringify(payload);
    const signed = signWebhook(plan.provider, {
      payload: body,
      secret: plan.secret,
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
      ...optional('id', messageId(plan, body, payload, options.id)),
      ...optional('url', options.url ?? plan.signedUrl ?? postedTo),
      ...optional('options', plan.signOptions),
    });
    const headers = { ...signed.headers, ...options.headers };
    const typeHeader = plan.kit.typeHeaderOf?.(plan.settings);
    if (typeHeader !== undefined && typeof typeOrPayload === 'string') {
      headers[typeHeader.toLowerCase()] ??= typeOrPayload;
    }
    return { body: signed.body, headers };
  };

  if (pay !== undefined) {
    const request = sign(url);
    const result: SentWebhook = {
      status: 0,
      ok: false,
      body: undefined,
      payload,
      request: { url, ...request },
    };
    try {
      const received = await pay.receive(variant, {
        headers: request.headers,
        rawBody: Buffer.from(request.body, 'utf8'),
        url,
        receivedAt: new Date(),
        remoteIp: '127.0.0.1',
      });
      await received.dispatched;
      // The answer the middleware would send.
      result.status = received.answer?.status ?? 200;
      result.body = received.answer?.body ?? receivedBody(received);
      result.event = received.event;
      result.duplicate = received.duplicate;
    } catch (error) {
      if (!(error instanceof PaymentsError)) throw error;
      Object.assign(result, errorAnswer(error));
    }
    result.ok = result.status >= 200 && result.status < 300;
    return result;
  }

  const deliver = async (postTo: string): Promise<SentWebhook> => {
    const request = sign(postTo);
    const answer = await post(postTo, request.body, request.headers);
    return {
      status: answer.status,
      ok: answer.status >= 200 && answer.status < 300,
      body: answer.body,
      payload,
      request: { url: postTo, ...request },
    };
  };
  if (isKoa(target)) {
    return withServer(target, (origin) => deliver(`${origin}${new URL(url).pathname}`));
  }
  return deliver(url);
}

/** `{ [key]: value }`, or `{}` when the value is undefined (optional properties stay absent). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
