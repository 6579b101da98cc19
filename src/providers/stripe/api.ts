/**
 * The Stripe API, through the official `stripe` package (./sdk.ts): events (`GET /v1/events/:id`,
 * `GET /v1/events` page by page), thin events (`GET /v2/core/events/:id`), and the objects a
 * reconciliation asks about (PaymentIntents, Checkout Sessions). SDK errors become the library's
 * `ProviderApiError`s.
 */
import type Stripe from 'stripe';
import type { Logger } from '../../types.js';
import {
  describeCall,
  NotFoundAtProviderError,
  ProviderApiError,
  type ProviderCall,
  ProviderUnavailableError,
} from '../shared/api-errors.js';
import {
  ApiClient,
  type ApiHttpOptions,
  failureForStatus,
  parseRetryAfter,
} from '../shared/http.js';
import { eventPages } from '../shared/pagination.js';
import { bigintsAsStrings, fetchedEvent } from '../shared/retrieve.js';
import type {
  ApiEventPage,
  ListEventsOptions,
  ProviderApi,
  ReconcileFinding,
  VerifiedEvent,
} from '../types.js';
import {
  isThinEvent,
  stripeAccountOf,
  stripeContextOf,
  stripeDataOf,
  stripeEvent,
} from './events.js';
import { stripeObjectLocation } from './objects.js';
import { reconcileStripe } from './reconcile.js';
import { stripeClient } from './sdk.js';

/** Stripe's public API. */
export const STRIPE_API_BASE = 'https://api.stripe.com';

/** Most event types one `GET /v1/events` accepts in `types[]`. */
const MAX_TYPES = 20;

/** Most objects per page (Stripe's maximum `limit`). */
const MAX_PAGE = 100;

/** Options of {@link StripeApi.events}. */
export interface StripeEventListOptions {
  /** Events created at or after this time (`created[gte]`). */
  since?: Date;
  /** ... and at or before this time (`created[lte]`). */
  until?: Date;
  /**
   * Event types: exact ones go in `types[]` (20 per request), `prefix.*` patterns in `type` (one
   * request each); `*` lists every type.
   */
  types?: readonly string[];
  /** Only events whose delivery to some endpoint failed (`false`) or succeeded (`true`). */
  deliverySuccess?: boolean;
  /** Objects per page, at most 100 (the default). */
  pageSize?: number;
  /** A connected account (`Stripe-Account`). */
  account?: string;
}

/** How to build a {@link StripeApi}. */
export interface StripeApiConfig {
  /** A secret (`sk_`) or restricted (`rk_`) key. */
  apiKey: string;
  /** The API's base URL (`apiBase`). */
  apiBase: URL;
  /** Client tuning (tests inject a clock). */
  http?: ApiHttpOptions | undefined;
  logger?: Logger | undefined;
  /**
   * Called with the `api_version` of each snapshot event the API returns (./api-version.ts):
   * Stripe renders an event listed or retrieved through the API in the account's API version of
   * the day it was created, which may not be the version the webhook endpoint pins.
   */
  checkApiVersion?: ((version: unknown) => void) | undefined;
}

/** Stripe's advice on retrying a response (`Stripe-Should-Retry`), and its lock conflicts (409). */
function stripeShouldRetry(status: number, headers: Headers): boolean | undefined {
  const advice = headers.get('stripe-should-retry');
  if (advice === 'true') return true;
  if (advice === 'false') return false;
  return status === 409 ? true : undefined;
}

/** Unix seconds of a date. */
function unix(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The SDK's request options for a connected account or a thin event's context. */
function requestOptions(scope: {
  account?: string | undefined;
  context?: string | undefined;
}): Stripe.RequestOptions {
  const options: Stripe.RequestOptions = {};
  if (scope.account !== undefined) options.stripeAccount = scope.account;
  if (scope.context !== undefined) options.stripeContext = scope.context;
  return options;
}

/** The Stripe API of one variant. The `stripe` package is imported on the first call. */
export class StripeApi implements ProviderApi {
  readonly #client: ApiClient;
  readonly #apiKey: string;
  readonly #checkApiVersion: (version: unknown) => void;
  #sdk: Promise<Stripe> | undefined;

  constructor(config: StripeApiConfig) {
    this.#apiKey = config.apiKey;
    this.#checkApiVersion = config.checkApiVersion ?? (() => {});
    this.#client = new ApiClient({
      ...config.http,
      provider: 'stripe',
      label: 'Stripe',
      baseUrl: config.apiBase,
      // The SDK sets the Authorization header itself.
      headers: {},
      requestIdHeader: 'request-id',
      retryable: stripeShouldRetry,
      logger: config.logger,
    });
  }

  /** The configured `stripe` client (for calls this class does not wrap). */
  sdk(): Promise<Stripe> {
    this.#sdk ??= stripeClient(this.#apiKey, this.#client);
    return this.#sdk;
  }

  /** `GET /v1/events/:id`: an event of the last 30 days. */
  retrieveEvent(id: string, options: { account?: string | undefined } = {}): Promise<Stripe.Event> {
    return this.call('GET', `/v1/events/${encodeURIComponent(id)}`, `event ${id}`, (stripe) =>
      stripe.events.retrieve(id, {}, requestOptions(options)),
    );
  }

  /** `GET /v1/events`: one page, as Stripe answers it. */
  listEventsPage(
    params: Stripe.EventListParams,
    options: { account?: string } = {},
  ): Promise<Stripe.ApiList<Stripe.Event>> {
    return this.call('GET', '/v1/events', 'event list', async (stripe) =>
      stripe.events.list(params, requestOptions(options)),
    );
  }

  /**
   * Every event matching `options`, page by page (`starting_after` the last id of a page while
   * `has_more`), newest first within each request. An event matching several requests (a type
   * and a pattern) comes once.
   */
  async *events(options: StripeEventListOptions = {}): AsyncGenerator<Stripe.Event[]> {
    const base: Stripe.EventListParams = {
      limit: Math.min(Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE)), MAX_PAGE),
    };
    const created: Stripe.RangeQueryParam = {};
    if (options.since !== undefined) created.gte = unix(options.since);
    if (options.until !== undefined) created.lte = unix(options.until);
    if (Object.keys(created).length > 0) base.created = created;
    if (options.deliverySuccess !== undefined) base.delivery_success = options.deliverySuccess;
    const seen = new Set<string>();
    const scope = options.account === undefined ? {} : { account: options.account };
    for (const filter of typeFilters(options.types)) {
      let startingAfter: string | undefined;
      for (;;) {
        const params = { ...base, ...filter };
        if (startingAfter !== undefined) params.starting_after = startingAfter;
        const page = await this.listEventsPage(params, scope);
        const fresh = page.data.filter((event) => !seen.has(event.id));
        for (const event of fresh) seen.add(event.id);
        if (fresh.length > 0) yield fresh;
        const last = page.data.at(-1);
        if (!page.has_more || last === undefined) break;
        startingAfter = last.id;
      }
    }
  }

  /** `GET /v2/core/events/:id`: a thin event, in the context it was sent from. */
  retrieveThinEvent(
    id: string,
    options: { context?: string | undefined } = {},
  ): Promise<Stripe.V2.Core.Event> {
    return this.call(
      'GET',
      `/v2/core/events/${encodeURIComponent(id)}`,
      `event ${id}`,
      (stripe) => {
        const events = (stripe as { v2?: { core?: { events?: Stripe['v2']['core']['events'] } } })
          .v2?.core?.events;
        if (events === undefined) {
          throw new Error(
            'koa-payments: the installed stripe package has no v2 events API (stripe.v2.core.events); ' +
              'thin events need a recent stripe package to be retrieved',
          );
        }
        return events.retrieve(id, {}, requestOptions(options));
      },
    );
  }

  /** `GET /v1/payment_intents/:id`. */
  retrievePaymentIntent(
    id: string,
    options: { account?: string } = {},
  ): Promise<Stripe.PaymentIntent> {
    return this.call(
      'GET',
      `/v1/payment_intents/${encodeURIComponent(id)}`,
      `PaymentIntent ${id}`,
      (stripe) => stripe.paymentIntents.retrieve(id, {}, requestOptions(options)),
    );
  }

  /** `GET /v1/checkout/sessions/:id`. */
  retrieveCheckoutSession(
    id: string,
    options: { account?: string } = {},
  ): Promise<Stripe.Checkout.Session> {
    return this.call(
      'GET',
      `/v1/checkout/sessions/${encodeURIComponent(id)}`,
      `Checkout Session ${id}`,
      (stripe) => stripe.checkout.sessions.retrieve(id, {}, requestOptions(options)),
    );
  }

  /**
   * The event of a verified webhook as the API returns it: `GET /v1/events/:id` for a snapshot
   * event (on behalf of its connected account), `GET /v2/core/events/:id` for a thin one (in its
   * context). The id is the webhook's.
   */
  async confirm(event: VerifiedEvent): Promise<VerifiedEvent> {
    const { payload } = event;
    const thin = isThinEvent(payload);
    const path = `/${thin ? 'v2/core' : 'v1'}/events/${encodeURIComponent(event.id)}`;
    let fetched: unknown;
    try {
      fetched = thin
        ? await this.retrieveThinEvent(event.id, { context: stripeContextOf(payload) })
        : await this.retrieveEvent(event.id, { account: stripeAccountOf(payload) });
    } catch (error) {
      throw error instanceof NotFoundAtProviderError ? this.#notFoundHint(error, event) : error;
    }
    const copy = fetched as Record<string, unknown>;
    if (copy?.id !== event.id || typeof copy.type !== 'string') {
      throw new ProviderUnavailableError(
        'invalid_response',
        { provider: 'stripe', method: 'GET', path },
        `The Stripe API answered GET ${path} with another object than event ${event.id}.`,
      );
    }
    return this.#apiEvent(copy);
  }

  /** Events since `options.since`, as their webhooks carry them (same ids), page by page. */
  async *listEvents(options: ListEventsOptions): AsyncGenerator<ApiEventPage> {
    const until = options.until ?? new Date();
    const list: StripeEventListOptions = { since: options.since, until };
    if (options.types !== undefined) list.types = options.types;
    yield* eventPages(this.events(list), (object) => this.#apiEvent(object));
  }

  /**
   * A payment by its PaymentIntent (`pi_...`) or Checkout Session (`cs_...`) id: the event its
   * state makes, Stripe's own when it is found among the recent events (see ./reconcile.ts).
   */
  reconcile(reference: string): Promise<ReconcileFinding> {
    return reconcileStripe(this, reference, (object) => this.#apiEvent(object));
  }

  /** An event the API returned, as its webhook carries it, its API version checked. */
  #apiEvent(object: object): VerifiedEvent {
    if (!isThinEvent(object))
      this.#checkApiVersion((object as { api_version?: unknown }).api_version);
    return stripeApiEvent(object);
  }

  /**
   * The object a stored event is about, as the API returns it now: a thin event's
   * `related_object`, a snapshot event's `data.object` (see ./objects.ts).
   */
  async fetchObject(event: { type: string; payload: unknown }): Promise<unknown> {
    const { path, account, context } = stripeObjectLocation(event.type, event.payload);
    const object = await this.call('GET', path, `object ${path}`, (stripe) =>
      stripe.rawRequest('GET', path, undefined, requestOptions({ account, context })),
    );
    return plainJson(object);
  }

  /** A not-found, with the usual causes when they apply. */
  #notFoundHint(error: NotFoundAtProviderError, event: VerifiedEvent): NotFoundAtProviderError {
    const keyLive = this.#apiKey.includes('_live_');
    const hints = ['Stripe keeps events for 30 days.'];
    if (event.livemode !== undefined && event.livemode !== keyLive) {
      hints.unshift(
        `The API key is a ${keyLive ? 'live' : 'test'}-mode key and the event comes from ${event.livemode ? 'live' : 'test'} mode.`,
      );
    }
    return new NotFoundAtProviderError(error, `${error.message} ${hints.join(' ')}`);
  }

  /**
   * Runs a call of the `stripe` package (`run`), turning its errors into `ProviderApiError`s that
   * name `method` and `path`; `what` names the object for a not-found.
   */
  async call<T>(
    method: string,
    path: string,
    what: string,
    run: (stripe: Stripe) => Promise<T>,
  ): Promise<T> {
    const stripe = await this.sdk();
    try {
      return await run(stripe);
    } catch (error) {
      throw stripeFailure(error, { provider: 'stripe', method, path }, what);
    }
  }
}

/**
 * An event object from the API (v1 `Event` or v2 thin event) as the event its webhook carries:
 * the same id, type and `data`, its JSON stored as fetched (`payloadText`), as plain JSON.
 *
 * @example
 * const event = stripeApiEvent(await api.retrieveEvent('evt_1Pz...'));
 */
export function stripeApiEvent(object: object): VerifiedEvent {
  const { data: _data, ...fields } = stripeEvent(object as Record<string, unknown>);
  return fetchedEvent(fields, stripeDataOf);
}

/** A plain copy of an SDK object (without `lastResponse` and methods; bigints as strings). */
function plainJson(object: unknown): unknown {
  const { lastResponse: _response, ...fields } = object as Record<string, unknown>;
  return JSON.parse(JSON.stringify(fields, bigintsAsStrings));
}

/**
 * The list requests a `types` filter needs: one without a filter (no types, or `*`), exact types
 * in `types[]` by twenties, and one `type` per `prefix.*` pattern.
 */
function typeFilters(types: readonly string[] | undefined): Stripe.EventListParams[] {
  if (types === undefined || types.includes('*')) return [{}];
  const exact = types.filter((type) => !type.endsWith('.*'));
  const filters: Stripe.EventListParams[] = [];
  for (let index = 0; index < exact.length; index += MAX_TYPES) {
    filters.push({ types: exact.slice(index, index + MAX_TYPES) });
  }
  for (const pattern of types.filter((type) => type.endsWith('.*')))
    filters.push({ type: pattern });
  return filters;
}

/**
 * The `ProviderApiError` of an SDK failure: the library's own error when the HTTP client gave up
 * (the SDK wraps it in a `StripeConnectionError`), a not-found for a 404, the status's failure
 * otherwise. Anything else (a bug) is returned as it is.
 */
export function stripeFailure(error: unknown, call: ProviderCall, what: string): unknown {
  if (error instanceof ProviderApiError) return error;
  const failure = error as {
    type?: unknown;
    detail?: unknown;
    statusCode?: unknown;
    requestId?: unknown;
    headers?: Record<string, string> | undefined;
  } | null;
  if (failure?.detail instanceof ProviderApiError) return failure.detail;
  if (typeof failure?.statusCode !== 'number') {
    // The SDK's error for a success whose body is not JSON.
    return failure?.type === 'StripeAPIError'
      ? new ProviderUnavailableError(
          'invalid_response',
          call,
          `The Stripe API answered ${describeCall(call)} with a body that is not JSON.`,
        )
      : error;
  }
  const answered: ProviderCall = {
    ...call,
    providerStatus: failure.statusCode,
    requestId: typeof failure.requestId === 'string' ? failure.requestId : undefined,
  };
  if (failure.statusCode === 404) {
    return new NotFoundAtProviderError(
      answered,
      `Stripe has no ${what} (${describeCall(answered)}).`,
    );
  }
  return failureForStatus(answered, 'Stripe', {
    retryAfterMs: parseRetryAfter(failure.headers?.['retry-after'] ?? null, Date.now()),
    // Stripe's explanation of a refused request ("Invalid URL: ..."); never a key or a body.
    providerMessage:
      failure.type === 'StripeInvalidRequestError' && typeof (error as Error).message === 'string'
        ? (error as Error).message
        : undefined,
  });
}
