/**
 * Errors of the provider APIs (Stripe, Paystack, Flutterwave). They carry what a log needs to find
 * the call (provider, method, path without its query, the provider's HTTP status and request id)
 * and never a credential: no header, no query string, no response body.
 */
import { PaymentsError } from '../../errors.js';

/** Where a provider API call went wrong, without anything secret. */
export interface ProviderCall {
  /** `stripe`, `paystack`, `flutterwave`. */
  readonly provider: string;
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** The path called, without its query string (`/v1/events/evt_123`). */
  readonly path: string;
  /** The provider's HTTP status, when it answered. */
  readonly providerStatus?: number | undefined;
  /** The provider's request id (Stripe's `Request-Id`), when it sent one. */
  readonly requestId?: string | undefined;
}

/**
 * Base class of the errors a provider API call ends in. `status` is the answer koa-payments gives
 * to a webhook that needed the call (`validation: 'retrieve'`); `providerStatus` is what the
 * provider answered.
 *
 * @example
 * try { await provider.api.confirm(event); } catch (error) {
 *   if (error instanceof ProviderApiError) logger.warn({ path: error.path, requestId: error.requestId });
 * }
 */
export class ProviderApiError extends PaymentsError implements ProviderCall {
  readonly provider: string;
  readonly method: string;
  readonly path: string;
  readonly providerStatus: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: 'not_found_at_provider' | 'provider_unavailable',
    status: number,
    call: ProviderCall,
    message: string,
    cause?: unknown,
  ) {
    super(code, status, message, { expose: true, cause });
    this.name = 'ProviderApiError';
    this.provider = call.provider;
    this.method = call.method;
    this.path = call.path;
    this.providerStatus = call.providerStatus;
    this.requestId = call.requestId;
  }
}

/**
 * The provider's API does not know the object a webhook is about (or reports it in a state that no
 * such webhook would carry). Answered 400 `not_found_at_provider`; nothing is stored.
 */
export class NotFoundAtProviderError extends ProviderApiError {
  constructor(call: ProviderCall, message: string) {
    super('not_found_at_provider', 400, call, message);
    this.name = 'NotFoundAtProviderError';
  }
}

/** Why a provider API could not answer; one code per failure, stable across releases. */
export type ProviderUnavailableReason =
  /** No answer within the timeout, on every attempt. */
  | 'timeout'
  /** The connection failed (refused, reset, DNS), on every attempt. */
  | 'network'
  /** 429 after the retries, or a `Retry-After` longer than the library waits. */
  | 'rate_limited'
  /** 5xx after the retries. */
  | 'server_error'
  /** 401 or 403: the API key is wrong, revoked, or lacks a permission. */
  | 'unauthorized'
  /** Another 4xx: the provider refused the request. */
  | 'rejected'
  /** A 2xx whose body is not what the provider documents. */
  | 'invalid_response'
  /** The provider reports the payment as still in progress; it may settle soon. */
  | 'pending_at_provider';

/**
 * The provider's API could not be asked (unreachable, timing out, 5xx or 429 after the retries, a
 * refused API key). Answered 503 `provider_unavailable`, so the provider redelivers; nothing is
 * stored.
 */
export class ProviderUnavailableError extends ProviderApiError {
  /** What went wrong, as a code. */
  readonly reason: ProviderUnavailableReason;
  /** How long the provider asked to wait (`Retry-After`), in milliseconds, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    reason: ProviderUnavailableReason,
    call: ProviderCall,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number | undefined } = {},
  ) {
    super('provider_unavailable', 503, call, message, options.cause);
    this.name = 'ProviderUnavailableError';
    this.reason = reason;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** `GET /v1/events/evt_1 (404, request req_123)`: a call as one can quote it in a message. */
export function describeCall(call: ProviderCall): string {
  const details = [
    call.providerStatus === undefined ? undefined : String(call.providerStatus),
    call.requestId === undefined ? undefined : `request ${call.requestId}`,
  ].filter((part) => part !== undefined);
  return `${call.method} ${call.path}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}
