/**
 * The official `stripe` package, loaded only by variants that call the API (an optional peer
 * dependency: the main entry never imports it), and configured to send its requests through the
 * library's HTTP client (../shared/http.ts). The SDK's own retries are off: they do not retry
 * 429, ignore `Retry-After` and sleep on real timers, so retrying happens in one place for every
 * provider instead.
 */
import { createRequire } from 'node:module';
import type Stripe from 'stripe';
import { ConfigurationError } from '../../errors.js';
import type { ApiClient } from '../shared/http.js';

type StripeClass = typeof Stripe;

/** The SDK's `httpClient` setting. */
type SdkHttpClient = NonNullable<Stripe.StripeConfig['httpClient']>;

let loading: Promise<StripeClass> | undefined;

/**
 * Throws the `ConfigurationError` of a variant that needs the API (`option`) while the `stripe`
 * package cannot be found. Checked at construction, so the mistake shows at start-up rather than
 * as 500s on the first webhook.
 *
 * @param resolve how to find the package (tests pass one that fails).
 */
export function requireStripePackage(
  variant: string,
  option: string,
  resolve: (name: string) => string = createRequire(import.meta.url).resolve,
): void {
  try {
    resolve('stripe');
  } catch {
    throw new ConfigurationError(
      `variants.${variant}.${option}`,
      'needs the official stripe package to call the Stripe API: `npm install stripe` ' +
        '(an optional peer dependency of koa-payments)',
      variant,
    );
  }
}

/** The `Stripe` class, imported once per process. */
export function loadStripe(): Promise<StripeClass> {
  loading ??= import('stripe').then((module) => module.default as StripeClass);
  return loading;
}

/** Request headers as the SDK gives them, as strings; `content-length` is left to fetch. */
function flatHeaders(headers: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null || name.toLowerCase() === 'content-length') continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

/**
 * The SDK's `httpClient` over the library's client. An error answer without Stripe's error body
 * (a proxy's HTML page) still becomes a Stripe error carrying the HTTP status, so that it maps to
 * the right `ProviderApiError`; a success that is not a JSON object fails as invalid JSON.
 */
export function sdkHttpClient(client: ApiClient): SdkHttpClient {
  return {
    getClientName: () => 'koa-payments',
    async makeRequest(host, port, path, method, headers, requestData, protocol) {
      // The SDK names the host of each request: the configured one (apiBase) for the API, other
      // Stripe hosts for files and meter events.
      const origin = new URL(`${protocol}://${host}:${port}`).origin;
      const response = await client.send({
        method: method as 'GET' | 'POST' | 'DELETE',
        path,
        headers: flatHeaders(headers),
        ...(requestData === '' || requestData === undefined ? {} : { body: requestData }),
        ...(origin === client.baseUrl.origin ? {} : { origin }),
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value;
      });
      return {
        getStatusCode: () => response.status,
        getHeaders: () => responseHeaders,
        getRawResponse: () => ({}),
        toStream: () => {
          throw new Error('koa-payments does not stream Stripe responses');
        },
        toJSON: async () => {
          let body: unknown;
          try {
            body = JSON.parse(response.text);
          } catch (error) {
            if (response.status < 400) throw error;
          }
          const object = body !== null && typeof body === 'object' ? (body as object) : undefined;
          if (response.status < 400) {
            if (object === undefined) throw new Error('The response body is not a JSON object.');
            return object;
          }
          return object !== undefined && 'error' in object
            ? object
            : {
                error: {
                  type: 'api_error',
                  message: 'The error response has no Stripe error body.',
                },
              };
        },
      };
    },
  };
}

/**
 * A Stripe client for `apiKey` at `client`'s base URL: the host, port and protocol of `apiBase`,
 * the client's timeout, no SDK retries, no telemetry header.
 */
export async function stripeClient(apiKey: string, client: ApiClient): Promise<Stripe> {
  const StripeSdk = await loadStripe();
  const base = client.baseUrl;
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new StripeSdk(apiKey, {
    host: base.hostname,
    port: base.port === '' ? (protocol === 'http' ? 80 : 443) : Number(base.port),
    protocol,
    timeout: client.timeoutMs,
    maxNetworkRetries: 0,
    telemetry: false,
    httpClient: sdkHttpClient(client),
    appInfo: { name: 'koa-payments' },
  });
}
