/**
 * The webhook endpoints and event destinations of the Stripe API fake, as Stripe documents them:
 * `POST /v1/webhook_endpoints` (form-encoded `url`, `enabled_events[]`, `api_version`,
 * `description`; the answer alone carries `secret`), `GET /v1/webhook_endpoints` (`limit`,
 * `starting_after`), `POST /v2/core/event_destinations` (JSON; `webhook_endpoint.signing_secret`
 * only when `include` asks for it) and `GET /v2/core/event_destinations` (`webhook_endpoint.url`
 * only when `include` asks for it). Unknown event types are refused as Stripe refuses them (for
 * thin payloads, any type that is not a thin one).
 */
import { randomBytes } from 'node:crypto';
import { STRIPE_EVENT_TYPES } from '../../src/providers/stripe/event-types.js';
import { STRIPE_THIN_EVENT_TYPES } from '../../src/providers/stripe/thin-event-types.js';
import type { FakeAnswer, SeenRequest } from './server.js';

type Json = Record<string, unknown>;

const KNOWN = new Set<string>(['*', ...STRIPE_EVENT_TYPES]);
const KNOWN_THIN = new Set<string>(STRIPE_THIN_EVENT_TYPES);

function invalid(message: string, param: string): FakeAnswer {
  return {
    status: 400,
    body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', message, param } },
  };
}

/** Values of `key[0]`, `key[1]`, ... in a form body or a query. */
function arrayOf(params: URLSearchParams, key: string): string[] {
  const values: string[] = [];
  for (const [name, value] of params) {
    if (name === key || name.startsWith(`${key}[`)) values.push(value);
  }
  return values;
}

/** The endpoints and destinations of one fake account. */
export class StripeEndpoints {
  /** Webhook endpoints, as listed (without their secret). */
  readonly webhookEndpoints: Json[] = [];
  /** Event destinations, with their URL and secret (the API shows them only when asked). */
  readonly destinations: Json[] = [];
  #next = 0;

  /** Answers a request to one of these resources; undefined for any other path. */
  answer(request: SeenRequest): FakeAnswer | undefined {
    if (request.path === '/v1/webhook_endpoints') {
      return request.method === 'POST'
        ? this.#createEndpoint(new URLSearchParams(request.body))
        : this.#listEndpoints(request.query);
    }
    if (request.path === '/v2/core/event_destinations') {
      return request.method === 'POST'
        ? this.#createDestination(JSON.parse(request.body || '{}') as Json)
        : this.#listDestinations(request.query);
    }
    return undefined;
  }

  #createEndpoint(form: URLSearchParams): FakeAnswer {
    const url = form.get('url');
    if (url === null || !/^https?:\/\//.test(url))
      return invalid('Invalid URL: must be a URL', 'url');
    const enabled = arrayOf(form, 'enabled_events');
    if (enabled.length === 0)
      return invalid('Missing required param: enabled_events.', 'enabled_events');
    const unknown = enabled.find((type) => !KNOWN.has(type));
    if (unknown !== undefined) {
      return invalid(
        `Invalid enabled_events: '${unknown}' is not a valid event type`,
        'enabled_events',
      );
    }
    const endpoint: Json = {
      id: `we_fake${++this.#next}`,
      object: 'webhook_endpoint',
      api_version: form.get('api_version'),
      application: null,
      created: Math.floor(Date.now() / 1000),
      description: form.get('description'),
      enabled_events: enabled,
      livemode: false,
      metadata: {},
      status: 'enabled',
      url,
    };
    this.webhookEndpoints.push(endpoint);
    return {
      status: 200,
      body: { ...endpoint, secret: `whsec_${randomBytes(16).toString('hex')}` },
    };
  }

  #listEndpoints(query: URLSearchParams): FakeAnswer {
    const limit = Number(query.get('limit') ?? 10);
    const after = query.get('starting_after');
    // Newest first, as Stripe lists.
    let all = [...this.webhookEndpoints].reverse();
    if (after !== null) all = all.slice(all.findIndex((e) => e.id === after) + 1);
    return {
      status: 200,
      body: {
        object: 'list',
        url: '/v1/webhook_endpoints',
        has_more: all.length > limit,
        data: all.slice(0, limit),
      },
    };
  }

  #createDestination(body: Json): FakeAnswer {
    const webhook = (body.webhook_endpoint ?? {}) as Json;
    if (body.type !== 'webhook_endpoint' || typeof webhook.url !== 'string') {
      return invalid('webhook_endpoint.url is required', 'webhook_endpoint');
    }
    if (body.event_payload === 'thin' && body.snapshot_api_version !== undefined) {
      return invalid('snapshot_api_version is for snapshot events only', 'snapshot_api_version');
    }
    const enabled = (body.enabled_events ?? []) as string[];
    const unknown = enabled.find((type) => !KNOWN_THIN.has(type));
    if (body.event_payload === 'thin' && (enabled.length === 0 || unknown !== undefined)) {
      return invalid(
        `Invalid enabled_events: '${unknown}' is not a valid event type`,
        'enabled_events',
      );
    }
    const now = new Date().toISOString();
    const destination: Json = {
      id: `ed_fake${++this.#next}`,
      object: 'v2.core.event_destination',
      created: now,
      description: body.description ?? '',
      enabled_events: body.enabled_events,
      event_payload: body.event_payload,
      events_from: ['@self'],
      livemode: false,
      metadata: {},
      name: body.name,
      status: 'enabled',
      type: 'webhook_endpoint',
      updated: now,
      webhook_endpoint: {
        url: webhook.url,
        signing_secret: `whsec_${randomBytes(16).toString('hex')}`,
      },
    };
    this.destinations.push(destination);
    const include = (body.include ?? []) as string[];
    return { status: 200, body: this.#shown(destination, include) };
  }

  #listDestinations(query: URLSearchParams): FakeAnswer {
    const include = arrayOf(query, 'include');
    return {
      status: 200,
      body: {
        data: this.destinations.map((d) => this.#shown(d, include)),
        next_page_url: null,
        previous_page_url: null,
      },
    };
  }

  /** A destination with the webhook fields `include` asks for. */
  #shown(destination: Json, include: readonly string[]): Json {
    const webhook = destination.webhook_endpoint as Json;
    const shown: Json = {};
    if (include.includes('webhook_endpoint.url')) shown.url = webhook.url;
    if (include.includes('webhook_endpoint.signing_secret')) {
      shown.signing_secret = webhook.signing_secret;
    }
    return { ...destination, webhook_endpoint: shown };
  }
}
