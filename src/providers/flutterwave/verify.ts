/**
 * Flutterwave, in either of its two forms:
 *
 * - `flutterwave-signature`: the HMAC-SHA256, in base64, of the raw body keyed by the secret hash
 *   set on the dashboard (the current form);
 * - `verif-hash`: the secret hash itself (the v3 form), compared in constant time.
 *
 * Flutterwave signs no timestamp. The type is the body's `event` (v3) or `type` (v4); the id is
 * derived from `data.id` and the type (see {@link flutterwaveEventId}). With `validation:
 * 'retrieve'` a v3 `charge.completed` is then verified through the API (./api.ts) and that copy
 * is stored.
 */
import { SignatureVerificationError } from '../../errors.js';
import {
  apiBaseOption,
  apiKeyOption,
  requireKeyForRetrieve,
  type Validation,
  validationOption,
} from '../shared/api-options.js';
import { dataAt } from '../shared/data-path.js';
import { withValidation } from '../shared/retrieve.js';
import { header, parseJsonObject, safeEqual, secrets } from '../shared/signature.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { FLUTTERWAVE_API_BASE, FlutterwaveApi } from './api.js';
import { FLUTTERWAVE_DATA_PATH, flutterwaveEventId } from './events.js';
import { flutterwaveFacts } from './facts.js';
import {
  FLUTTERWAVE_SIGNATURE_HEADER,
  FLUTTERWAVE_V3_HEADER,
  flutterwaveSignature,
} from './scheme.js';

export { FLUTTERWAVE_DATA_PATH, flutterwaveEventId } from './events.js';

/** Options of a `provider: 'flutterwave'` variant. */
export interface FlutterwaveOptions {
  /**
   * The secret hash you chose under Settings → Webhooks on the Flutterwave dashboard (not an API
   * key). Several while changing it; any one verifies.
   */
  secretHash: SecretOption;
  /**
   * The secret key (`FLWSECK-...`, `FLWSECK_TEST-...`, from Settings → API keys): lets the library
   * call the v3 API (`validation: 'retrieve'`). Not the public key, not the encryption key.
   */
  apiKey?: string;
  /**
   * The Flutterwave API's base URL, for proxies and tests.
   * @default 'https://api.flutterwave.com'
   */
  apiBase?: string;
  /**
   * `'signature'`: the signed body is stored. `'retrieve'`: a v3 `charge.completed` is
   * then verified with `GET /v3/transactions/:id/verify` and that copy is stored; one API call per
   * such webhook. Needs `apiKey`.
   * @default 'signature'
   */
  validation?: Validation;
}

/** What `apiKey` accepts, and the keys pasted there by mistake. */
const FLUTTERWAVE_API_KEY = {
  accept: /^FLWSECK(_TEST)?-[A-Za-z0-9]+-X$/,
  expected: 'the secret key (FLWSECK-...-X or FLWSECK_TEST-...-X)',
  refuse: [
    [/^FLWPUBK/, 'is the public key'],
    [/^FLWSECK(_TEST)?[0-9a-f]{12}$/, 'looks like the encryption key'],
  ],
} as const;

const RAW_BODY_HINT =
  'Are you passing the raw request body you received from Flutterwave? Mount koa-payments before ' +
  'any body parser: a re-serialised JSON body never matches.';
const SECRET_HASH_HINT =
  'Check that secretHash is the secret hash set under Settings → Webhooks on the dashboard, ' +
  'not an API key.';

/** Whether a `flutterwave-signature` value can be a base64 HMAC-SHA256 (32 bytes). */
function isBase64Sha256(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value);
}

/** Builds the Flutterwave provider for one variant; validates its options. */
export function flutterwave(options: FlutterwaveOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const hashes = secrets(options.secretHash, 'secretHash', variant);
  const validation = validationOption(options.validation, variant);
  const apiKey = apiKeyOption(options.apiKey, FLUTTERWAVE_API_KEY, variant);
  requireKeyForRetrieve(validation, apiKey, variant);
  const apiBase = apiBaseOption(options.apiBase, FLUTTERWAVE_API_BASE, variant);
  const api =
    apiKey === undefined
      ? undefined
      : new FlutterwaveApi({ apiKey, apiBase, http: context.http, logger: context.logger });

  function verifySignature(request: WebhookRequest): VerifiedEvent {
    const signature = header(request.headers, FLUTTERWAVE_SIGNATURE_HEADER);
    const verifHash = header(request.headers, FLUTTERWAVE_V3_HEADER);
    if (signature === undefined && verifHash === undefined) {
      throw new SignatureVerificationError(
        'missing_signature',
        `No ${FLUTTERWAVE_SIGNATURE_HEADER} or ${FLUTTERWAVE_V3_HEADER} header found on the request. Set a secret hash ` +
          'under Settings → Webhooks on the Flutterwave dashboard: without one, Flutterwave signs nothing.',
      );
    }
    if (signature !== undefined && !isBase64Sha256(signature) && verifHash === undefined) {
      throw new SignatureVerificationError(
        'malformed_signature',
        `The ${FLUTTERWAVE_SIGNATURE_HEADER} header is not an HMAC-SHA256 in base64 (44 characters).`,
      );
    }
    let matched = false;
    // Check every hash and both forms: no early exit that would reveal which one matched.
    for (const secretHash of hashes) {
      if (signature !== undefined) {
        const expected = flutterwaveSignature(request.rawBody, secretHash);
        if (safeEqual(expected, signature)) matched = true;
      }
      if (verifHash !== undefined && safeEqual(secretHash, verifHash)) matched = true;
    }
    if (!matched) {
      throw new SignatureVerificationError(
        'no_matching_signature',
        signature === undefined
          ? `The ${FLUTTERWAVE_V3_HEADER} header does not match. ${SECRET_HASH_HINT}`
          : `The ${FLUTTERWAVE_SIGNATURE_HEADER} header does not match the payload. ${RAW_BODY_HINT} ${SECRET_HASH_HINT}`,
      );
    }
    const payload = parseJsonObject(request.rawBody, 'Flutterwave');
    const type = [payload.event, payload.type].find(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (type === undefined) {
      throw new SignatureVerificationError(
        'invalid_payload',
        'The Flutterwave payload has no "event" (v3) or "type" (v4) string.',
      );
    }
    const data = payload.data;
    if (data === null || typeof data !== 'object') {
      throw new SignatureVerificationError(
        'invalid_payload',
        'The Flutterwave payload has no "data" object.',
      );
    }
    const event: VerifiedEvent = { id: flutterwaveEventId(type, data), type, data, payload };
    // v4 bodies carry the event time, in milliseconds (seconds accepted too).
    const { timestamp } = payload;
    if (typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0) {
      event.createdAt = new Date(timestamp < 1e11 ? timestamp * 1000 : timestamp);
    }
    return event;
  }

  return {
    name: 'flutterwave',
    facts: flutterwaveFacts,
    // verif-hash carries the secret hash itself: never log or store it.
    secretHeaders: [FLUTTERWAVE_V3_HEADER],
    dataOf: dataAt(FLUTTERWAVE_DATA_PATH),
    verify: withValidation(verifySignature, validation, api, context, 'flutterwave'),
    ...(api === undefined ? {} : { api }),
  };
}
