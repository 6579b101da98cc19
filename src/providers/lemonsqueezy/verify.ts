/**
 * Lemon Squeezy: `X-Signature` is the hex HMAC-SHA256 of the raw body, keyed by the signing secret
 * typed into the webhook's settings (docs.lemonsqueezy.com/help/webhooks/signing-requests; the
 * official Laravel package's `VerifyWebhookSignature` checks it the same way). Nothing else is
 * signed: there is no timestamp, and the `X-Event-Name` header is not covered by the signature.
 *
 * Lemon Squeezy sends no event id, so one is derived from the signed body: see {@link lemonSqueezyEventId}.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import { anySignatureMatches, header, parseJsonObject, secrets } from '../shared/signature.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { lemonSqueezyFacts } from './facts.js';
import {
  LEMONSQUEEZY_EVENT_NAME_HEADER,
  LEMONSQUEEZY_SIGNATURE_HEADER,
  lemonSqueezySignature,
} from './scheme.js';

/** Options of a `provider: 'lemonsqueezy'` variant. */
export interface LemonSqueezyOptions {
  /**
   * The webhook's signing secret: the string you typed in Settings › Webhooks (or sent as
   * `secret` when creating the webhook through the API). Several while rotating.
   */
  signingSecret: SecretOption;
}

/** Where `signal.data` sits in a Lemon Squeezy event: `data`. */
export const LEMONSQUEEZY_DATA_PATH = ['data'] as const;

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

const RAW_BODY_HINT =
  'Mount koa-payments before any body parser (a re-serialised body never matches), and check that ' +
  'signingSecret is the signing secret of this webhook in Settings › Webhooks, not an API key.';

/** Recursively sorts object keys, so the same JSON value always serialises the same way. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = canonical((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

/**
 * The id Lemon Squeezy does not send: `<event name>:<data.type>:<data.id>:<digest>`, where the
 * digest is the first 32 hex digits (128 bits) of the SHA-256 of the event name and the `data`
 * resource, keys sorted, without `data.attributes.urls`.
 *
 * - A redelivery gets the same id even if Lemon Squeezy serialised it again: key order and
 *   whitespace do not count, and `attributes.urls` holds signed links with an `expires=` stamp
 *   that may be signed afresh; `meta` (custom data, test mode) is not hashed either.
 * - Two different events do not collide: any change to the resource (`updated_at`, `status`,
 *   `refunded_amount`, ...) changes the digest, even within the same second.
 * - Two deliveries carrying the very same resource state under the same event name get the same
 *   id, and the second is answered as a duplicate: it says nothing the first did not.
 *
 * @example
 * lemonSqueezyEventId('subscription_updated', { type: 'subscriptions', id: '1', attributes: {} });
 * // 'subscription_updated:subscriptions:1:3f9c...'
 */
export function lemonSqueezyEventId(
  eventName: string,
  data: { type: string; id: string; attributes?: unknown },
): string {
  let resource: unknown = data;
  const attributes = data.attributes;
  if (attributes !== null && typeof attributes === 'object' && !Array.isArray(attributes)) {
    const { urls: _signedLinks, ...stable } = attributes as Record<string, unknown>;
    resource = { ...data, attributes: stable };
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([eventName, canonical(resource)]))
    .digest('hex')
    .slice(0, 32);
  return `${eventName}:${data.type}:${data.id}:${digest}`;
}

function invalid(message: string): SignatureVerificationError {
  return new SignatureVerificationError('invalid_payload', `The Lemon Squeezy payload ${message}.`);
}

/** Builds the Lemon Squeezy provider for one variant; validates its options. */
export function lemonsqueezy(options: LemonSqueezyOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.signingSecret, 'signingSecret', variant);
  for (const key of keys) {
    // API keys are long JWTs; a signing secret is what you typed in the webhook form.
    if (key.startsWith('eyJ') && key.length > 100) {
      throw new ConfigurationError(
        `variants.${variant}.signingSecret`,
        'looks like an API key; use the signing secret of the webhook (Settings › Webhooks)',
        variant,
      );
    }
  }
  return {
    name: 'lemonsqueezy',
    facts: lemonSqueezyFacts,
    dataOf: dataAt(LEMONSQUEEZY_DATA_PATH),
    verify(request: WebhookRequest): VerifiedEvent {
      const signature = header(request.headers, LEMONSQUEEZY_SIGNATURE_HEADER);
      if (signature === undefined) {
        throw new SignatureVerificationError(
          'missing_signature',
          `No X-Signature header found on the request. ${RAW_BODY_HINT}`,
        );
      }
      if (!HEX_SHA256.test(signature)) {
        throw new SignatureVerificationError(
          'malformed_signature',
          'The X-Signature header is not a hex HMAC-SHA256 (64 hexadecimal digits).',
        );
      }
      const sign = (key: string) => lemonSqueezySignature(request.rawBody, key);
      if (!anySignatureMatches(keys, sign, [signature.toLowerCase()])) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `The X-Signature header does not match the payload. ${RAW_BODY_HINT}`,
        );
      }

      const payload = parseJsonObject(request.rawBody, 'Lemon Squeezy');
      const meta = payload.meta as { event_name?: unknown; test_mode?: unknown } | undefined;
      // The body is signed and the header is not: when both are present, the body wins.
      const bodyName = typeof meta?.event_name === 'string' ? meta.event_name : '';
      const type =
        bodyName !== '' ? bodyName : header(request.headers, LEMONSQUEEZY_EVENT_NAME_HEADER);
      if (type === undefined) {
        throw invalid('has no meta.event_name and the request no X-Event-Name header');
      }
      const data = payload.data as { type?: unknown; id?: unknown; attributes?: unknown };
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw invalid('has no "data" resource object');
      }
      const id = typeof data.id === 'number' ? String(data.id) : data.id;
      if (
        typeof data.type !== 'string' ||
        data.type === '' ||
        typeof id !== 'string' ||
        id === ''
      ) {
        throw invalid('"data" has no "type" and "id"');
      }

      const event: VerifiedEvent = {
        id: lemonSqueezyEventId(type, { ...data, type: data.type, id }),
        type,
        data,
        payload,
      };
      const testMode = meta?.test_mode ?? (data.attributes as { test_mode?: unknown })?.test_mode;
      if (typeof testMode === 'boolean') event.livemode = !testMode;
      return event;
    },
  };
}
