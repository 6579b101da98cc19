/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`, HMAC-SHA256 of
 * `${ts}:${rawBody}` keyed by the notification destination's secret key, as
 * `@paddle/paddle-node-sdk`'s `WebhooksValidator` checks it, except that any `h1` may match and
 * the timestamp is checked in both directions against a practical tolerance (see
 * {@link PADDLE_DEFAULT_TOLERANCE}).
 */
import { SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import {
  anySignatureMatches,
  checkTimestamp,
  header,
  isoDate,
  parseJsonObject,
  refuseLookalike,
  requireString,
  secrets,
  tolerance,
} from '../shared/signature.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { paddleFacts } from './facts.js';
import { PADDLE_SIGNATURE_HEADER, paddleSignature } from './scheme.js';

/** Options of a `provider: 'paddle'` variant. */
export interface PaddleOptions {
  /**
   * The notification destination's secret key (`pdl_ntfset_...`, Developer Tools →
   * Notifications → Edit destination), or several while rotating it.
   */
  secretKey: SecretOption;
  /**
   * Seconds a signature stays valid, either way of now; 0 disables the check.
   * @default 300 ({@link PADDLE_DEFAULT_TOLERANCE})
   */
  tolerance?: number;
}

/**
 * Paddle's default tolerance here, in seconds. Paddle's SDK allows only 5 s, which a few seconds
 * of clock drift on the host, a slow proxy or a request queued behind a deploy already exceed, and
 * every such webhook would be refused and retried. 300 s (Stripe's and Standard Webhooks' window)
 * still stops the replay of a captured request, and redeliveries are deduplicated by event id.
 */
export const PADDLE_DEFAULT_TOLERANCE = 300;

/** Where `signal.data` sits in a Paddle event: `data`. */
export const PADDLE_DATA_PATH = ['data'] as const;

const dataOf = dataAt(PADDLE_DATA_PATH);

const HINT =
  'Are you passing the raw request body you received from Paddle? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that secretKey is the secret ' +
  'key of this notification destination (pdl_ntfset_...), not an API key.';

/** Parses `ts=<unix>;h1=<hex>[;h1=<hex>...]`; unknown keys (`h2=...`) are ignored. */
export function parsePaddleSignature(value: string): { timestamp: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const key = part.slice(0, separator).trim();
    const val = part.slice(separator + 1).trim();
    if (key === 'ts' && /^\d{1,12}$/.test(val)) timestamp = Number(val);
    else if (key === 'h1' && val !== '') signatures.push(val.toLowerCase());
  }
  if (timestamp === undefined) {
    throw new SignatureVerificationError(
      'malformed_signature',
      'Unable to extract the timestamp from the Paddle-Signature header (expected "ts=<unix seconds>;h1=<hex>").',
    );
  }
  if (signatures.length === 0) {
    throw new SignatureVerificationError(
      'malformed_signature',
      'No h1 signature found in the Paddle-Signature header.',
    );
  }
  return { timestamp, signatures };
}

/** Builds the Paddle provider for one variant; validates its options. */
export function paddle(options: PaddleOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.secretKey, 'secretKey', variant);
  refuseLookalike(
    keys,
    /^pdl_(live|sdbx)_apikey_/,
    'secretKey',
    variant,
    'looks like an API key; use the secret key of the notification destination (pdl_ntfset_...)',
  );
  const seconds = tolerance(options.tolerance, PADDLE_DEFAULT_TOLERANCE, 'tolerance', variant);
  return {
    name: 'paddle',
    facts: paddleFacts,
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      const value = header(request.headers, PADDLE_SIGNATURE_HEADER);
      if (value === undefined) {
        throw new SignatureVerificationError(
          'missing_signature',
          `No Paddle-Signature header found on the request. ${HINT}`,
        );
      }
      const { timestamp, signatures } = parsePaddleSignature(value);
      const sign = (key: string) => paddleSignature(key, timestamp, request.rawBody);
      if (!anySignatureMatches(keys, sign, signatures)) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `No h1 signature in the Paddle-Signature header matches the payload. ${HINT}`,
        );
      }
      // After the signature, so a forged request learns nothing about the clock.
      checkTimestamp(timestamp, request.receivedAt, seconds, 'Paddle');
      const payload = parseJsonObject(request.rawBody, 'Paddle');
      const id = requireString(payload, 'event_id', 'Paddle');
      const type = requireString(payload, 'event_type', 'Paddle');
      const event: VerifiedEvent = { id, type, data: dataOf(payload), payload };
      const occurredAt = isoDate(payload.occurred_at);
      if (occurredAt !== undefined) event.createdAt = occurredAt;
      return event;
    },
  };
}
