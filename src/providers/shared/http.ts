/**
 * The HTTP client of the provider APIs, on Node's `fetch`, and the one place where they retry:
 * a timeout per attempt (a hung socket fails within it), retries with exponential backoff and
 * full jitter on network errors, timeouts, 429 and 5xx, `Retry-After` honoured up to a cap, and
 * one idempotency key shared by the attempts of a POST. The Stripe SDK sends its requests through
 * it too (see ../stripe/sdk.ts), so every provider retries the same way.
 *
 * The API key travels in `headers` and nowhere else: no log line, error message or error field
 * carries a header, a query string or a response body.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../types.js';
import {
  describeCall,
  NotFoundAtProviderError,
  type ProviderCall,
  ProviderUnavailableError,
} from './api-errors.js';

/** Tuning of the client; tests inject the clock, the sleep and the randomness. */
export interface ApiHttpOptions {
  /**
   * Milliseconds one attempt may take, body included.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt.
   * @default 2
   */
  maxRetries?: number;
  /**
   * Backoff base: the n-th retry waits up to `baseDelayMs * 2^n`.
   * @default 500
   */
  baseDelayMs?: number;
  /**
   * Backoff ceiling.
   * @default 5_000
   */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` waited for; a longer one ends the retries at once.
   * @default 10_000
   */
  maxRetryAfterMs?: number;
  /**
   * The fetch function calls go through.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Milliseconds since the epoch, for `Retry-After` dates.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Waits between attempts.
   * @default a timer
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * A number in [0, 1), for the jitter.
   * @default Math.random
   */
  random?: () => number;
}

/** One client: a provider's API at its base URL, with its credentials. */
export interface ApiClientConfig extends ApiHttpOptions {
  /** `stripe`, `paystack`, ... (in errors). */
  provider: string;
  /** `Stripe`, `Paystack`, ... (in messages). */
  label: string;
  /** The API's base URL (`apiBase`); a path prefix is kept. */
  baseUrl: URL;
  /** Sent with every request: the credentials. Never logged. */
  headers: Readonly<Record<string, string>>;
  /** The response header carrying the provider's request id (Stripe: `request-id`). */
  requestIdHeader?: string;
  /** A provider's own say on retrying a response (Stripe's `Stripe-Should-Retry`). */
  retryable?: (status: number, headers: Headers) => boolean | undefined;
  /** Retries are logged at debug level. */
  logger?: Logger | undefined;
}

/** A query parameter: absent when undefined; an array repeats the key. */
export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

/** One request, before retries. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Appended to the base URL's path; may carry a query string. */
  path: string;
  query?: Readonly<Record<string, QueryValue>>;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /**
   * For POST: the key of every attempt.
   * @default a fresh UUID when retries are on
   */
  idempotencyKey?: string;
  /** Another origin than the base URL's (`https://files.stripe.com`), as the Stripe SDK asks. */
  origin?: string;
}

/** The final answer: a success, or an error status the retries could not turn into one. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Attempts made (1 when the first one answered). */
  attempts: number;
  /** The call, for errors. */
  call: ProviderCall;
  /** A `Retry-After` in milliseconds, when the provider sent one. */
  retryAfterMs: number | undefined;
}

/** The defaults of {@link ApiHttpOptions}. */
export const API_HTTP_DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
} as const;

/**
 * A `Retry-After` value in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unparsable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a status is worth another attempt: 429 and 5xx. */
function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const sleepTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The query string of `query`, appended to the URL. */
function appendQuery(url: URL, query: Readonly<Record<string, QueryValue>> | undefined): void {
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.append(key, String(value));
  }
}

/** The HTTP client of one provider API. */
export class ApiClient {
  readonly #config: ApiClientConfig;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(config: ApiClientConfig) {
    this.#config = config;
    this.#timeoutMs = config.timeoutMs ?? API_HTTP_DEFAULTS.timeoutMs;
    this.#maxRetries = config.maxRetries ?? API_HTTP_DEFAULTS.maxRetries;
    this.#fetch = config.fetch ?? globalThis.fetch;
    this.#now = config.now ?? Date.now;
    this.#sleep = config.sleep ?? sleepTimer;
    this.#random = config.random ?? Math.random;
  }

  /** The provider this client talks to. */
  get provider(): string {
    return this.#config.provider;
  }

  /** `Stripe`, `Paystack`, ... */
  get label(): string {
    return this.#config.label;
  }

  /** The API's base URL. */
  get baseUrl(): URL {
    return this.#config.baseUrl;
  }

  /** Milliseconds one attempt may take. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Sends a request, retrying network errors, timeouts, 429 and 5xx. Resolves with the final
   * response, whatever its status; rejects with `ProviderUnavailableError` (`timeout` or
   * `network`) when no attempt got an answer.
   */
  async send(request: ApiRequest): Promise<ApiResponse> {
    const url = this.#url(request);
    const call: { -readonly [K in keyof ProviderCall]: ProviderCall[K] } = {
      provider: this.#config.provider,
      method: request.method,
      path: url.pathname,
    };
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(this.#config.headers)) headers.set(name, value);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    // One key for every attempt: a POST that reached the provider before its answer was lost
    // is not done twice.
    const key =
      request.idempotencyKey ??
      headers.get('idempotency-key') ??
      (request.method === 'POST' && this.#maxRetries > 0 ? randomUUID() : undefined);
    if (key !== undefined) headers.set('idempotency-key', key);
    const init: RequestInit = { method: request.method, headers, redirect: 'manual' };
    if (request.body !== undefined) init.body = request.body;

    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#maxRetries;
      let answer: { status: number; headers: Headers; text: string };
      try {
        answer = await this.#attempt(url, init);
      } catch (error) {
        const reason = (error as { timedOut?: boolean }).timedOut === true ? 'timeout' : 'network';
        if (last) {
          throw new ProviderUnavailableError(
            reason,
            call,
            `The ${this.#config.label} API did not answer ${describeCall(call)}: ` +
              (reason === 'timeout'
                ? `no answer within ${this.#timeoutMs} ms`
                : 'the connection failed') +
              `, ${attempt + 1} attempt${attempt === 0 ? '' : 's'}.`,
            { cause: (error as { cause?: unknown }).cause ?? error },
          );
        }
        await this.#backoff(call, attempt, reason, undefined);
        continue;
      }
      const requestId =
        this.#config.requestIdHeader === undefined
          ? undefined
          : (answer.headers.get(this.#config.requestIdHeader) ?? undefined);
      const response: ApiResponse = {
        ...answer,
        attempts: attempt + 1,
        call: { ...call, providerStatus: answer.status, requestId },
        retryAfterMs: parseRetryAfter(answer.headers.get('retry-after'), this.#now()),
      };
      const retry =
        this.#config.retryable?.(answer.status, answer.headers) ?? retryableStatus(answer.status);
      const maxWait = this.#config.maxRetryAfterMs ?? API_HTTP_DEFAULTS.maxRetryAfterMs;
      // A Retry-After beyond the cap ends the retries: the caller (or the provider's own
      // redelivery) comes back later, rather than holding a webhook open that long.
      if (!retry || last || (response.retryAfterMs ?? 0) > maxWait) return response;
      await this.#backoff(response.call, attempt, String(answer.status), response.retryAfterMs);
    }
  }

  /**
   * GETs a JSON document. Resolves with the parsed body of a 2xx; otherwise rejects with the
   * typed error: `NotFoundAtProviderError` when `isNotFound` says so (default: a 404),
   * `ProviderUnavailableError` for every other failure.
   *
   * @param what what was asked for, for the messages (`transaction T123`).
   */
  async getJson(
    request: Omit<ApiRequest, 'method'>,
    what: string,
    isNotFound: (status: number, body: unknown) => boolean = (status) => status === 404,
  ): Promise<unknown> {
    const response = await this.send({ ...request, method: 'GET' });
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      body = undefined;
    }
    if (isNotFound(response.status, body)) {
      throw new NotFoundAtProviderError(
        response.call,
        `${this.#config.label} has no ${what} (${describeCall(response.call)}).`,
      );
    }
    if (response.status >= 200 && response.status < 300) {
      if (body === undefined) {
        throw new ProviderUnavailableError(
          'invalid_response',
          response.call,
          `The ${this.#config.label} API answered ${describeCall(response.call)} with a body that is not JSON.`,
        );
      }
      return body;
    }
    throw failureForStatus(response.call, this.#config.label, response);
  }

  #url(request: ApiRequest): URL {
    const base = this.#config.baseUrl;
    const origin = request.origin ?? base.origin;
    const prefix = request.origin === undefined ? base.pathname.replace(/\/+$/, '') : '';
    const url = new URL(`${prefix}${request.path}`, origin);
    appendQuery(url, request.query);
    return url;
  }

  async #attempt(
    url: URL,
    init: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    try {
      const response = await this.#fetch(url, { ...init, signal: controller.signal });
      // The body is read under the same timeout: a server that sends its headers and then
      // stalls fails too.
      const text = await response.text();
      return { status: response.status, headers: response.headers, text };
    } catch (error) {
      throw Object.assign(new Error('attempt failed', { cause: error }), { timedOut });
    } finally {
      clearTimeout(timer);
    }
  }

  async #backoff(
    call: ProviderCall,
    attempt: number,
    reason: string,
    retryAfterMs: number | undefined,
  ): Promise<void> {
    const base = this.#config.baseDelayMs ?? API_HTTP_DEFAULTS.baseDelayMs;
    const ceiling = this.#config.maxDelayMs ?? API_HTTP_DEFAULTS.maxDelayMs;
    // Full jitter (a random delay up to the exponential ceiling) spreads the retries of many
    // webhooks failing together; a Retry-After replaces it.
    const delayMs =
      retryAfterMs ?? Math.round(this.#random() * Math.min(ceiling, base * 2 ** attempt));
    this.#config.logger?.debug(
      {
        provider: call.provider,
        method: call.method,
        path: call.path,
        requestId: call.requestId,
        attempt: attempt + 1,
        reason,
        delayMs,
      },
      'koa-payments: retrying a provider API request',
    );
    await this.#sleep(delayMs);
  }
}

/**
 * The `ProviderUnavailableError` of a final non-2xx answer to `call` (which carries its status):
 * `rate_limited` (429), `server_error` (5xx), `unauthorized` (401, 403) or `rejected` (any other).
 */
export function failureForStatus(
  call: ProviderCall,
  label: string,
  options: {
    attempts?: number | undefined;
    retryAfterMs?: number | undefined;
    /** The provider's own explanation of a refusal (Stripe's `error.message`), for `rejected`. */
    providerMessage?: string | undefined;
  } = {},
): ProviderUnavailableError {
  const status = call.providerStatus ?? 0;
  const { attempts, retryAfterMs } = options;
  const tries = attempts === undefined ? '' : ` (${attempts} attempt${attempts === 1 ? '' : 's'})`;
  if (status === 429) {
    return new ProviderUnavailableError(
      'rate_limited',
      call,
      `The ${label} API rate-limited ${describeCall(call)}${tries}.`,
      { retryAfterMs },
    );
  }
  if (status >= 500) {
    return new ProviderUnavailableError(
      'server_error',
      call,
      `The ${label} API failed ${describeCall(call)}${tries}.`,
      { retryAfterMs },
    );
  }
  if (status === 401 || status === 403) {
    return new ProviderUnavailableError(
      'unauthorized',
      call,
      `The ${label} API refused the API key for ${describeCall(call)}: check that the variant's key is a valid secret key with read access.`,
    );
  }
  return new ProviderUnavailableError(
    'rejected',
    call,
    `The ${label} API refused ${describeCall(call)}${options.providerMessage ? `: ${options.providerMessage}` : '.'}`,
  );
}
