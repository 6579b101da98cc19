/**
 * Standard Webhooks (and Svix, which sends the same scheme under `svix-*` header names):
 * `webhook-signature: v1,<base64> [v1,<base64> ...]`, each an HMAC-SHA256 of
 * `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed by the base64-decoded `whsec_` secret,
 * as the `standardwebhooks` library's `Webhook.verify` checks it.
 */
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import {
  anySignatureMatches,
  checkTimestamp,
  header,
  parseJsonObject,
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
import { standardSecretKey, standardSignature } from './scheme.js';

/** Options of a `provider: 'standard'` variant (Standard Webhooks or Svix). */
export interface StandardOptions {
  /**
   * The endpoint's signing secret, `whsec_` followed by base64 (a secret without the prefix is
   * read as base64 too, as the standardwebhooks library does), or several while rolling it.
   * It must decode to at least 24 bytes.
   */
  secret: SecretOption;
  /**
   * Seconds a signature stays valid, either way of now; 0 disables.
   * @default 300 (the library's)
   */
  tolerance?: number;
}

/** The standardwebhooks library's tolerance, in seconds. */
export const STANDARD_DEFAULT_TOLERANCE = 300;

/** The shortest key the Standard Webhooks specification allows (192 bits), in bytes. */
export const STANDARD_MIN_SECRET_BYTES = 24;

const LABEL = 'Standard Webhooks';
const HINT =
  'Are you passing the raw request body? Mount koa-payments before any body parser: a ' +
  're-serialised JSON body never matches. Also check that secret is the signing secret of this ' +
  'endpoint (whsec_...).';

/** Validates every secret of the option and returns their decoded keys. */
function keysOf(value: SecretOption, variant: string): Buffer[] {
  const option = `variants.${variant}.secret`;
  return secrets(value, 'secret', variant).map((secret) => {
    const key = standardSecretKey(secret);
    if (key === undefined) {
      throw new ConfigurationError(
        option,
        'is not a Standard Webhooks secret: expected whsec_ followed by base64; copy the signing secret of the endpoint again',
        variant,
      );
    }
    // The library only refuses an empty key; a short key is as weak as a guessable password.
    if (key.length < STANDARD_MIN_SECRET_BYTES) {
      throw new ConfigurationError(
        option,
        `decodes to fewer than ${STANDARD_MIN_SECRET_BYTES} bytes; Standard Webhooks secrets are at least ${STANDARD_MIN_SECRET_BYTES} random bytes, base64-encoded after whsec_`,
        variant,
      );
    }
    return key;
  });
}

/** The request's webhook headers, `svix-*` taking precedence as in the svix library. */
function messageHeaders(request: WebhookRequest): {
  id: string;
  timestamp: string;
  signature: string;
} {
  const names = ['id', 'timestamp', 'signature'] as const;
  const values = names.map(
    (name) => header(request.headers, `svix-${name}`) ?? header(request.headers, `webhook-${name}`),
  );
  const [id, timestamp, signature] = values;
  if (id === undefined || timestamp === undefined || signature === undefined) {
    // Name the headers of the family the sender seems to use.
    const family = names.some((name) => header(request.headers, `svix-${name}`) !== undefined)
      ? 'svix'
      : 'webhook';
    const missing = names.filter((_, i) => values[i] === undefined).map((n) => `${family}-${n}`);
    throw new SignatureVerificationError(
      'missing_signature',
      `Missing the ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}: a Standard Webhooks ` +
        'request carries webhook-id, webhook-timestamp and webhook-signature (svix-* from Svix).',
    );
  }
  return { id, timestamp, signature };
}

function parseTimestamp(value: string): number {
  if (!/^\d{1,12}$/.test(value)) {
    throw new SignatureVerificationError(
      'malformed_signature',
      'The webhook-timestamp header is not an integer number of seconds.',
    );
  }
  return Number(value);
}

/** The `v1` signatures of a space-separated `webhook-signature` list; other versions are skipped. */
function parseSignatures(value: string): string[] {
  const signatures: string[] = [];
  for (const entry of value.split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma > 0 && entry.slice(0, comma) === 'v1' && comma < entry.length - 1) {
      signatures.push(entry.slice(comma + 1));
    }
  }
  if (signatures.length === 0) {
    throw new SignatureVerificationError(
      'malformed_signature',
      'No v1 signatures in the webhook-signature header (expected space-separated "v1,<base64>" entries).',
    );
  }
  return signatures;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The payload's `timestamp` as a Date, when it is an ISO 8601 date-time. */
function createdAtOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Where `signal.data` sits in a Standard Webhooks payload: `data`. */
export const STANDARD_DATA_PATH = ['data'] as const;

const dataOf = dataAt(STANDARD_DATA_PATH);

/** Builds the Standard Webhooks provider for one variant; validates its options. */
export function standard(options: StandardOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = keysOf(options.secret, variant);
  const seconds = tolerance(options.tolerance, STANDARD_DEFAULT_TOLERANCE, 'tolerance', variant);
  return {
    name: 'standard',
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      const message = messageHeaders(request);
      const timestamp = parseTimestamp(message.timestamp);
      const signatures = parseSignatures(message.signature);
      const sign = (key: (typeof keys)[number]) =>
        standardSignature(key, message.id, timestamp, request.rawBody).slice(3);
      if (!anySignatureMatches(keys, sign, signatures)) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `No signature in the webhook-signature header matches the message. ${HINT}`,
        );
      }
      // Checked after the signature, so a forged request learns nothing about the clock.
      checkTimestamp(timestamp, request.receivedAt, seconds, LABEL);
      const payload = parseJsonObject(request.rawBody, LABEL);
      const type = requireString(payload, 'type', LABEL);
      const event: VerifiedEvent = { id: message.id, type, data: dataOf(payload), payload };
      const createdAt = createdAtOf(payload.timestamp);
      if (createdAt !== undefined) event.createdAt = createdAt;
      return event;
    },
  };
}
