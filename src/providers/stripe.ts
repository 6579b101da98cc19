/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of `${t}.${rawBody}`
 * keyed by the endpoint secret (`whsec_...`), as stripe-node's `Webhooks.constructEvent` checks it,
 * except that the timestamp is checked in both directions.
 */
import { SignatureVerificationError } from '../errors.js';
import {
  anySignatureMatches,
  checkTimestamp,
  header,
  hmac,
  parseJsonObject,
  refuseLookalike,
  requireString,
  secrets,
  tolerance,
} from './signature.js';
import type {
  Provider,
  ProviderContext,
  ProviderDefinition,
  Secret,
  VerifiedEvent,
  WebhookRequest,
} from './types.js';

/** Options of a `provider: 'stripe'` variant. */
export interface StripeOptions {
  /** The endpoint's signing secret (`whsec_...`), or several while rolling it. */
  endpointSecret: Secret;
  /** Seconds a signature stays valid, either way of now. Default 300 (Stripe's); 0 disables. */
  tolerance?: number;
}

/** Stripe's default tolerance, in seconds. */
export const STRIPE_DEFAULT_TOLERANCE = 300;

const RAW_BODY_HINT =
  'Are you passing the raw request body you received from Stripe? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that endpointSecret is the ' +
  'signing secret of this endpoint (whsec_...), not an API key.';

/** Parses a Stripe-style `t=...,v1=...` header; shared with Payvost, which uses the same scheme. */
export function parseStripeStyleHeader(
  value: string,
  headerName: string,
): { timestamp: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of value.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0) continue;
    const key = item.slice(0, separator).trim();
    const val = item.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(val)) timestamp = Number(val);
    else if (key === 'v1' && val !== '') signatures.push(val);
  }
  if (timestamp === undefined) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `Unable to extract the timestamp from the ${headerName} header (expected "t=<unix seconds>,v1=<hex>").`,
    );
  }
  if (signatures.length === 0) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `No signatures found with the expected scheme (v1) in the ${headerName} header.`,
    );
  }
  return { timestamp, signatures };
}

/**
 * Verifies a Stripe-scheme signature; shared with Payvost. Returns the parsed payload.
 * The signature is checked before the timestamp, so a forged request learns nothing about time.
 */
export function verifyStripeScheme(
  request: WebhookRequest,
  options: {
    headerName: string;
    secrets: readonly string[];
    tolerance: number;
    label: string;
    hint: string;
  },
): Record<string, unknown> {
  const value = header(request.headers, options.headerName);
  if (value === undefined) {
    throw new SignatureVerificationError(
      'missing_signature',
      `No ${options.headerName} header found on the request. ${options.hint}`,
    );
  }
  const { timestamp, signatures } = parseStripeStyleHeader(value, options.headerName);
  const sign = (secret: string) =>
    hmac('sha256', secret, [`${timestamp}.`, request.rawBody], 'hex');
  if (!anySignatureMatches(options.secrets, sign, signatures)) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      `No signatures found matching the expected signature for payload. ${options.hint}`,
    );
  }
  checkTimestamp(timestamp, request.receivedAt, options.tolerance, options.label);
  return parseJsonObject(request.rawBody, options.label);
}

/** Builds the Stripe provider for one variant; validates its options. */
export function stripe(options: StripeOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.endpointSecret, 'endpointSecret', variant);
  refuseLookalike(
    keys,
    /^(sk|rk|pk)_(test|live)_/,
    'endpointSecret',
    variant,
    'looks like an API key; use the webhook endpoint signing secret (whsec_...) from the dashboard or `stripe listen`',
  );
  const seconds = tolerance(options.tolerance, STRIPE_DEFAULT_TOLERANCE, 'tolerance', variant);
  return {
    name: 'stripe',
    dataOf: (payload) => (payload as { data?: { object?: unknown } }).data?.object ?? null,
    verify(request: WebhookRequest): VerifiedEvent {
      const payload = verifyStripeScheme(request, {
        headerName: 'stripe-signature',
        secrets: keys,
        tolerance: seconds,
        label: 'Stripe',
        hint: RAW_BODY_HINT,
      });
      const id = requireString(payload, 'id', 'Stripe');
      const type = requireString(payload, 'type', 'Stripe');
      const data = payload.data as { object?: unknown } | undefined;
      const event: VerifiedEvent = { id, type, data: data?.object ?? null, payload };
      if (typeof payload.livemode === 'boolean') event.livemode = payload.livemode;
      if (typeof payload.created === 'number') event.createdAt = new Date(payload.created * 1000);
      return event;
    },
  };
}

/** The stripe provider's option keys and factory. */
export const definition: ProviderDefinition<StripeOptions> = {
  options: ['endpointSecret', 'tolerance'],
  create: stripe,
};
