/**
 * Adyen standard webhooks: one POST carries a batch of notification items
 * (`{ live, notificationItems: [{ NotificationRequestItem }] }`), each signed on its own with the
 * HMAC key (see ./scheme.ts), optionally behind HTTP Basic auth. The credentials are checked
 * first, then every item's signature: one item that fails refuses the whole request, so that
 * nothing of it is stored and Adyen delivers the batch again. Each item becomes its own event,
 * id `<pspReference>:<eventCode>:<success>`, type its `eventCode`, and the pipeline stores them
 * in one transaction and answers `[accepted]`, as Adyen expects.
 *
 * Adyen signs no timestamp: a genuine notification can be sent again by whoever captured it, and
 * is then a duplicate of the stored event, never a second one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ConfigurationError,
  SignatureVerificationError,
  WebhookUnauthorizedError,
} from '../../errors.js';
import { dataAt, isRecord } from '../shared/data-path.js';
import {
  anySignatureMatches,
  describe,
  header,
  isoDate,
  parseJsonObject,
  secrets,
} from '../shared/signature.js';
import {
  MAX_EVENTS_PER_REQUEST,
  type Provider,
  type ProviderContext,
  type Secret,
  type SuccessAnswer,
  type VerifiedEvent,
  type WebhookRequest,
} from '../types.js';
import { adyenFacts } from './facts.js';
import { ADYEN_ACCEPTED, ADYEN_SIGNATURE_FIELD, adyenHmac } from './scheme.js';

/** Options of a `provider: 'adyen'` variant. */
export interface AdyenOptions {
  /**
   * The HMAC key of the webhook, in hex, as the Customer Area shows it (Developers → Webhooks →
   * the webhook → Security → HMAC Key); or several while rotating: any one of them verifies.
   */
  hmacKey: Secret;
  /**
   * The Basic auth username set on the webhook (its Security section). With `password`:
   * requests without these credentials are refused with 401.
   */
  username?: string;
  /** The Basic auth password set on the webhook; or several while changing it. */
  password?: Secret;
}

/** Where `signal.data` sits in a stored Adyen event: the payload is the notification item itself. */
export const ADYEN_DATA_PATH = [] as const;

/** What the adyen provider answers to every request whose items were stored (or already were). */
export const ADYEN_SUCCESS_ANSWER: SuccessAnswer = Object.freeze({
  status: 200,
  contentType: 'text/plain',
  body: ADYEN_ACCEPTED,
});

const dataOf = dataAt(ADYEN_DATA_PATH);

/** An HMAC key as the Customer Area gives it: 64 hex digits (32 bytes); 32 at the least. */
const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,}$/;
/** A base64 HMAC-SHA256: 32 bytes, 44 characters with their padding. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
/** pspReference and eventCode are short (16 characters, an upper-case word); bounded for the id. */
const MAX_FIELD = 100;

const HINT =
  'Check that hmacKey is the HMAC key of this webhook in the Customer Area (Developers → ' +
  'Webhooks), for the same environment (test or live), and that the raw request body reaches ' +
  'koa-payments unchanged (mount it before any body parser).';

/** The HMAC keys of a variant, validated. */
function hmacKeys(value: Secret | undefined, variant: string): string[] {
  const keys = secrets(value, 'hmacKey', variant);
  for (const key of keys) {
    if (!HEX_KEY.test(key)) {
      throw new ConfigurationError(
        `variants.${variant}.hmacKey`,
        "must be the HMAC key in hex (64 hex digits) as the Customer Area shows it under the webhook's Security settings; it is not the API key nor the client key",
        variant,
      );
    }
  }
  return keys;
}

/** The Basic auth credentials of a variant, validated; undefined when it has none. */
function basicCredentials(
  options: AdyenOptions,
  variant: string,
): { username: string; passwords: string[] } | undefined {
  const { username, password } = options;
  if (username === undefined && password === undefined) return undefined;
  if (typeof username !== 'string' || username === '' || password === undefined) {
    throw new ConfigurationError(
      `variants.${variant}.${username === undefined || username === '' ? 'username' : 'password'}`,
      `is required with ${username === undefined || username === '' ? 'password' : 'username'}: set both, as on the webhook in the Customer Area, or neither (got ${describe(username === undefined ? username : password)})`,
      variant,
    );
  }
  if (username.includes(':') || username.trim() !== username) {
    throw new ConfigurationError(
      `variants.${variant}.username`,
      'cannot contain ":" nor leading or trailing whitespace (Basic auth splits at the first ":")',
      variant,
    );
  }
  return { username, passwords: secrets(password, 'password', variant) };
}

/** SHA-256 digests compared in constant time: neither the values nor their lengths leak. */
function digestsEqual(received: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(expected));
}

/** Throws 401 unless the request carries the variant's Basic credentials. */
function checkBasicAuth(
  request: WebhookRequest,
  credentials: { username: string; passwords: readonly string[] },
): void {
  const value = header(request.headers, 'authorization');
  const match = value === undefined ? null : /^Basic +([A-Za-z0-9+/=]+)$/i.exec(value);
  if (match === null) {
    throw new WebhookUnauthorizedError(
      'The webhook request has no Basic credentials; set the username and password of this variant on the webhook in the Customer Area.',
    );
  }
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  // Every comparison runs, with no early exit on the username.
  const userMatches = digestsEqual(username, credentials.username);
  let passwordMatches = false;
  for (const expected of credentials.passwords) {
    if (digestsEqual(password, expected)) passwordMatches = true;
  }
  if (!(userMatches && passwordMatches && colon >= 0)) {
    throw new WebhookUnauthorizedError(
      "The webhook request's Basic credentials do not match this variant's username and password.",
    );
  }
}

/** The notification items of a parsed body, or `invalid_payload`. */
function itemsOf(body: Record<string, unknown>): Record<string, unknown>[] {
  const entries = body.notificationItems;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SignatureVerificationError(
      'invalid_payload',
      'The Adyen notification has no notificationItems.',
    );
  }
  if (entries.length > MAX_EVENTS_PER_REQUEST) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The Adyen notification has ${entries.length} items; at most ${MAX_EVENTS_PER_REQUEST} are accepted.`,
    );
  }
  return entries.map((entry, index) => {
    const item = isRecord(entry) ? entry.NotificationRequestItem : undefined;
    if (!isRecord(item)) {
      throw new SignatureVerificationError(
        'invalid_payload',
        `Adyen notification item ${index} has no NotificationRequestItem object.`,
      );
    }
    return item;
  });
}

/** Checks one item's `additionalData.hmacSignature` against every key; throws unless one signs it. */
function checkItemSignature(item: Record<string, unknown>, index: number, keys: readonly string[]) {
  const additional = item.additionalData;
  const signature = isRecord(additional) ? additional[ADYEN_SIGNATURE_FIELD] : undefined;
  if (signature === undefined || signature === null || signature === '') {
    throw new SignatureVerificationError(
      'missing_signature',
      `Adyen notification item ${index} has no additionalData.hmacSignature: turn on HMAC signing for this webhook in the Customer Area.`,
    );
  }
  if (typeof signature !== 'string' || !BASE64_SHA256.test(signature)) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `Adyen notification item ${index} has an hmacSignature that is not a base64 HMAC-SHA256.`,
    );
  }
  if (!anySignatureMatches(keys, (key) => adyenHmac(key, item), [signature])) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      `The hmacSignature of Adyen notification item ${index} does not match. ${HINT}`,
    );
  }
}

/** A signed item's required text field, or `invalid_payload` naming it. */
function requiredField(item: Record<string, unknown>, field: string, index: number): string {
  const value = item[field];
  if (typeof value !== 'string' || value === '' || value.length > MAX_FIELD) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `Adyen notification item ${index} has no valid "${field}" (got ${describe(value)}).`,
    );
  }
  return value;
}

/** The event of one verified item. */
function eventOf(item: Record<string, unknown>, index: number, livemode: boolean): VerifiedEvent {
  const pspReference = requiredField(item, 'pspReference', index);
  const eventCode = requiredField(item, 'eventCode', index);
  const success = item.success;
  if (success !== 'true' && success !== 'false') {
    throw new SignatureVerificationError(
      'invalid_payload',
      `Adyen notification item ${index} has no "success" of "true" or "false" (got ${describe(success)}).`,
    );
  }
  const event: VerifiedEvent = {
    id: adyenEventId(pspReference, eventCode, success),
    type: eventCode,
    data: dataOf(item),
    payload: item,
    livemode,
    // The event stores its item alone; the request log keeps the whole body.
    payloadText: JSON.stringify(item),
  };
  const createdAt = isoDate(item.eventDate);
  if (createdAt !== undefined) event.createdAt = createdAt;
  return event;
}

/**
 * The id koa-payments stores for an Adyen notification item: `<pspReference>:<eventCode>:<success>`
 * (`7914073381342284:AUTHORISATION:true`). Adyen identifies a notification by its pspReference and
 * eventCode; `success` is part of it, so that a successful item that follows a failed one of the
 * same code is an event of its own.
 *
 * @example
 * adyenEventId('7914073381342284', 'AUTHORISATION', 'true'); // '7914073381342284:AUTHORISATION:true'
 */
export function adyenEventId(pspReference: string, eventCode: string, success: string): string {
  return `${pspReference}:${eventCode}:${success}`;
}

/** Builds the Adyen provider for one variant; validates its options. */
export function adyen(options: AdyenOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = hmacKeys(options.hmacKey, variant);
  const credentials = basicCredentials(options, variant);
  return {
    name: 'adyen',
    facts: adyenFacts,
    dataOf,
    successAnswer: ADYEN_SUCCESS_ANSWER,
    verify(request: WebhookRequest): VerifiedEvent[] {
      if (credentials !== undefined) checkBasicAuth(request, credentials);
      const body = parseJsonObject(request.rawBody, 'Adyen');
      const items = itemsOf(body);
      // Every signature first: one bad item refuses the request before anything is read.
      for (const [index, item] of items.entries()) checkItemSignature(item, index, keys);
      const live = body.live;
      if (live !== 'true' && live !== 'false' && typeof live !== 'boolean') {
        throw new SignatureVerificationError(
          'invalid_payload',
          `The Adyen notification has no "live" of "true" or "false" (got ${describe(live)}).`,
        );
      }
      const livemode = live === true || live === 'true';
      return items.map((item, index) => eventOf(item, index, livemode));
    },
  };
}
