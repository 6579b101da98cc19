/**
 * Braintree: a form-encoded POST (`bt_signature`, `bt_payload`) whose payload is base64 XML,
 * signed with the API key pair (see ./scheme.ts). Verified before anything is parsed; then the
 * `<notification>` is read into a plain object (./xml.ts), its `kind` is the event type, and its
 * signed `timestamp` is checked against a tolerance wide enough for Braintree's retries, which
 * resend the same notification for up to 24 hours.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { dataAt, isRecord } from '../shared/data-path.js';
import { idOf } from '../shared/facts.js';
import { checkTimestamp, describe, isoDate, secrets, tolerance } from '../shared/signature.js';
import type { Provider, ProviderContext, Secret, VerifiedEvent, WebhookRequest } from '../types.js';
import { braintreeFacts, subjectOf } from './facts.js';
import {
  BRAINTREE_PAYLOAD_FIELD,
  BRAINTREE_SIGNATURE_FIELD,
  braintreeSignatureMatches,
  signatureFor,
} from './scheme.js';
import { parseNotificationXml } from './xml.js';

/** Options of a `provider: 'braintree'` variant. */
export interface BraintreeOptions {
  /**
   * The public key of an API key pair (Control Panel → Settings → API → API Keys); or several
   * while rotating, in the same order as `privateKey`. Not a secret, but it picks the signature:
   * `bt_signature` carries one `publicKey|hmac` pair per key.
   */
  publicKey: string | readonly string[];
  /** The private key of the same pair (View, beside it); or several, one per `publicKey`. */
  privateKey: Secret;
  /**
   * Seconds a notification's signed `timestamp` may lie from its arrival, in either direction.
   * Braintree resends an unanswered notification, unchanged, every hour for up to 24 hours, so
   * the default leaves room for that and for delays. `0` turns the check off.
   * @default 259200 (72 hours)
   */
  tolerance?: number;
}

/** Where `signal.data` sits in a stored Braintree notification: its `subject`. */
export const BRAINTREE_DATA_PATH = ['subject'] as const;

/** The default tolerance, in seconds: three days, over Braintree's 24 hours of retries. */
export const BRAINTREE_DEFAULT_TOLERANCE = 72 * 60 * 60;

const dataOf = dataAt(BRAINTREE_DATA_PATH);

/** What `bt_payload` may hold, as the SDK checks it: base64 with line breaks. */
const BASE64_LINES = /^[A-Za-z0-9+=/\n]*$/;
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;
/** A derived id longer than this is hashed, to fit the `event_id` column with room to spare. */
const MAX_READABLE_ID = 200;

const HINT =
  'Braintree posts a form (application/x-www-form-urlencoded) with bt_signature and bt_payload: ' +
  'pass the raw request body, mounting koa-payments before any body parser. Also check that ' +
  'publicKey and privateKey are one API key pair of the environment (sandbox or production) ' +
  'the webhook is set up in.';

/**
 * The id koa-payments stores for a Braintree notification, which carries none:
 * `<kind>:<subject id>:<timestamp>` (`transaction_settled:7m2cxp8k:2025-03-01T10:15:00Z`), or
 * `<kind>:<timestamp>` for a subject without an id (`check`). A redelivery is the same signed
 * notification, so it gets the same id. An id over 200 characters is hashed instead.
 */
export function braintreeEventId(kind: string, timestamp: string, subjectId?: string): string {
  const readable = [kind, subjectId, timestamp].filter((part) => part !== undefined).join(':');
  if (readable.length <= MAX_READABLE_ID) return readable;
  return `${kind.slice(0, 60)}:${createHash('sha256').update(readable).digest('hex')}`;
}

/** The form field `name`: its one value, undefined when absent; a repeated field is refused. */
function field(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `The Braintree form has ${name} ${values.length} times.`,
    );
  }
  return values[0];
}

/** The key pairs of a variant, public key → private key, validated. */
function keyPairs(options: BraintreeOptions, variant: string): [string, string][] {
  const privateKeys = secrets(options.privateKey, 'privateKey', variant);
  const publicKeys = secrets(options.publicKey as Secret, 'publicKey', variant);
  const path = `variants.${variant}.publicKey`;
  if ((typeof options.publicKey === 'string') !== (typeof options.privateKey === 'string')) {
    throw new ConfigurationError(
      path,
      'and privateKey must both be strings, or both arrays (one private key per public key)',
      variant,
    );
  }
  if (publicKeys.length !== privateKeys.length) {
    throw new ConfigurationError(
      path,
      `has ${publicKeys.length} keys and privateKey ${privateKeys.length}: give one private key per public key, in the same order`,
      variant,
    );
  }
  const pairs = publicKeys.map(
    (key, index) => [key, privateKeys[index] as string] as [string, string],
  );
  for (const [publicKey, privateKey] of pairs) {
    if (publicKey === privateKey) {
      throw new ConfigurationError(
        `variants.${variant}.privateKey`,
        'is the same as publicKey: copy the private key (View, beside the public key, in the Control Panel)',
        variant,
      );
    }
    if (/[|&]/.test(publicKey)) {
      throw new ConfigurationError(
        path,
        'cannot contain "|" or "&"; copy the public key again',
        variant,
      );
    }
  }
  return pairs;
}

/** Checks `bt_signature` against each key pair; throws unless one signs `payload`. */
function checkSignature(pairs: readonly [string, string][], signature: string, payload: string) {
  let found = false;
  let matched = false;
  for (const [publicKey, privateKey] of pairs) {
    const received = signatureFor(signature, publicKey);
    if (received === undefined) continue;
    if (!HEX_SHA1.test(received)) {
      throw new SignatureVerificationError(
        'malformed_signature',
        'The bt_signature pair for this publicKey is not a hex HMAC-SHA1 (40 hex characters).',
      );
    }
    found = true;
    if (braintreeSignatureMatches(received.toLowerCase(), privateKey, payload)) matched = true;
  }
  if (!found && !signature.includes('|')) {
    throw new SignatureVerificationError(
      'malformed_signature',
      'bt_signature holds no "publicKey|signature" pair.',
    );
  }
  if (!found) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      `bt_signature has no signature for this variant's publicKey. ${HINT}`,
    );
  }
  if (!matched) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      `bt_signature does not match bt_payload. ${HINT}`,
    );
  }
}

/** The notification in a verified `bt_payload`, or `invalid_payload`. */
function notificationOf(payload: string): Record<string, unknown> {
  if (!BASE64_LINES.test(payload)) {
    throw new SignatureVerificationError(
      'invalid_payload',
      'bt_payload holds characters other than base64 and line breaks.',
    );
  }
  return parseNotificationXml(Buffer.from(payload, 'base64').toString('utf8'));
}

/** Builds the Braintree provider for one variant; validates its options. */
export function braintree(options: BraintreeOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const pairs = keyPairs(options, variant);
  const toleranceSeconds = tolerance(
    options.tolerance,
    BRAINTREE_DEFAULT_TOLERANCE,
    'tolerance',
    variant,
  );
  return {
    name: 'braintree',
    facts: braintreeFacts,
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      // Braintree's fields are ASCII; a form is decoded whatever the content type says.
      const form = new URLSearchParams(request.rawBody.toString('utf8'));
      const signature = field(form, BRAINTREE_SIGNATURE_FIELD)?.trim();
      if (signature === undefined || signature === '') {
        throw new SignatureVerificationError(
          'missing_signature',
          `No bt_signature field found in the request body. ${HINT}`,
        );
      }
      const payload = field(form, BRAINTREE_PAYLOAD_FIELD);
      if (payload === undefined || payload === '') {
        throw new SignatureVerificationError(
          'invalid_payload',
          'No bt_payload field found in the request body.',
        );
      }
      checkSignature(pairs, signature, payload);
      const notification = notificationOf(payload);
      const kind = notification.kind;
      if (typeof kind !== 'string' || kind === '') {
        throw new SignatureVerificationError(
          'invalid_payload',
          'The Braintree notification has no <kind>.',
        );
      }
      const timestamp = notification.timestamp;
      const createdAt = isoDate(timestamp);
      if (typeof timestamp !== 'string' || createdAt === undefined) {
        throw new SignatureVerificationError(
          'invalid_payload',
          `The Braintree notification has no valid <timestamp> (got ${describe(timestamp)}).`,
        );
      }
      checkTimestamp(
        createdAt.getTime() / 1000,
        request.receivedAt,
        toleranceSeconds,
        'Braintree notification',
      );
      const subject = subjectOf(notification);
      const subjectId = isRecord(subject?.value) ? subject.value.id : undefined;
      const id = braintreeEventId(kind, timestamp, idOf(subjectId));
      return {
        id,
        type: kind,
        data: dataOf(notification),
        payload: notification,
        createdAt,
        // The body is a form; the event stores the notification it carries, as JSON.
        payloadText: JSON.stringify(notification),
      };
    },
  };
}
