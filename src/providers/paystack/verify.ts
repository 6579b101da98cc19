/**
 * Paystack: `x-paystack-signature` is the HMAC-SHA512, in hex, of the raw body keyed by the
 * integration's secret key. Paystack signs no timestamp and sends no event id, so the id is
 * derived from the payload (see {@link paystackEventId}). An optional allow-list refuses requests
 * from other addresses than Paystack's published ones. With `validation: 'retrieve'` a
 * `charge.success` is then verified through the API (./api.ts) and that copy is stored.
 */
import { BlockList, isIP } from 'node:net';
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import { forwardedIp, normalizeIp } from '../../http/remote-ip.js';
import { apiBaseOption, type Validation, validationOption } from '../shared/api-options.js';
import { dataAt } from '../shared/data-path.js';
import { withValidation } from '../shared/retrieve.js';
import {
  anySignatureMatches,
  describe,
  header,
  parseJsonObject,
  refuseLookalike,
  requireString,
  secrets,
} from '../shared/signature.js';
import type { Provider, ProviderContext, Secret, VerifiedEvent, WebhookRequest } from '../types.js';
import { PAYSTACK_API_BASE, PaystackApi } from './api.js';
import { PAYSTACK_DATA_PATH, paystackEventId } from './events.js';
import { paystackFacts } from './facts.js';
import { PAYSTACK_SIGNATURE_HEADER, paystackSignature } from './scheme.js';

export { PAYSTACK_DATA_PATH, paystackEventId } from './events.js';

/** Options of a `provider: 'paystack'` variant. */
export interface PaystackOptions {
  /**
   * The secret key of the integration (`sk_live_...` or `sk_test_...`): Paystack signs webhooks
   * with it. Several while rolling it; any one verifies.
   */
  secretKey: Secret;
  /**
   * Refuse requests from any other address: `true` for Paystack's published addresses
   * ({@link PAYSTACK_IPS}), or your own list. `false`: the signature alone decides.
   * @default false
   */
  allowedIps?: readonly string[] | boolean;
  /**
   * Check the first address of `X-Forwarded-For` against `allowedIps`, read as the top-level
   * `trustProxy: true` reads it, when the top-level `trustProxy` is off. Only matters with
   * `allowedIps`. Ignored when the top-level one is set (`true` or a hop count): that one decides,
   * so a hop count is never undone by this alias. Boolean only.
   * @default false
   * @deprecated Set the top-level `trustProxy` instead (a hop count behind appending proxies):
   * one setting for the request log and the allow-list. A warning is logged at start-up.
   */
  trustProxy?: boolean;
  /**
   * The Paystack API's base URL, for proxies and tests.
   * @default 'https://api.paystack.co'
   */
  apiBase?: string;
  /**
   * `'signature'`: the signed body is stored. `'retrieve'`: a `charge.success` is then
   * verified with `GET /transaction/verify/:reference` and that copy is stored; one API call per
   * such webhook. The secret key (the first one, while rotating) is the API key.
   * @default 'signature'
   */
  validation?: Validation;
}

/** The addresses Paystack sends webhooks from, as published in its webhook docs. */
export const PAYSTACK_IPS: readonly string[] = Object.freeze([
  '52.31.139.75',
  '52.49.173.169',
  '52.214.14.220',
]);

const RAW_BODY_HINT =
  'Are you passing the raw request body you received from Paystack? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that secretKey is the secret ' +
  'key (sk_live_... or sk_test_...) of the same mode as the webhook URL set on the dashboard.';

/**
 * The client address: `request.remoteIp` (the middleware's, under the top-level `trustProxy`),
 * or with the variant's own `trustProxy` the first forwarded one, parsed by the same rules. The
 * socket address is normalised again for callers of `verify()` that set it themselves.
 */
function clientIp(request: WebhookRequest, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? forwardedIp(request.headers, true) : undefined;
  if (forwarded !== undefined) return forwarded;
  return request.remoteIp === undefined ? undefined : normalizeIp(request.remoteIp);
}

/** Validates `allowedIps`; returns the allow-list, or undefined when the check is off. */
function allowList(value: unknown, variant: string): BlockList | undefined {
  if (value === undefined || value === false) return undefined;
  const path = `variants.${variant}.allowedIps`;
  let list: readonly unknown[];
  if (value === true) list = PAYSTACK_IPS;
  else if (Array.isArray(value)) list = value;
  else {
    throw new ConfigurationError(
      path,
      `must be true (Paystack's published addresses), false, or an array of IP addresses, got ${describe(value)}`,
      variant,
    );
  }
  if (list.length === 0) {
    throw new ConfigurationError(
      path,
      'is an empty list, which would refuse every webhook; use false to turn the check off',
      variant,
    );
  }
  const allowed = new BlockList();
  list.forEach((entry, index) => {
    // A configured entry must be a bare address: no port or brackets, unlike a forwarded one.
    const ip =
      typeof entry === 'string' && isIP(entry.trim()) !== 0 ? normalizeIp(entry) : undefined;
    const family = ip === undefined ? 0 : isIP(ip);
    if (ip === undefined || family === 0) {
      throw new ConfigurationError(
        path,
        `entry ${index} is not an IP address (a single IPv4 or IPv6 address, no range)`,
        variant,
      );
    }
    allowed.addAddress(ip, family === 6 ? 'ipv6' : 'ipv4');
  });
  return allowed;
}

function checkIp(request: WebhookRequest, allowed: BlockList, trustProxy: boolean): void {
  const ip = clientIp(request, trustProxy);
  const family = ip === undefined ? 0 : isIP(ip);
  if (ip === undefined || family === 0 || !allowed.check(ip, family === 6 ? 'ipv6' : 'ipv4')) {
    throw new SignatureVerificationError(
      'ip_not_allowed',
      'The request does not come from an address in allowedIps. If the app runs behind a reverse ' +
        'proxy or load balancer, set the top-level trustProxy to the number of proxies that append ' +
        'to X-Forwarded-For (true if the one proxy replaces that header) so that the header is read.',
    );
  }
}

/** Builds the Paystack provider for one variant; validates its options. */
export function paystack(options: PaystackOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.secretKey, 'secretKey', variant);
  refuseLookalike(
    keys,
    /^pk_(test|live)_/,
    'secretKey',
    variant,
    'looks like a public key; Paystack signs webhooks with the secret key (sk_live_... or sk_test_...)',
  );
  const trustProxy = options.trustProxy ?? false;
  if (typeof trustProxy !== 'boolean') {
    throw new ConfigurationError(
      `variants.${variant}.trustProxy`,
      `must be a boolean, got ${describe(trustProxy)}`,
      variant,
    );
  }
  // Under a top-level trustProxy, request.remoteIp already is the forwarded address; the alias
  // reading the first entry would undo a hop count (that entry is the client's to write).
  const topLevel = context.trustProxy ?? false;
  if (options.trustProxy !== undefined) {
    // false is the default: it changes nothing, and the top-level setting is not its stand-in.
    context.logger?.warn(
      { variant },
      `koa-payments: variants.${variant}.trustProxy is deprecated; ` +
        (trustProxy === false
          ? 'false is the default and changes nothing: remove it (behind a proxy, the top-level ' +
            'trustProxy gives allowedIps and the request log the client address).'
          : 'set the top-level trustProxy instead (a hop count behind proxies that append to ' +
            'X-Forwarded-For); it also gives the request log the client address.' +
            (topLevel !== false
              ? ' Ignored here: the top-level trustProxy is set and decides.'
              : ' It reads the first X-Forwarded-For address, which behind a proxy that ' +
                'appends to the header is whatever the client sent.')) +
        ' See docs/providers/paystack.md#behind-a-proxy.',
    );
  }
  const allowed = allowList(options.allowedIps, variant);
  const validation = validationOption(options.validation, variant);
  const api = new PaystackApi({
    // While rotating, the first key is the current one.
    secretKey: keys[0] as string,
    apiBase: apiBaseOption(options.apiBase, PAYSTACK_API_BASE, variant),
    http: context.http,
    logger: context.logger,
  });

  function verifySignature(request: WebhookRequest): VerifiedEvent {
    if (allowed !== undefined) checkIp(request, allowed, trustProxy && topLevel === false);
    const signature = header(request.headers, PAYSTACK_SIGNATURE_HEADER);
    if (signature === undefined) {
      throw new SignatureVerificationError(
        'missing_signature',
        `No ${PAYSTACK_SIGNATURE_HEADER} header found on the request. ${RAW_BODY_HINT}`,
      );
    }
    if (!/^[0-9a-f]{128}$/i.test(signature)) {
      throw new SignatureVerificationError(
        'malformed_signature',
        `The ${PAYSTACK_SIGNATURE_HEADER} header is not an HMAC-SHA512 in hex (128 hex digits).`,
      );
    }
    const sign = (key: string) => paystackSignature(request.rawBody, key);
    if (!anySignatureMatches(keys, sign, [signature.toLowerCase()])) {
      throw new SignatureVerificationError(
        'no_matching_signature',
        `The ${PAYSTACK_SIGNATURE_HEADER} header does not match the payload. ${RAW_BODY_HINT}`,
      );
    }
    const payload = parseJsonObject(request.rawBody, 'Paystack');
    const type = requireString(payload, 'event', 'Paystack');
    const data = payload.data;
    if (data === null || typeof data !== 'object') {
      throw new SignatureVerificationError(
        'invalid_payload',
        'The Paystack payload has no "data" object.',
      );
    }
    const event: VerifiedEvent = { id: paystackEventId(type, data), type, data, payload };
    const domain = (data as { domain?: unknown }).domain;
    if (domain === 'live' || domain === 'test') event.livemode = domain === 'live';
    return event;
  }

  return {
    name: 'paystack',
    facts: paystackFacts,
    dataOf: dataAt(PAYSTACK_DATA_PATH),
    api,
    verify: withValidation(verifySignature, validation, api, context, 'paystack'),
  };
}
