/**
 * A loopback fake of the Stripe API endpoints koa-payments calls, answering as Stripe documents
 * them (docs.stripe.com/api): `GET /v1/events/:id`, `GET /v1/events` (`created[gte]`,
 * `created[lte]`, `types[]`, `type` with a `*` wildcard, `delivery_success`, `limit`,
 * `starting_after`; newest first; `{ object: 'list', data, has_more, url }`),
 * `GET /v2/core/events/:id`, and objects by id (`GET /v1/payment_intents/:id`,
 * `GET /v1/checkout/sessions/:id`, ...), webhook endpoints and event destinations
 * (./stripe-endpoints.ts).
 * Errors have Stripe's shape (`{ error: { type, code, message } }`) and every answer a
 * `Request-Id`. Only the configured API key is accepted.
 */
import { samplePayload } from '../../src/testing/index.js';
import { bearer, type FakeAnswer, LoopbackFake, type SeenRequest } from './server.js';
import { StripeEndpoints } from './stripe-endpoints.js';

type Json = Record<string, unknown>;

/** An event the fake knows, and whether its delivery to some endpoint succeeded. */
interface Stored {
  event: Json;
  deliverySuccess: boolean;
}

/** Stripe's error body. */
function stripeError(status: number, type: string, code: string, message: string): FakeAnswer {
  return { status, body: { error: { type, code, message } } };
}

function missing(kind: string, id: string): FakeAnswer {
  return stripeError(404, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`);
}

/** The values of `key[0]`, `key[1]`, ... (and `key[]`) in a query. */
function arrayParam(query: URLSearchParams, key: string): string[] | undefined {
  const values: string[] = [];
  for (const [name, value] of query) if (name.startsWith(`${key}[`)) values.push(value);
  return values.length > 0 ? values : undefined;
}

/** Whether an event type matches Stripe's `type` filter (`*` is a wildcard). */
function typeMatches(filter: string, type: string): boolean {
  if (!filter.includes('*')) return filter === type;
  const pattern = filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${pattern}$`).test(type);
}

/** The Stripe API fake. */
export class StripeApiFake extends LoopbackFake {
  readonly #events = new Map<string, Stored>();
  readonly #thin = new Map<string, Json>();
  readonly #objects = new Map<string, Json>();
  #requestId = 0;
  /** The most events one list page holds, whatever `limit` asks (to test pagination). */
  pageSize = 100;
  /** Webhook endpoints and event destinations (./stripe-endpoints.ts). */
  readonly endpoints = new StripeEndpoints();

  constructor(readonly apiKey: string) {
    super(
      (request) => this.#answer(request),
      () => ({ 'request-id': `req_fake${++this.#requestId}` }),
    );
  }

  /** Adds an event (`GET /v1/events/:id` and the list). */
  addEvent(event: Json, options: { deliverySuccess?: boolean } = {}): this {
    this.#events.set(String(event.id), { event, deliverySuccess: options.deliverySuccess ?? true });
    return this;
  }

  /** Adds a sample `charge.succeeded` event created `minutesAgo`; returns its id. */
  addChargeAgo(minutesAgo: number): string {
    const created = Math.floor((Date.now() - minutesAgo * 60_000) / 1000);
    const event = samplePayload('stripe', 'charge.succeeded', { created });
    this.addEvent(event);
    return String(event.id);
  }

  /** Adds a v2 event (`GET /v2/core/events/:id`). */
  addThinEvent(event: Json): this {
    this.#thin.set(String(event.id), event);
    return this;
  }

  /** Adds an object (a PaymentIntent, a Checkout Session, a meter, ...), served by its id. */
  addObject(object: Json): this {
    this.#objects.set(String(object.id), object);
    return this;
  }

  #answer(request: SeenRequest): FakeAnswer {
    if (bearer(request) !== this.apiKey) {
      return stripeError(
        401,
        'invalid_request_error',
        'api_key_invalid',
        'Invalid API Key provided: sk_test_****',
      );
    }
    const endpoint = this.endpoints.answer(request);
    if (endpoint !== undefined) return endpoint;
    if (request.method !== 'GET') {
      return stripeError(405, 'invalid_request_error', 'method_not_allowed', 'Not in the fake');
    }
    const [, version, ...rest] = request.path.split('/');
    const resource = rest.map(decodeURIComponent);
    if (version === 'v1' && resource[0] === 'events') {
      if (resource.length === 1) return this.#list(request.query);
      const stored = this.#events.get(resource[1] as string);
      return stored === undefined
        ? missing('event', resource[1] as string)
        : { status: 200, body: stored.event };
    }
    if (version === 'v2' && resource[0] === 'core' && resource[1] === 'events') {
      const event = this.#thin.get(resource[2] as string);
      return event === undefined
        ? missing('event', resource[2] as string)
        : { status: 200, body: event };
    }
    // Any other object by its id: /v1/payment_intents/pi_..., /v1/checkout/sessions/cs_...,
    // /v1/billing/meters/mtr_... (a thin event's related_object).
    const id = resource.at(-1) as string;
    const known = resource.length >= 2 && this.#objects.get(id);
    return known ? { status: 200, body: known } : missing('object', id);
  }

  #list(query: URLSearchParams): FakeAnswer {
    const gte = query.get('created[gte]');
    const lte = query.get('created[lte]');
    const types = arrayParam(query, 'types');
    const type = query.get('type');
    const delivery = query.get('delivery_success');
    const limit = Math.min(Number(query.get('limit') ?? 10), this.pageSize);
    const startingAfter = query.get('starting_after');
    let events = [...this.#events.values()]
      .filter(({ event, deliverySuccess }) => {
        const created = Number(event.created);
        if (gte !== null && created < Number(gte)) return false;
        if (lte !== null && created > Number(lte)) return false;
        if (types !== undefined && !types.includes(String(event.type))) return false;
        if (type !== null && !typeMatches(type, String(event.type))) return false;
        if (delivery !== null && String(deliverySuccess) !== delivery) return false;
        return true;
      })
      .map(({ event }) => event)
      .sort(
        (a, b) => Number(b.created) - Number(a.created) || String(b.id).localeCompare(String(a.id)),
      );
    if (startingAfter !== null) {
      const index = events.findIndex((event) => event.id === startingAfter);
      events = index === -1 ? [] : events.slice(index + 1);
    }
    return {
      status: 200,
      body: {
        object: 'list',
        url: '/v1/events',
        has_more: events.length > limit,
        data: events.slice(0, limit),
      },
    };
  }
}
