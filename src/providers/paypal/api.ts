/**
 * The PayPal REST endpoints koa-payments calls, through the library's HTTP client (timeouts,
 * retries on 429 and 5xx honouring `Retry-After`):
 *
 * - `GET <paypal-cert-url>`: the signing certificate, without credentials;
 * - `POST /v1/oauth2/token` (Basic `clientId:clientSecret`, `grant_type=client_credentials`): an
 *   access token, cached until shortly before its `expires_in`;
 * - `POST /v1/notifications/verify-webhook-signature` (Bearer token): PayPal's own check,
 *   `{ verification_status: 'SUCCESS' | 'FAILURE' }`.
 *
 * The client secret and the token travel in the Authorization header only: no log line, error
 * message or error field carries them.
 */
import type { Logger } from '../../types.js';
import { describeCall, type ProviderCall, ProviderUnavailableError } from '../shared/api-errors.js';
import { isRecord } from '../shared/data-path.js';
import { ApiClient, type ApiHttpOptions, failureForStatus } from '../shared/http.js';

/** PayPal's REST API, by mode (the hosts PayPal's API reference uses). */
export const PAYPAL_API_BASES = {
  live: 'https://api-m.paypal.com',
  sandbox: 'https://api-m.sandbox.paypal.com',
} as const;

/** The largest certificate document read (PayPal's is about 2 KiB; a chain under 8). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** A token is renewed this long before PayPal says it expires. */
const TOKEN_MARGIN_MS = 60_000;

/** What `verify-webhook-signature` is asked about one transmission (besides the event). */
export interface PayPalVerificationFields {
  authAlgo: string;
  certUrl: string;
  transmissionId: string;
  transmissionSig: string;
  transmissionTime: string;
  webhookId: string;
}

/** How to build a {@link PayPalApi}. */
export interface PayPalApiConfig {
  /** The REST app's client id; needed for `verifyWebhookSignature` only. */
  clientId?: string | undefined;
  /** The REST app's secret; needed for `verifyWebhookSignature` only. */
  clientSecret?: string | undefined;
  /** The API's base URL (`apiBase`). */
  apiBase: URL;
  http?: ApiHttpOptions | undefined;
  logger?: Logger | undefined;
}

/** A 2xx body as JSON, or undefined. */
function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The PayPal API of one variant. */
export class PayPalApi {
  readonly #client: ApiClient;
  readonly #basic: string | undefined;
  readonly #now: () => number;
  #token: { value: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(config: PayPalApiConfig) {
    // Credentials go per request: the certificate download carries none.
    this.#client = new ApiClient({
      ...config.http,
      provider: 'paypal',
      label: 'PayPal',
      baseUrl: config.apiBase,
      headers: {},
      requestIdHeader: 'paypal-debug-id',
      logger: config.logger,
    });
    this.#basic =
      config.clientId === undefined || config.clientSecret === undefined
        ? undefined
        : `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`;
    this.#now = config.http?.now ?? Date.now;
  }

  /**
   * The document at a certificate URL (already allow-listed by the caller), as text. Resolves
   * undefined on a 404 (no such certificate); rejects with `ProviderUnavailableError` when PayPal
   * cannot answer.
   */
  async certificate(url: URL): Promise<string | undefined> {
    const response = await this.#client.send({
      method: 'GET',
      path: url.pathname,
      origin: url.origin,
      headers: { accept: 'application/x-pem-file, text/plain, */*' },
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) {
      throw failureForStatus(response.call, 'PayPal', response);
    }
    if (Buffer.byteLength(response.text) > MAX_CERTIFICATE_BYTES) {
      throw this.#invalid(
        response.call,
        `a certificate larger than ${MAX_CERTIFICATE_BYTES} bytes`,
      );
    }
    return response.text;
  }

  /**
   * `POST /v1/notifications/verify-webhook-signature` for one transmission; `rawEvent` is the
   * webhook body, a JSON object, embedded byte for byte (re-serialising it would change the CRC
   * PayPal checks). A token refused with 401 is renewed once.
   */
  async verifyWebhookSignature(
    fields: PayPalVerificationFields,
    rawEvent: string,
  ): Promise<'SUCCESS' | 'FAILURE'> {
    const head = JSON.stringify({
      auth_algo: fields.authAlgo,
      cert_url: fields.certUrl,
      transmission_id: fields.transmissionId,
      transmission_sig: fields.transmissionSig,
      transmission_time: fields.transmissionTime,
      webhook_id: fields.webhookId,
    });
    const body = `${head.slice(0, -1)},"webhook_event":${rawEvent}}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const response = await this.#client.send({
        method: 'POST',
        path: '/v1/notifications/verify-webhook-signature',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      if (response.status === 401 && attempt === 0) {
        // Revoked or expired early: one fresh token, then the 401 stands.
        this.#token = undefined;
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        throw failureForStatus(response.call, 'PayPal', response);
      }
      const answer = json(response.text);
      const status = isRecord(answer) ? answer.verification_status : undefined;
      if (status !== 'SUCCESS' && status !== 'FAILURE') {
        throw this.#invalid(response.call, 'a body without verification_status');
      }
      return status;
    }
  }

  /** An OAuth 2.0 access token (client credentials), cached until shortly before it expires. */
  async accessToken(): Promise<string> {
    if (this.#token !== undefined && this.#now() < this.#token.renewAt) return this.#token.value;
    // One request for every webhook waiting on a token.
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetchToken(): Promise<string> {
    if (this.#basic === undefined) {
      throw new TypeError('PayPalApi: clientId and clientSecret are needed for an access token');
    }
    const response = await this.#client.send({
      method: 'POST',
      path: '/v1/oauth2/token',
      headers: {
        authorization: this.#basic,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    if (response.status === 401 || response.status === 403) {
      throw new ProviderUnavailableError(
        'unauthorized',
        response.call,
        `PayPal refused the client credentials for ${describeCall(response.call)}: check the variant's ` +
          'clientId and clientSecret (the REST app of the same mode, sandbox or live).',
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw failureForStatus(response.call, 'PayPal', response);
    }
    const answer = json(response.text);
    const value = isRecord(answer) ? answer.access_token : undefined;
    const expiresIn = isRecord(answer) ? answer.expires_in : undefined;
    if (typeof value !== 'string' || value === '' || typeof expiresIn !== 'number') {
      throw this.#invalid(response.call, 'a body without access_token and expires_in');
    }
    const lifetimeMs = Math.max(0, expiresIn * 1000 - TOKEN_MARGIN_MS);
    this.#token = { value, renewAt: this.#now() + lifetimeMs };
    return value;
  }

  #invalid(call: ProviderCall, what: string): ProviderUnavailableError {
    return new ProviderUnavailableError(
      'invalid_response',
      call,
      `The PayPal API answered ${describeCall(call)} with ${what}.`,
    );
  }
}
