/**
 * Registering koa-payments with Stripe (dj-stripe 2.7 creates its endpoint the same way): webhook
 * endpoints (`POST /v1/webhook_endpoints`, snapshot payloads, optionally pinned to an API
 * version) and event destinations with thin payloads (`POST /v2/core/event_destinations`), and
 * listing both. The signing secret is in the creation's answer only; it is returned to the caller
 * and never logged.
 */
import type Stripe from 'stripe';
import { matches } from '../../signals/registry.js';
import type { StripeApi } from './api.js';
import { STRIPE_EVENT_TYPES } from './event-types.js';
import { STRIPE_THIN_EVENT_TYPES } from './thin-event-types.js';

/** An endpoint or event destination, in one shape. */
export interface StripeEndpoint {
  /** `we_...` (webhook endpoint) or `ed_...` (event destination). */
  id: string;
  url: string | null;
  /** `enabled` or `disabled`. */
  status: string;
  /** What it delivers: snapshot events (`data.object`) or thin ones (`related_object`). */
  payload: 'snapshot' | 'thin';
  /** The API version snapshot events are rendered in; null: the account's default. */
  apiVersion: string | null;
  enabledEvents: string[];
  description: string | null;
}

/** A created endpoint, with the signing secret Stripe shows this once. */
export interface CreatedEndpoint extends StripeEndpoint {
  secret: string;
}

/** The event types patterns stand for, in the order of the first pattern that names each. */
export interface ExpandedTypes {
  /** What to enable: `['*']`, or exact types. */
  types: string[];
  /** Exact types this version does not know as Stripe types (Stripe may refuse them). */
  unknown: string[];
  /**
   * Patterns that stand for no type of the payload: a koa-payments signal (`payment:*`), a prefix
   * no type has, or, for thin payloads, a snapshot type (`charge.succeeded`, whose thin twin
   * `v1.charge.succeeded` its receivers do not match).
   */
  unmatched: string[];
}

/**
 * Receiver patterns as the `enabled_events` of an endpoint, which take exact types or `*` only:
 * `charge.*` widens to every Stripe type it matches, an exact type stays. `*` is `['*']` for a
 * webhook endpoint (snapshot events) and every thin type for an event destination of thin events.
 *
 * @example
 * expandEventTypes(['charge.dispute.*', 'invoice.paid']).types;
 * // ['charge.dispute.closed', 'charge.dispute.created', ..., 'invoice.paid']
 * expandEventTypes(['v1.billing.meter.*'], 'thin').types;
 * // ['v1.billing.meter.created', ..., 'v1.billing.meter.updated']
 */
export function expandEventTypes(
  patterns: readonly string[],
  payload: 'snapshot' | 'thin' = 'snapshot',
): ExpandedTypes {
  const all: readonly string[] = payload === 'thin' ? STRIPE_THIN_EVENT_TYPES : STRIPE_EVENT_TYPES;
  if (patterns.includes('*')) {
    return { types: payload === 'thin' ? [...all] : ['*'], unknown: [], unmatched: [] };
  }
  const types = new Set<string>();
  const unknown: string[] = [];
  const unmatched: string[] = [];
  const known = new Set<string>(all);
  const snapshot = new Set<string>(STRIPE_EVENT_TYPES);
  for (const pattern of patterns) {
    if (pattern.endsWith('.*')) {
      const widened = all.filter((type) => matches(pattern, type));
      if (widened.length === 0) unmatched.push(pattern);
      for (const type of widened) types.add(type);
    } else if (pattern.includes(':') || (payload === 'thin' && snapshot.has(pattern))) {
      unmatched.push(pattern);
    } else {
      if (!known.has(pattern) && !types.has(pattern)) unknown.push(pattern);
      types.add(pattern);
    }
  }
  return { types: [...types], unknown, unmatched };
}

function fromWebhookEndpoint(endpoint: Stripe.WebhookEndpoint): StripeEndpoint {
  return {
    id: endpoint.id,
    url: endpoint.url,
    status: endpoint.status,
    payload: 'snapshot',
    apiVersion: endpoint.api_version ?? null,
    enabledEvents: [...endpoint.enabled_events],
    description: endpoint.description ?? null,
  };
}

function fromDestination(destination: Stripe.V2.Core.EventDestination): StripeEndpoint {
  return {
    id: destination.id,
    url: destination.webhook_endpoint?.url ?? null,
    status: destination.status,
    payload: destination.event_payload,
    apiVersion: destination.snapshot_api_version ?? null,
    enabledEvents: [...destination.enabled_events],
    description: destination.description || null,
  };
}

/** The v2 event destinations API of the installed `stripe` package. */
function destinations(stripe: Stripe): Stripe['v2']['core']['eventDestinations'] {
  const api = (stripe as { v2?: { core?: { eventDestinations?: unknown } } }).v2?.core
    ?.eventDestinations;
  if (api === undefined) {
    throw new Error(
      'koa-payments: the installed stripe package has no v2 event destinations API; thin event destinations need a recent stripe package',
    );
  }
  return api as Stripe['v2']['core']['eventDestinations'];
}

/** `POST /v1/webhook_endpoints`: a snapshot endpoint for `url`. */
export async function createWebhookEndpoint(
  api: StripeApi,
  options: { url: string; enabledEvents: string[]; apiVersion?: string; description: string },
): Promise<CreatedEndpoint> {
  const params: Stripe.WebhookEndpointCreateParams = {
    url: options.url,
    enabled_events: options.enabledEvents as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
    description: options.description,
  };
  if (options.apiVersion !== undefined) {
    params.api_version = options.apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion;
  }
  const endpoint = await api.call('POST', '/v1/webhook_endpoints', 'webhook endpoint', (stripe) =>
    stripe.webhookEndpoints.create(params),
  );
  return { ...fromWebhookEndpoint(endpoint), secret: endpoint.secret ?? '' };
}

/** `POST /v2/core/event_destinations`: a webhook destination of thin events for `url`. */
export async function createThinDestination(
  api: StripeApi,
  options: { url: string; enabledEvents: string[]; name: string; description: string },
): Promise<CreatedEndpoint> {
  const path = '/v2/core/event_destinations';
  const destination = await api.call('POST', path, 'event destination', (stripe) =>
    destinations(stripe).create({
      name: options.name,
      description: options.description,
      type: 'webhook_endpoint',
      event_payload: 'thin',
      enabled_events: options.enabledEvents,
      webhook_endpoint: { url: options.url },
      // Stripe returns the signing secret only when asked for it, and only now.
      include: ['webhook_endpoint.signing_secret'],
    }),
  );
  return {
    ...fromDestination(destination),
    url: destination.webhook_endpoint?.url ?? options.url,
    secret: destination.webhook_endpoint?.signing_secret ?? '',
  };
}

/**
 * Every webhook endpoint (`GET /v1/webhook_endpoints`, all pages) and every event destination
 * (`GET /v2/core/event_destinations`, with its URL) of the account.
 */
export async function listEndpoints(api: StripeApi): Promise<StripeEndpoint[]> {
  const endpoints = await api.call('GET', '/v1/webhook_endpoints', 'webhook endpoints', (stripe) =>
    stripe.webhookEndpoints.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 }),
  );
  const thin = await api.call(
    'GET',
    '/v2/core/event_destinations',
    'event destinations',
    async (stripe) => {
      const all: Stripe.V2.Core.EventDestination[] = [];
      for await (const destination of destinations(stripe).list({
        include: ['webhook_endpoint.url'],
      })) {
        all.push(destination);
      }
      return all;
    },
  );
  return [...endpoints.map(fromWebhookEndpoint), ...thin.map(fromDestination)];
}
