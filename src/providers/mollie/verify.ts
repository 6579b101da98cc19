/**
 * Mollie. A classic webhook (a payment's `webhookUrl`) posts `id=tr_…` and nothing else: no
 * signature, no status. It is verified the only way Mollie allows, by fetching the payment with
 * the API key (`GET /v2/payments/:id`); that copy is what is stored and what receivers get, and
 * its status names the event (./events.ts). A forged call costs one API call at most, and never
 * stores anything Mollie does not confirm: the body is bounded (1 KB) and the id's form checked
 * before the call. A next-gen webhook (with `signingSecret`) is a JSON event signed in
 * `X-Mollie-Signature` (./scheme.ts), verified without an API call.
 */
import { SignatureVerificationError } from '../../errors.js';
import {
  type ApiKeyRule,
  apiBaseOption,
  apiKeyOption,
  requireKeyForRetrieve,
  retrieveOnlyOption,
} from '../shared/api-options.js';
import { isRecord } from '../shared/data-path.js';
import { logApiFailure } from '../shared/retrieve.js';
import {
  anySignatureMatches,
  header,
  isoDate,
  parseJsonObject,
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
import { MOLLIE_API_BASE, MollieApi } from './api.js';
import { molliePaymentEvent } from './events.js';
import { mollieFacts } from './facts.js';
import {
  MOLLIE_ID_FIELD,
  MOLLIE_PAYMENT_ID,
  MOLLIE_SIGNATURE_HEADER,
  mollieSignature,
} from './scheme.js';

/** Options of a `provider: 'mollie'` variant. */
export interface MollieOptions {
  /**
   * The API key of the website profile the payments belong to (Dashboard → Developers → API keys):
   * `live_…`, or `test_…` for test payments. Every classic webhook is verified by fetching its
   * payment with it, so it needs read access to payments. Required.
   */
  apiKey: string;
  /**
   * The Mollie API's base URL, for proxies and tests.
   * @default 'https://api.mollie.com'
   */
  apiBase?: string;
  /**
   * Only `'retrieve'` (the default): a classic webhook carries no signature, so every one is
   * verified by fetching its payment. Any other value is a `ConfigurationError`.
   * @default 'retrieve'
   */
  validation?: 'retrieve';
  /**
   * The signing secret of a next-gen webhook (Dashboard → Developers → Webhooks, or the Webhooks
   * API), or several while rotating: requests with an `X-Mollie-Signature` header are checked
   * with it. Without it such requests are refused, and only classic webhooks are accepted.
   */
  signingSecret?: SecretOption;
}

/** The largest classic webhook body accepted (Mollie sends `id=tr_…`, about 30 bytes). */
export const MOLLIE_CLASSIC_BODY_LIMIT = 1024;

const API_KEY: ApiKeyRule = {
  accept: /^(live|test)_[A-Za-z0-9]{20,}$/,
  expected: 'an API key (live_... or test_...)',
  refuse: [
    [/^pfl_/, 'is a profile id, not an API key'],
    [
      /^access_/,
      'is an organization access token, which needs testmode and profileId parameters this provider does not send',
    ],
    [/^(ord|tr|cst)_/, 'is a Mollie object id, not an API key'],
  ],
};

const HINT =
  "Mollie posts the form id=tr_... to a payment's webhookUrl: pass the raw request body, " +
  'mounting koa-payments before any body parser.';

/** The payment id of a classic webhook's body, checked for its form; `invalid_payload` if not. */
export function classicPaymentId(rawBody: Buffer): string {
  if (rawBody.length > MOLLIE_CLASSIC_BODY_LIMIT) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `A Mollie classic webhook is the form id=tr_...; this body is over ${MOLLIE_CLASSIC_BODY_LIMIT} bytes.`,
    );
  }
  const ids = new URLSearchParams(rawBody.toString('utf8')).getAll(MOLLIE_ID_FIELD);
  if (ids.length !== 1) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The Mollie webhook body has ${ids.length === 0 ? 'no' : ids.length} id field${ids.length > 1 ? 's' : ''}. ${HINT}`,
    );
  }
  const id = ids[0] as string;
  if (!MOLLIE_PAYMENT_ID.test(id)) {
    throw new SignatureVerificationError(
      'invalid_payload',
      'The Mollie webhook id is not a payment id (tr_ and up to 64 letters and digits); koa-payments handles payment webhooks.',
    );
  }
  return id;
}

/** The `sha256=<hex>` values of an `X-Mollie-Signature` header (twice while rotating). */
function signaturesOf(value: string): string[] {
  const values = value.split(',').map((part) => part.trim().toLowerCase());
  if (!values.every((part) => /^sha256=[0-9a-f]{64}$/.test(part))) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `The ${MOLLIE_SIGNATURE_HEADER} header is not sha256= and an HMAC-SHA256 in hex.`,
    );
  }
  return values;
}

/**
 * A verified next-gen event: its entity (`_embedded.entity`, with the full payload) is stored and
 * is `signal.data`; without one (the simple payload), the event itself. A payment event is named
 * as the classic webhook of the same change is (`payment.paid`, id `tr_…:paid`), so that both
 * forms of one change are one event; others keep Mollie's event id.
 */
function nextGenEvent(payload: Record<string, unknown>): VerifiedEvent {
  const type = requireString(payload, 'type', 'Mollie');
  const eventId = requireString(payload, 'id', 'Mollie');
  const entityId = payload.entityId;
  const embedded = isRecord(payload._embedded) ? payload._embedded.entity : undefined;
  const entity = isRecord(embedded) ? embedded : undefined;
  const status = type.startsWith('payment.') ? type.slice('payment.'.length) : undefined;
  const id =
    status !== undefined && typeof entityId === 'string' && MOLLIE_PAYMENT_ID.test(entityId)
      ? `${entityId}:${status}`
      : eventId;
  const event: VerifiedEvent = { id, type, data: entity ?? payload, payload: entity ?? payload };
  if (entity !== undefined) event.payloadText = JSON.stringify(entity);
  const mode = entity?.mode;
  if (mode === 'live' || mode === 'test') event.livemode = mode === 'live';
  const createdAt = isoDate(payload.createdAt);
  if (createdAt !== undefined) event.createdAt = createdAt;
  return event;
}

/** Builds the Mollie provider for one variant; validates its options. */
export function mollie(options: MollieOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const validation = retrieveOnlyOption(options.validation, variant, 'mollie');
  const apiKey = apiKeyOption(options.apiKey, API_KEY, variant);
  requireKeyForRetrieve(validation, apiKey, variant);
  const keys =
    options.signingSecret === undefined
      ? undefined
      : secrets(options.signingSecret, 'signingSecret', variant);
  const api = new MollieApi({
    apiKey: apiKey as string,
    apiBase: apiBaseOption(options.apiBase, MOLLIE_API_BASE, variant),
    http: context.http,
    logger: context.logger,
  });

  async function verifyClassic(request: WebhookRequest): Promise<VerifiedEvent> {
    const id = classicPaymentId(request.rawBody);
    try {
      return molliePaymentEvent(await api.getPayment(id));
    } catch (error) {
      logApiFailure(error, context, 'mollie', id);
      throw error;
    }
  }

  function verifyNextGen(request: WebhookRequest, signature: string): VerifiedEvent {
    if (keys === undefined) {
      throw new SignatureVerificationError(
        'no_matching_signature',
        `This is a signed next-gen Mollie webhook (${MOLLIE_SIGNATURE_HEADER}), and variant "${variant}" has no signingSecret to check it with.`,
      );
    }
    const received = signaturesOf(signature);
    const sign = (key: string) => mollieSignature(request.rawBody, key);
    if (!anySignatureMatches(keys, sign, received)) {
      throw new SignatureVerificationError(
        'no_matching_signature',
        `The ${MOLLIE_SIGNATURE_HEADER} header does not match the body. Pass the raw request body, and check that signingSecret is the secret of this webhook.`,
      );
    }
    return nextGenEvent(parseJsonObject(request.rawBody, 'Mollie'));
  }

  const provider: Provider = {
    name: 'mollie',
    facts: mollieFacts,
    dataOf: (payload) => payload,
    api,
    async verify(request) {
      const signature = header(request.headers, MOLLIE_SIGNATURE_HEADER);
      return signature === undefined ? verifyClassic(request) : verifyNextGen(request, signature);
    },
  };
  // Classic webhooks only: nothing larger than their form is read.
  return keys === undefined ? { ...provider, bodyLimit: MOLLIE_CLASSIC_BODY_LIMIT } : provider;
}
