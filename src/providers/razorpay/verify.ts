/**
 * Razorpay: `X-Razorpay-Signature: <hex>`, HMAC-SHA256 of the raw body keyed by the webhook secret
 * set in the Dashboard, as the razorpay SDK's `validateWebhookSignature` checks it. Razorpay signs
 * no timestamp, so there is no tolerance. The event id is derived from the signed body, never from
 * the unsigned `X-Razorpay-Event-Id` header: a captured request re-sent under another id header
 * is still the same event (see {@link deriveRazorpayEventId}).
 */
import { createHash } from 'node:crypto';
import { SignatureVerificationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import {
  anySignatureMatches,
  header,
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
import { razorpayFacts } from './facts.js';
import { RAZORPAY_SIGNATURE_HEADER, razorpaySignature } from './scheme.js';

/** Options of a `provider: 'razorpay'` variant. */
export interface RazorpayOptions {
  /**
   * The secret you typed when creating the webhook (Dashboard → Account & Settings → Webhooks),
   * not the API key secret; or several while changing it.
   */
  webhookSecret: SecretOption;
}

/** Where `signal.data` sits in a Razorpay event: `payload`. */
export const RAZORPAY_DATA_PATH = ['payload'] as const;

const dataOf = dataAt(RAZORPAY_DATA_PATH);

/** The header Razorpay puts its event id in. It is not signed, so it names nothing here. */
export const RAZORPAY_EVENT_ID_HEADER = 'x-razorpay-event-id';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

const HINT =
  'Are you passing the raw request body you received from Razorpay? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that webhookSecret is the ' +
  'secret entered for this webhook in the Dashboard, not the API key secret.';

/**
 * The id koa-payments stores for a Razorpay event: a hash of the signed fields that identify it
 * (account, event name, creation second and the ids of the entities it carries), so a redelivery
 * of the same body gets the same id however the unsigned headers change. Returns undefined when
 * `created_at` is missing, since the event name alone would merge distinct events.
 */
export function deriveRazorpayEventId(payload: Record<string, unknown>): string | undefined {
  const createdAt = payload.created_at;
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return undefined;
  const entities: string[] = [];
  const contents = payload.payload;
  if (contents !== null && typeof contents === 'object' && !Array.isArray(contents)) {
    for (const [name, value] of Object.entries(contents as Record<string, unknown>)) {
      const id = (value as { entity?: { id?: unknown } } | null)?.entity?.id;
      if (typeof id === 'string' || typeof id === 'number') entities.push(`${name}=${id}`);
    }
  }
  entities.sort();
  const account = typeof payload.account_id === 'string' ? payload.account_id : '';
  const canonical = JSON.stringify([account, payload.event, createdAt, entities]);
  return `derived_${createHash('sha256').update(canonical).digest('hex').slice(0, 40)}`;
}

/** Builds the Razorpay provider for one variant; validates its options. */
export function razorpay(options: RazorpayOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.webhookSecret, 'webhookSecret', variant);
  refuseLookalike(
    keys,
    /^rzp_(test|live)_/,
    'webhookSecret',
    variant,
    'looks like an API key id; use the secret entered when creating the webhook in the Dashboard',
  );
  return {
    name: 'razorpay',
    facts: razorpayFacts,
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      const signature = header(request.headers, RAZORPAY_SIGNATURE_HEADER);
      if (signature === undefined) {
        throw new SignatureVerificationError(
          'missing_signature',
          `No X-Razorpay-Signature header found on the request. ${HINT}`,
        );
      }
      if (!HEX_SHA256.test(signature)) {
        throw new SignatureVerificationError(
          'malformed_signature',
          'The X-Razorpay-Signature header is not a hex HMAC-SHA256 (64 hex characters).',
        );
      }
      const sign = (key: string) => razorpaySignature(request.rawBody, key);
      if (!anySignatureMatches(keys, sign, [signature.toLowerCase()])) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `The X-Razorpay-Signature header does not match the payload. ${HINT}`,
        );
      }
      const payload = parseJsonObject(request.rawBody, 'Razorpay');
      const type = requireString(payload, 'event', 'Razorpay');
      const id = eventIdOf(payload);
      const event: VerifiedEvent = { id, type, data: dataOf(payload), payload };
      if (typeof payload.created_at === 'number' && Number.isFinite(payload.created_at)) {
        event.createdAt = new Date(payload.created_at * 1000);
      }
      return event;
    },
  };
}

function eventIdOf(payload: Record<string, unknown>): string {
  const derived = deriveRazorpayEventId(payload);
  if (derived === undefined) {
    throw new SignatureVerificationError(
      'invalid_payload',
      'The Razorpay payload has no numeric "created_at" to derive a stable event id from.',
    );
  }
  return derived;
}
