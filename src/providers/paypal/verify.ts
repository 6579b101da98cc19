/**
 * PayPal: each transmission carries `paypal-transmission-id`, `-time`, `-sig`, `paypal-cert-url`
 * and `paypal-auth-algo` (`SHA256withRSA`). Two ways to check them:
 *
 * - `verification: 'certificate'` (default; PayPal's "self verification"): the RSA-SHA256
 *   signature of `<transmission id>|<time>|<webhook id>|<crc32 of the body>` (./scheme.ts) is
 *   checked with the certificate at `paypal-cert-url`, which must be on PayPal's host for the
 *   variant's `mode` (./certificates.ts), downloaded once and cached;
 * - `verification: 'api'`: PayPal checks it, `POST /v1/notifications/verify-webhook-signature`
 *   with an OAuth token of the REST app (`clientId`, `clientSecret`), per webhook.
 *
 * Then the transmission time is held to `tolerance`. The event id is PayPal's `id` (`WH-…`), the
 * type `event_type`, `signal.data` the `resource`.
 *
 * The PayPal environment is the variant's common `mode` option: `'live'` trusts PayPal's live
 * hosts, `'sandbox'` (or `'test'`) the sandbox's, `'any'` (the default) both, the event's
 * `livemode` then following the certificate's host. The `mode` also keeps receivers to that
 * environment's events, as for every provider (docs/configuration.md#mode).
 */
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { apiBaseOption, apiKeyOption } from '../shared/api-options.js';
import { logApiFailure } from '../shared/retrieve.js';
import {
  checkTimestamp,
  describe,
  header,
  parseJsonObject,
  secrets,
  tolerance,
} from '../shared/signature.js';
import type { Provider, ProviderContext, Secret, VerifiedEvent, WebhookRequest } from '../types.js';
import { PAYPAL_API_BASES, PayPalApi } from './api.js';
import { PayPalCertificates, type PayPalEnvironment, trustedCertUrl } from './certificates.js';
import { paypalDataOf, paypalEvent } from './events.js';
import { paypalFacts } from './facts.js';
import {
  PAYPAL_AUTH_ALGO,
  PAYPAL_HEADERS,
  paypalSignatureMatches,
  paypalSignedContent,
} from './scheme.js';

export type { PayPalEnvironment } from './certificates.js';
export { PAYPAL_DATA_PATH } from './events.js';

/** How a PayPal webhook's signature is checked. */
export type PayPalVerification = 'certificate' | 'api';

/** Options of a `provider: 'paypal'` variant. */
export interface PayPalOptions {
  /**
   * The id of the webhook (developer.paypal.com → Apps & Credentials → your app → Webhooks), part
   * of what PayPal signs. Several while moving between webhooks; any one verifies. The Webhooks
   * simulator's mock events are signed with the literal id `WEBHOOK_ID`.
   */
  webhookId: Secret;
  /**
   * `'certificate'`: the signature is checked here, with PayPal's certificate (one
   * download per certificate, cached). `'api'`: PayPal checks it through
   * `POST /v1/notifications/verify-webhook-signature`, one API call per webhook; needs `clientId`
   * and `clientSecret`. The simulator's mock events cannot be checked that way.
   * @default 'certificate'
   */
  verification?: PayPalVerification;
  /** The REST app's client id (for `verification: 'api'`). */
  clientId?: string;
  /** The REST app's secret (for `verification: 'api'`). Never logged. */
  clientSecret?: string;
  /**
   * PayPal's REST API base URL, for proxies and tests. Certificates on its origin (under
   * `/v1/notifications/certs/`) are trusted too.
   * @default 'https://api-m.paypal.com', or 'https://api-m.sandbox.paypal.com' with `mode: 'sandbox'`
   */
  apiBase?: string;
  /**
   * Seconds the transmission time may be away from now, either way; 0 disables.
   * @default 300
   */
  tolerance?: number;
}

/** The default tolerance on `paypal-transmission-time`, in seconds. */
export const PAYPAL_DEFAULT_TOLERANCE = 300;

/** PayPal's webhook ids are letters and digits (`WEBHOOK_ID` for mock events). */
const WEBHOOK_ID = /^[A-Za-z0-9_-]{1,50}$/;

/** What the client id and secret may hold: PayPal's are letters, digits, `-` and `_`. */
const CREDENTIAL = (what: string) =>
  ({ accept: /^[A-Za-z0-9_-]+$/, expected: `the REST app's ${what}`, refuse: [] }) as const;

const HINT =
  'Check that webhookId is the id of the webhook PayPal sent this to (Webhooks simulator mocks use ' +
  "'WEBHOOK_ID'), and that the raw request body reaches koa-payments: mount it before any body " +
  'parser, a re-serialised body never matches.';

function verificationOption(value: unknown, variant: string): PayPalVerification {
  const verification = value ?? 'certificate';
  if (verification !== 'certificate' && verification !== 'api') {
    throw new ConfigurationError(
      `variants.${variant}.verification`,
      `must be 'certificate' (the default) or 'api', got ${describe(value)}`,
      variant,
    );
  }
  return verification;
}

/** The signature headers of a request; throws `missing_signature` naming the absent ones. */
function transmissionHeaders(request: WebhookRequest) {
  const read = {
    transmissionId: header(request.headers, PAYPAL_HEADERS.transmissionId),
    transmissionTime: header(request.headers, PAYPAL_HEADERS.transmissionTime),
    transmissionSig: header(request.headers, PAYPAL_HEADERS.transmissionSig),
    certUrl: header(request.headers, PAYPAL_HEADERS.certUrl),
    authAlgo: header(request.headers, PAYPAL_HEADERS.authAlgo),
  };
  const missing = (Object.keys(read) as (keyof typeof read)[])
    .filter((key) => read[key] === undefined)
    .map((key) => PAYPAL_HEADERS[key]);
  if (missing.length > 0) {
    throw new SignatureVerificationError(
      'missing_signature',
      `No ${missing.join(', ')} header${missing.length === 1 ? '' : 's'} on the request: ` +
        'PayPal sends all five with every webhook.',
    );
  }
  return read as { [K in keyof typeof read]: string };
}

/** Builds the PayPal provider for one variant; validates its options. */
export function paypal(options: PayPalOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const webhookIds = secrets(options.webhookId, 'webhookId', variant);
  if (!webhookIds.every((id) => WEBHOOK_ID.test(id))) {
    throw new ConfigurationError(
      `variants.${variant}.webhookId`,
      "must be the webhook's id as the dashboard shows it (letters and digits), not the client id or secret",
      variant,
    );
  }
  const mode = context.mode ?? 'any';
  const environments: PayPalEnvironment[] =
    mode === 'live' ? ['live'] : mode === 'test' ? ['sandbox'] : ['live', 'sandbox'];
  const verification = verificationOption(options.verification, variant);
  const clientId = apiKeyOption(options.clientId, CREDENTIAL('client id'), variant, 'clientId');
  const clientSecret = apiKeyOption(
    options.clientSecret,
    CREDENTIAL('secret'),
    variant,
    'clientSecret',
  );
  if (verification === 'api' && (clientId === undefined || clientSecret === undefined)) {
    throw new ConfigurationError(
      `variants.${variant}.${clientId === undefined ? 'clientId' : 'clientSecret'}`,
      "is required with verification: 'api' (PayPal's verify-webhook-signature needs an OAuth token)",
      variant,
    );
  }
  if (verification === 'api' && mode === 'any' && options.apiBase === undefined) {
    throw new ConfigurationError(
      `variants.${variant}.mode`,
      "must be 'live' or 'sandbox' with verification: 'api' (the environment of the clientId)",
      variant,
    );
  }
  const apiBase = apiBaseOption(
    options.apiBase,
    PAYPAL_API_BASES[mode === 'test' ? 'sandbox' : 'live'],
    variant,
  );
  const ownApiBase = options.apiBase === undefined ? undefined : apiBase;
  const toleranceSeconds = tolerance(
    options.tolerance,
    PAYPAL_DEFAULT_TOLERANCE,
    'tolerance',
    variant,
  );
  const api = new PayPalApi({
    clientId,
    clientSecret,
    apiBase,
    http: context.http,
    logger: context.logger,
  });
  const certificates = new PayPalCertificates(api);

  /** Whether PayPal's signature matches under any webhook id, checked here or by PayPal. */
  async function signatureMatches(
    request: WebhookRequest,
    fields: ReturnType<typeof transmissionHeaders>,
    signature: Buffer,
    certUrl: URL,
  ): Promise<boolean> {
    if (verification === 'certificate') {
      const key = await certificates.key(certUrl, request.receivedAt);
      let matched = false;
      for (const webhookId of webhookIds) {
        const content = paypalSignedContent({ ...fields, webhookId }, request.rawBody);
        if (paypalSignatureMatches(content, signature, key)) matched = true;
      }
      return matched;
    }
    // PayPal is sent the event as received; a body that is not a JSON object is refused first.
    parseJsonObject(request.rawBody, 'PayPal');
    for (const webhookId of webhookIds) {
      const status = await api.verifyWebhookSignature(
        { ...fields, webhookId },
        request.rawBody.toString('utf8'),
      );
      if (status === 'SUCCESS') return true;
    }
    return false;
  }

  async function verifyPayPal(request: WebhookRequest): Promise<VerifiedEvent> {
    const fields = transmissionHeaders(request);
    if (fields.authAlgo !== PAYPAL_AUTH_ALGO) {
      throw new SignatureVerificationError(
        'malformed_signature',
        `The ${PAYPAL_HEADERS.authAlgo} header is not ${PAYPAL_AUTH_ALGO}, the only algorithm PayPal uses.`,
      );
    }
    const sentAt = Date.parse(fields.transmissionTime);
    if (Number.isNaN(sentAt)) {
      throw new SignatureVerificationError(
        'malformed_signature',
        `The ${PAYPAL_HEADERS.transmissionTime} header is not a date-time.`,
      );
    }
    if (!/^[A-Za-z0-9+/]{16,684}={0,2}$/.test(fields.transmissionSig)) {
      throw new SignatureVerificationError(
        'malformed_signature',
        `The ${PAYPAL_HEADERS.transmissionSig} header is not a base64 signature.`,
      );
    }
    const trusted = trustedCertUrl(fields.certUrl, environments, ownApiBase);
    let matched: boolean;
    try {
      const signature = Buffer.from(fields.transmissionSig, 'base64');
      matched = await signatureMatches(request, fields, signature, trusted.url);
    } catch (error) {
      logApiFailure(error, context, 'paypal');
      throw error;
    }
    if (!matched) {
      throw new SignatureVerificationError(
        'no_matching_signature',
        `The ${PAYPAL_HEADERS.transmissionSig} header does not match the payload. ${HINT}`,
      );
    }
    checkTimestamp(sentAt / 1000, request.receivedAt, toleranceSeconds, 'PayPal transmission');
    const livemode = trusted.livemode ?? (mode === 'any' ? undefined : mode === 'live');
    return paypalEvent(parseJsonObject(request.rawBody, 'PayPal'), livemode);
  }

  return {
    name: 'paypal',
    facts: paypalFacts,
    dataOf: paypalDataOf,
    verify: verifyPayPal,
  };
}
