/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of `${t}.${rawBody}`
 * keyed by the endpoint secret (`whsec_...`), as stripe-node's `Webhooks.constructEvent` checks it,
 * except that the timestamp is checked in both directions. Snapshot events and thin events (event
 * destinations with thin payloads) are signed alike. With `validation: 'retrieve'` the event is
 * then fetched from the API (./api.ts) and that copy is stored.
 */
import {
  apiBaseOption,
  apiKeyOption,
  requireKeyForRetrieve,
  type Validation,
  validationOption,
} from '../shared/api-options.js';
import { withValidation } from '../shared/retrieve.js';
import { refuseLookalike, requireString, secrets, tolerance } from '../shared/signature.js';
import { verifyStripeScheme } from '../shared/stripe-scheme.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { STRIPE_API_BASE, StripeApi } from './api.js';
import { apiVersionCheck } from './api-version.js';
import { isThinEvent, stripeDataOf, stripeEvent } from './events.js';
import { stripeFacts } from './facts.js';
import { STRIPE_SIGNATURE_HEADER } from './scheme.js';
import { requireStripePackage } from './sdk.js';

export { STRIPE_DATA_PATH } from './events.js';

/** Options of a `provider: 'stripe'` variant. */
export interface StripeOptions {
  /** The endpoint's signing secret (`whsec_...`), or several while rolling it. */
  endpointSecret: SecretOption;
  /**
   * Seconds a signature stays valid, either way of now; 0 disables.
   * @default 300 (Stripe's)
   */
  tolerance?: number;
  /**
   * A secret key (`sk_live_...`, `sk_test_...`) or a restricted key (`rk_...`) with read access to
   * Events: lets the library call the Stripe API (`validation: 'retrieve'`). Never a publishable
   * key. Needs the `stripe` package installed.
   */
  apiKey?: string;
  /**
   * The Stripe API's base URL, for proxies and tests.
   * @default 'https://api.stripe.com'
   */
  apiBase?: string;
  /**
   * `'signature'`: the signed body is stored. `'retrieve'`: the event is then fetched
   * from the API (`GET /v1/events/:id`, thin events `GET /v2/core/events/:id`) and that copy is
   * stored; one API call per webhook. Needs `apiKey`.
   * @default 'signature'
   */
  validation?: Validation;
}

/** Stripe's default tolerance, in seconds. */
export const STRIPE_DEFAULT_TOLERANCE = 300;

const RAW_BODY_HINT =
  'Are you passing the raw request body you received from Stripe? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that endpointSecret is the ' +
  'signing secret of this endpoint (whsec_...), not an API key.';

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
  const validation = validationOption(options.validation, variant);
  const apiKey = apiKeyOption(options.apiKey, STRIPE_API_KEY, variant);
  requireKeyForRetrieve(validation, apiKey, variant);
  const apiBase = apiBaseOption(options.apiBase, STRIPE_API_BASE, variant, false);
  if (apiKey !== undefined) requireStripePackage(variant, 'apiKey');
  const checkApiVersion = apiVersionCheck(variant, context.logger);
  const api =
    apiKey === undefined
      ? undefined
      : new StripeApi({
          apiKey,
          apiBase,
          http: context.http,
          logger: context.logger,
          checkApiVersion,
        });

  function verifySignature(request: WebhookRequest): VerifiedEvent {
    const payload = verifyStripeScheme(request, {
      headerName: STRIPE_SIGNATURE_HEADER,
      secrets: keys,
      tolerance: seconds,
      label: 'Stripe',
      hint: RAW_BODY_HINT,
    });
    requireString(payload, 'id', 'Stripe');
    requireString(payload, 'type', 'Stripe');
    // Thin events carry no snapshot, hence no API version to compare.
    if (!isThinEvent(payload)) checkApiVersion(payload.api_version);
    return stripeEvent(payload);
  }

  return {
    name: 'stripe',
    facts: stripeFacts,
    dataOf: stripeDataOf,
    verify: withValidation(verifySignature, validation, api, context, 'stripe'),
    ...(api === undefined ? {} : { api }),
  };
}

/** What `apiKey` accepts, and the keys pasted there by mistake. */
const STRIPE_API_KEY = {
  accept: /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/,
  expected: 'a secret key (sk_live_... or sk_test_...) or a restricted key (rk_...)',
  refuse: [
    [/^pk_/, 'is a publishable key, which cannot read events'],
    [/^whsec_/, 'is a webhook signing secret (it belongs in endpointSecret)'],
  ],
} as const;
