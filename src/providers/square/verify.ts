/**
 * Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 of the notification URL followed
 * directly by the raw body, keyed by the subscription's signature key, as the square SDK's
 * `WebhooksHelper.verifySignature` checks it. Square signs no timestamp, so there is no tolerance.
 */
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import {
  anySignatureMatches,
  describe,
  header,
  isoDate,
  parseJsonObject,
  refuseLookalike,
  requireString,
  secrets,
} from '../shared/signature.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { squareFacts } from './facts.js';
import { SQUARE_SIGNATURE_HEADER, squareSignature } from './scheme.js';

/** Options of a `provider: 'square'` variant. */
export interface SquareOptions {
  /**
   * The webhook subscription's signature key (Developer Console → Webhooks → Subscriptions →
   * the subscription → Signature key), or several while rotating it.
   */
  signatureKey: SecretOption;
  /**
   * The notification URL exactly as registered for the subscription: Square signs it, byte for
   * byte.
   * @default pay.webhookUrl(variant), which needs `payments({ host })`
   */
  notificationUrl?: string;
}

/** Where `signal.data` sits in a Square event: `data`. */
export const SQUARE_DATA_PATH = ['data'] as const;

const dataOf = dataAt(SQUARE_DATA_PATH);

/** A base64 SHA-256 digest: 32 bytes, 44 characters with one `=` of padding. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/** Builds the Square provider for one variant; validates its options. */
export function square(options: SquareOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.signatureKey, 'signatureKey', variant);
  refuseLookalike(
    keys,
    /^EAAA[\w-]{40,}$/,
    'signatureKey',
    variant,
    "looks like an access token; use the webhook subscription's signature key",
  );
  const notificationUrl = resolveUrl(options.notificationUrl, context);
  const hint = (url: string) =>
    `Check that notificationUrl (${url}) is exactly the URL registered for this subscription ` +
    '(scheme, host, path and trailing slash), that signatureKey is its signature key, and that ' +
    'koa-payments receives the raw body before any body parser.';
  return {
    name: 'square',
    facts: squareFacts,
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      // Resolved per request: `host` may be a function, and Square signs what it returns now.
      const url = notificationUrl ?? context.webhookUrl();
      const signature = header(request.headers, SQUARE_SIGNATURE_HEADER);
      if (signature === undefined) {
        throw new SignatureVerificationError(
          'missing_signature',
          `No x-square-hmacsha256-signature header found on the request. ${hint(url)}`,
        );
      }
      if (!BASE64_SHA256.test(signature)) {
        throw new SignatureVerificationError(
          'malformed_signature',
          'The x-square-hmacsha256-signature header is not a base64 HMAC-SHA256 (44 characters).',
        );
      }
      const sign = (key: string) => squareSignature(url, request.rawBody, key);
      if (!anySignatureMatches(keys, sign, [signature])) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `The x-square-hmacsha256-signature header does not match the payload. ${hint(url)}`,
        );
      }
      const payload = parseJsonObject(request.rawBody, 'Square');
      const id = requireString(payload, 'event_id', 'Square');
      const type = requireString(payload, 'type', 'Square');
      const event: VerifiedEvent = { id, type, data: dataOf(payload), payload };
      const createdAt = isoDate(payload.created_at);
      if (createdAt !== undefined) event.createdAt = createdAt;
      return event;
    },
  };
}

/**
 * Validates an explicit `notificationUrl`, or checks that the default one can be built. Returns
 * the explicit URL, or undefined to use `context.webhookUrl()`.
 */
function resolveUrl(value: string | undefined, context: ProviderContext): string | undefined {
  const path = `variants.${context.variant}.notificationUrl`;
  if (value === undefined) {
    try {
      context.webhookUrl();
    } catch {
      throw new ConfigurationError(
        path,
        'is required when payments({ host }) is not set: Square signs the notification URL, so ' +
          'set host (the URL is then pay.webhookUrl(variant)) or the exact URL registered with Square',
        context.variant,
      );
    }
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ConfigurationError(
      path,
      `must be a URL string, got ${describe(value)}`,
      context.variant,
    );
  }
  if (value.trim() !== value || !isHttpUrl(value)) {
    throw new ConfigurationError(
      path,
      'must be the absolute http(s) URL registered with Square, without surrounding whitespace',
      context.variant,
    );
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
