/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of `${t}.${rawBody}`
 * keyed by the endpoint secret (`whsec_...`), as stripe-node's `Webhooks.constructEvent` checks it,
 * except that the timestamp is checked in both directions.
 */
import { dataAt } from '../shared/data-path.js';
import { refuseLookalike, requireString, secrets, tolerance } from '../shared/signature.js';
import { verifyStripeScheme } from '../shared/stripe-scheme.js';
import type { Provider, ProviderContext, Secret, VerifiedEvent, WebhookRequest } from '../types.js';
import { apiVersionCheck } from './api-version.js';
import { STRIPE_DATA_PATH } from './events.js';
import { stripeFacts } from './facts.js';
import { STRIPE_SIGNATURE_HEADER } from './scheme.js';

export { STRIPE_DATA_PATH } from './events.js';

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
  const checkApiVersion = apiVersionCheck(variant, context.logger);
  return {
    name: 'stripe',
    facts: stripeFacts,
    dataOf: dataAt(STRIPE_DATA_PATH),
    verify(request: WebhookRequest): VerifiedEvent {
      const payload = verifyStripeScheme(request, {
        headerName: STRIPE_SIGNATURE_HEADER,
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
      checkApiVersion(payload.api_version);
      return event;
    },
  };
}
