/**
 * Payvost: `payvost-signature: t=<unix>,v1=<hex>`, the Stripe scheme keyed by the endpoint secret
 * (see docs/providers/payvost.md). The payload is a Stripe-style envelope or a flat `data`.
 */
import { refuseLookalike, requireString, secrets, tolerance } from '../shared/signature.js';
import { verifyStripeScheme } from '../shared/stripe-scheme.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { payvostFacts } from './facts.js';
import { PAYVOST_SIGNATURE_HEADER } from './scheme.js';

/** Options of a `provider: 'payvost'` variant. */
export interface PayvostOptions {
  /** The endpoint's webhook signing secret (`whsec_...`), or several while rolling it. */
  endpointSecret: SecretOption;
  /**
   * Seconds a signature stays valid, either way of now; 0 disables.
   * @default 300 (Stripe's)
   */
  tolerance?: number;
}

/** The Payvost provider's default tolerance, in seconds (Stripe's, whose scheme it follows). */
export const PAYVOST_DEFAULT_TOLERANCE = 300;

const HINT =
  'Are you passing the raw request body you received from Payvost? Mount koa-payments before any ' +
  'body parser: a re-serialised JSON body never matches. Also check that endpointSecret is the ' +
  'signing secret of this webhook endpoint (whsec_...), not an API key.';

/** Numbers at or above this are milliseconds, not seconds (as seconds: the year 5138). */
const MILLISECONDS_FROM = 1e11;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where `signal.data` sits in the Stripe-style envelope of Payvost's webhook guide. */
export const PAYVOST_DATA_PATH = ['data', 'object'] as const;

/**
 * `data.object` when it is an object (Stripe-style envelope, as Payvost's webhook guide shows),
 * else `data` itself (the flat shape other Payvost pages show); null when there is no `data`.
 */
function dataOf(payload: unknown): unknown {
  const data = isObject(payload) ? payload.data : undefined;
  if (isObject(data) && isObject(data.object)) return data.object;
  return data ?? null;
}

/** `created` (unix seconds, or milliseconds) or `createdAt` (ISO 8601), when present. */
function createdAtOf(payload: Record<string, unknown>): Date | undefined {
  let date: Date | undefined;
  const { created, createdAt } = payload;
  if (typeof created === 'number' && Number.isFinite(created) && created > 0) {
    date = new Date(created >= MILLISECONDS_FROM ? created : created * 1000);
  } else if (typeof createdAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(createdAt)) {
    date = new Date(createdAt);
  }
  return date === undefined || Number.isNaN(date.getTime()) ? undefined : date;
}

/** Builds the Payvost provider for one variant; validates its options. */
export function payvost(options: PayvostOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const keys = secrets(options.endpointSecret, 'endpointSecret', variant);
  refuseLookalike(
    keys,
    /^(sk|pk)_(test|live)_/,
    'endpointSecret',
    variant,
    'looks like an API key; use the signing secret (whsec_...) shown when the webhook endpoint is created in the Payvost dashboard',
  );
  const seconds = tolerance(options.tolerance, PAYVOST_DEFAULT_TOLERANCE, 'tolerance', variant);
  return {
    name: 'payvost',
    facts: payvostFacts,
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      const payload = verifyStripeScheme(request, {
        headerName: PAYVOST_SIGNATURE_HEADER,
        secrets: keys,
        tolerance: seconds,
        label: 'Payvost',
        hint: HINT,
      });
      const id = requireString(payload, 'id', 'Payvost');
      const type = requireString(payload, 'type', 'Payvost');
      const event: VerifiedEvent = { id, type, data: dataOf(payload), payload };
      const livemode = payload.livemode ?? payload.liveMode;
      if (typeof livemode === 'boolean') event.livemode = livemode;
      const createdAt = createdAtOf(payload);
      if (createdAt !== undefined) event.createdAt = createdAt;
      return event;
    },
  };
}
