/**
 * Error classes. Every error the library raises on purpose carries a stable `code`; the HTTP
 * layer turns a {@link PaymentsError} into `{ "error": { "code", "message" } }` with its `status`,
 * and shows the message only when `expose` is true (as Koa does with `ctx.throw`).
 */

/** Stable codes of the JSON error bodies the middleware answers with. */
export type ErrorCode =
  | 'invalid_signature'
  | 'unauthorized'
  | 'unknown_variant'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'body_timeout'
  | 'raw_body_unavailable'
  | 'client_aborted'
  | 'receiver_failed'
  | 'store_unavailable'
  | 'internal_error'
  | 'invalid_request'
  | 'event_not_found'
  | 'not_found_at_provider'
  | 'provider_unavailable'
  | 'secret_unavailable'
  | 'run_once_busy'
  | 'sync_failed'
  | 'reconcile_failed';

/**
 * Base class of every error koa-payments raises on purpose.
 *
 * @example
 * try { await something(); } catch (err) {
 *   if (err instanceof PaymentsError && err.code === 'store_unavailable') retryLater();
 * }
 */
export class PaymentsError extends Error {
  /** Stable machine-readable code, also the `error.code` of the HTTP answer. */
  readonly code: ErrorCode;
  /** HTTP status the middleware answers with. */
  readonly status: number;
  /** Whether `message` may be shown to the client. It never contains a secret or a payload. */
  readonly expose: boolean;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: { expose?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaymentsError';
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
  }
}

/** Why a webhook failed verification; one code per failure, stable across releases. */
export type SignatureFailureReason =
  | 'missing_signature'
  | 'malformed_signature'
  | 'no_matching_signature'
  | 'timestamp_out_of_tolerance'
  | 'invalid_payload'
  | 'ip_not_allowed';

/**
 * Thrown by a provider's `verify()` when a request is not a genuine, fresh, parsable webhook.
 * The middleware answers 400 `invalid_signature` with the `reason`, and stores no event.
 *
 * @example
 * throw new SignatureVerificationError('missing_signature', 'No Stripe-Signature header.');
 */
export class SignatureVerificationError extends PaymentsError {
  /** The precise failure, for logs, metrics and the `reason` field of the 400 answer. */
  readonly reason: SignatureFailureReason;

  constructor(reason: SignatureFailureReason, message: string) {
    super('invalid_signature', 400, message, { expose: true });
    this.name = 'SignatureVerificationError';
    this.reason = reason;
  }
}

/**
 * A setting is wrong. Thrown at construction (by `payments()`, a provider factory or
 * `receiver()`), never while serving a request; and by the calls that need a setting the
 * variant lacks (`pay.sync()`, `pay.reconcile()` or `signal.fetch()` without an API key). The message names the
 * variant and the option.
 */
export class ConfigurationError extends Error {
  /** The option at fault, as a dotted path (`variants.stripe.endpointSecret`). */
  readonly option: string;
  /** The variant at fault, when the option belongs to one. */
  readonly variant: string | undefined;

  constructor(option: string, message: string, variant?: string) {
    super(`koa-payments: ${option}: ${message}`);
    this.name = 'ConfigurationError';
    this.option = option;
    this.variant = variant;
  }
}

/** The database could not be reached or stayed busy; the webhook should be redelivered. */
export class StoreUnavailableError extends PaymentsError {
  constructor(cause: unknown) {
    super(
      'store_unavailable',
      503,
      'The payment event store is unavailable; the event was not stored. Retry later.',
      { expose: true, cause },
    );
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The 503 of an instance that `close()` is shutting down: the webhook, or the operator's call,
 * is refused before anything is stored or claimed, and can be retried (elsewhere) later.
 */
export function shuttingDownError(): PaymentsError {
  return new PaymentsError(
    'store_unavailable',
    503,
    'The webhook receiver is shutting down; retry later.',
    { expose: true },
  );
}

/** An `atomic: true` receiver threw: the storing transaction was rolled back. */
export class ReceiverFailedError extends PaymentsError {
  /** Name of the receiver that threw. */
  readonly receiver: string;

  constructor(receiver: string, cause: unknown) {
    super(
      'receiver_failed',
      500,
      `Receiver "${receiver}" failed; the event was not stored and should be redelivered.`,
      { expose: true, cause },
    );
    this.name = 'ReceiverFailedError';
    this.receiver = receiver;
  }
}

/**
 * A variant's secret resolver threw, timed out, or returned something that is not a secret: the
 * webhook cannot be verified now. Answered 503 `secret_unavailable`, so the provider redelivers;
 * nothing is stored. The message names neither the secret nor the resolver's error.
 */
export class SecretUnavailableError extends PaymentsError {
  constructor(variant: string, cause?: unknown) {
    super(
      'secret_unavailable',
      503,
      `The signing secret of variant "${variant}" could not be resolved; the event was not stored. Retry later.`,
      { expose: true, cause },
    );
    this.name = 'SecretUnavailableError';
  }
}

/**
 * `pay.runOnce(key, fn)` stopped waiting for a run of the same key still in progress elsewhere
 * (after `waitMs`, or at once inside a SQLite transaction, which cannot wait: it holds the
 * database's write lock). Nothing ran for this caller; the other run may still finish or fail.
 * Retry later: a receiver that lets it through is retried by the worker; a page can answer 503.
 */
export class RunOnceBusyError extends PaymentsError {
  /** The key that stayed busy. */
  readonly key: string;
  /** How long this caller waited, in ms. */
  readonly waitedMs: number;

  constructor(key: string, waitedMs: number, insideSqliteTransaction = false) {
    super(
      'run_once_busy',
      503,
      insideSqliteTransaction
        ? `koa-payments: runOnce: key "${key}" is running elsewhere, and a call inside a SQLite transaction cannot wait for it (the transaction holds the write lock the other run needs to finish); nothing ran. Call it outside the transaction, or retry after it.`
        : `koa-payments: runOnce: key "${key}" was still running elsewhere after ${waitedMs} ms (waitMs); nothing ran here. Retry later, or raise waitMs.`,
    );
    this.name = 'RunOnceBusyError';
    this.key = key;
    this.waitedMs = waitedMs;
  }
}

/**
 * A provider that authenticates its requests with HTTP Basic auth (Adyen's optional username and
 * password) got none, or wrong ones. The middleware answers 401 `unauthorized` with a
 * `WWW-Authenticate: Basic` challenge, and stores no event. The message never says which part
 * was wrong.
 *
 * @example
 * throw new WebhookUnauthorizedError('The webhook request has no Basic credentials.');
 */
export class WebhookUnauthorizedError extends PaymentsError {
  /** The `WWW-Authenticate` header of the 401. */
  readonly challenge = 'Basic realm="koa-payments", charset="UTF-8"';

  constructor(message: string) {
    super('unauthorized', 401, message, { expose: true });
    this.name = 'WebhookUnauthorizedError';
  }
}
