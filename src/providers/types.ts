import type { IncomingHttpHeaders } from 'node:http';
import type { PaymentFacts, PaymentSignalName } from '../objects/types.js';
import type { Logger } from '../types.js';
import type { ApiHttpOptions } from './shared/http.js';

/** What a provider is given to verify: the request exactly as received. */
export interface WebhookRequest {
  /** Request headers, keys in lower case (Node's `IncomingMessage.headers`). */
  readonly headers: IncomingHttpHeaders;
  /** The body byte for byte. Signatures are computed over this, never over re-serialised JSON. */
  readonly rawBody: Buffer;
  /** The absolute URL the request was sent to (Square signs it). */
  readonly url: string;
  /** When the request arrived. Timestamp tolerances are measured against it (injectable in tests). */
  readonly receivedAt: Date;
  /** The client's address, as resolved by the middleware (for IP allow-lists). */
  readonly remoteIp?: string;
}

/** A verified webhook, normalised across providers. */
export interface VerifiedEvent {
  /** The provider's event id, or an id derived from the payload when the provider sends none. */
  id: string;
  /** The event type, e.g. `charge.succeeded`; receivers are matched on it. */
  type: string;
  /** The event's data object (Stripe `data.object`, Paystack `data`, ...): `signal.data`. */
  data: unknown;
  /** The whole parsed payload. */
  payload: unknown;
  /** Whether the event comes from live mode, when the provider says. */
  livemode?: boolean;
  /** When the provider created the event, when it says. */
  createdAt?: Date;
  /**
   * The JSON text to store as the event's payload when it is not the request body: the copy
   * fetched from the provider's API (`validation: 'retrieve'`, sync), or the payload a provider
   * decoded from a body that is not JSON (Braintree's form).
   * @default the body as received
   */
  payloadText?: string;
}

/**
 * What {@link Provider.verify} returns: one event, or several when one request carries several
 * (Adyen posts a batch of notification items, each signed on its own). Several are stored in one
 * transaction, all or none, each with its own deliveries; an id that appears twice is stored
 * once. At most {@link MAX_EVENTS_PER_REQUEST}, and never none.
 */
export type Verified = VerifiedEvent | readonly VerifiedEvent[];

/** The most events one request may carry; a provider returning more gets a 400 `invalid_payload`. */
export const MAX_EVENTS_PER_REQUEST = 100;

/**
 * A provider's own answer to a request whose events were stored (or had been already), sent
 * instead of the JSON `{ received, event, duplicate }`: Adyen expects the body `[accepted]`.
 * Error answers stay the library's JSON ones.
 *
 * @example
 * const answer: SuccessAnswer = { status: 200, contentType: 'text/plain', body: '[accepted]' };
 */
export interface SuccessAnswer {
  /**
   * The status, a 2xx other than 204 (the answer has a body).
   * @default 200
   */
  readonly status?: number;
  /** The `Content-Type` header. */
  readonly contentType: string;
  /** The body, sent as it is. */
  readonly body: string;
}

/** What {@link ProviderApi.listEvents} lists. */
export interface ListEventsOptions {
  /** Events (or transactions) created at or after this time. */
  since: Date;
  /**
   * ... and at or before this time.
   * @default when the listing starts
   */
  until?: Date;
  /**
   * Only these event types (exact, `prefix.*` or `*`).
   * @default every type
   */
  types?: readonly string[];
}

/** One page of a listing, in the provider's order (newest first for the built-in providers). */
export interface ApiEventPage {
  /** The page's objects as the events their webhooks would carry, with the same event ids. */
  events: VerifiedEvent[];
  /** Objects the page held, including those that make no event (a pending transaction). */
  fetched: number;
}

/**
 * A provider's API, for a variant that has its credentials: confirms webhooks (`validation:
 * 'retrieve'`) and lists what the provider knows (sync). Every event it returns has the id its
 * webhook has, so that the store deduplicates the two.
 */
export interface ProviderApi {
  /**
   * The authoritative copy of a verified webhook's event, fetched from the API, with the same
   * event id. Rejects with `NotFoundAtProviderError` or `ProviderUnavailableError`.
   */
  confirm(event: VerifiedEvent): Promise<VerifiedEvent>;
  /** The events since `options.since`, page by page, following the API's pagination. */
  listEvents(options: ListEventsOptions): AsyncIterable<ApiEventPage>;
  /**
   * What the provider says about one payment, by your reference (Paystack, Flutterwave) or its
   * id (Stripe `pi_...`, `cs_...`): the event its webhook carries once it has settled, with
   * the same id where the provider makes one (`pay.reconcile()`). Rejects with
   * `ProviderUnavailableError` when the API cannot be asked.
   */
  reconcile?(reference: string): Promise<ReconcileFinding>;
  /**
   * The object an event is about, fetched now from the API (`signal.fetch()`): a thin event's
   * `related_object`, a snapshot event's `data.object` as it is now.
   */
  fetchObject?(event: { type: string; payload: unknown }): Promise<unknown>;
}

/** What {@link ProviderApi.reconcile} found. */
export type ReconcileFinding =
  | {
      /** The payment has settled: `event` is what its webhook carries. */
      status: 'settled';
      event: VerifiedEvent;
      /** The provider's status of the payment. */
      paymentStatus: string;
    }
  | {
      /** Still in progress (`pending`), or unknown or without an event to store (`not_found`). */
      status: 'pending' | 'not_found';
      /** The provider's status of the payment, when it knows it. */
      paymentStatus?: string;
    };

/**
 * A webhook provider: verifies a request and normalises its payload. Implementations throw
 * `SignatureVerificationError` with a `reason` for anything that is not a genuine webhook.
 *
 * @example
 * const acme: Provider = {
 *   name: 'acme',
 *   verify({ headers, rawBody }) {
 *     if (headers['x-acme-token'] !== process.env.ACME_TOKEN)
 *       throw new SignatureVerificationError('no_matching_signature', 'Bad token.');
 *     const payload = JSON.parse(rawBody.toString('utf8'));
 *     return { id: payload.id, type: payload.kind, data: payload, payload };
 *   },
 * };
 */
export interface Provider {
  /** Provider name, stored on every event row (`stripe`, `paystack`, ...). */
  readonly name: string;
  /**
   * Verifies the request; returns the normalised event, or the events when the request carries
   * several (see {@link Verified}), or throws `SignatureVerificationError`. With several, one
   * that fails verification refuses the whole request: throw, and nothing is stored.
   */
  verify(request: WebhookRequest): Verified | Promise<Verified>;
  /**
   * The answer once the request's events are stored, or were already (a redelivery), when the
   * provider expects its own rather than the library's JSON.
   * @default the JSON answer
   */
  readonly successAnswer?: SuccessAnswer;
  /**
   * Finds `data` in a stored payload, for retries that run from the database. Return the same
   * value `verify()` returned as `data`.
   * @default payload.data
   */
  dataOf?(payload: unknown): unknown;
  /** Header names whose values must never be logged or stored (besides the built-in list). */
  readonly secretHeaders?: readonly string[];
  /**
   * What a stored event is about: the provider object it carries, with a version to order its
   * states, and the normalized payment signal it reports, if any. Called with the stored type and
   * payload (for webhooks, retries and synced events alike); pure, and never throws: a payload it
   * cannot read gives `{}`, or a `problem`. Absent: the events report no facts.
   */
  facts?(type: string, payload: unknown): EventFacts;
  /** The provider's API, when the variant has API credentials (`apiKey`). */
  readonly api?: ProviderApi;
  /**
   * The largest body, in bytes, this provider's requests may have, when it is smaller than the
   * `bodyLimit` setting: a longer body is answered 413 `payload_too_large` before it is read to
   * the end. For a provider that calls its API for every request (Mollie's unsigned `id=tr_…`),
   * so that an unauthenticated caller cannot make it buffer more than a real webhook needs.
   */
  readonly bodyLimit?: number;
}

/** The provider object an event is about. */
export interface ObjectRef {
  /** The provider's name for the kind of object: `payment_intent`, `transaction`, `orders`, ... */
  type: string;
  /** Its id at the provider. */
  id: string;
  /**
   * Orders the states of one object: integer microseconds since the epoch (exact in a double),
   * from the event's time or the object's own update time. A larger version is a newer state;
   * equal versions are a tie, never stale. Absent when the provider gives nothing usable: such
   * events are never stale.
   */
  version?: number;
  /**
   * Where the event's `signal.data` sits in the payload `facts()` was given, when it is that
   * subtree unchanged (Stripe's `['data', 'object']`): the objects mirror then refers to the
   * stored payload instead of keeping a second copy of it. Absent when `signal.data` is built,
   * transformed or fetched apart from the payload; the mirror also keeps a copy whenever
   * `signal.data` is not the very value found at this path, and for the events of a request that
   * carries several. The path is resolved in the text the event is stored with (`payloadText`,
   * else the request body), which must parse to the payload `facts()` was given.
   */
  path?: readonly string[];
}

/** A normalized payment signal an event reports. */
export interface PaymentReport {
  /** The signal to emit beside the provider's own type. */
  signal: PaymentSignalName;
  /**
   * Its data; the pipeline adds `provider` and `variant`, and `occurredAt` when the payload
   * carries no time (Paystack's refunds): the event's `createdAt`, else its receipt.
   */
  facts: Omit<PaymentFacts, 'provider' | 'variant' | 'occurredAt'> & { occurredAt?: Date };
  /**
   * What happened, the same for every event that reports it: `payment:succeeded:<paymentId>`,
   * `payment:failed:<paymentId>`, `payment:refunded:<refund>`. Several events may report one
   * occurrence (Stripe's PaymentIntent, Charge and Checkout Session events of one payment;
   * Square's repeated `payment.updated` while a payment stays COMPLETED): emit the signal once per
   * variant and key.
   */
  key: string;
}

/** What {@link Provider.facts} learns from one event. */
export interface EventFacts {
  /** The object the event is about, when the provider names one. */
  object?: ObjectRef;
  /** The normalized payment signal the event reports; at most one per event. */
  payment?: PaymentReport;
  /**
   * Why an event that looks like a payment reports none (a currency that is not ISO 4217, an
   * amount that is not a whole number of minor units, a missing field), for a warning in the log.
   */
  problem?: string;
}

/** What a built-in provider factory learns about the variant it serves. */
export interface ProviderContext {
  /** The variant name (the URL segment). */
  readonly variant: string;
  /** The public URL of this variant's route, from `payments({ host, protocol, prefix })`. */
  webhookUrl(): string;
  /** The library's logger, for warnings about the provider's traffic. */
  readonly logger?: Logger;
  /** Tuning of the provider API's HTTP client (timeouts, retries; tests inject a clock). */
  readonly http?: ApiHttpOptions;
  /**
   * The variant's `mode` (`'sandbox'` given as `'test'`), for providers whose trust depends on it
   * (PayPal's certificate hosts). Absent: `'any'`.
   */
  readonly mode?: 'live' | 'test' | 'any';
  /**
   * The top-level `trustProxy`: how `request.remoteIp` was read (Paystack's deprecated variant
   * `trustProxy` gives way to it).
   * @default false
   */
  readonly trustProxy?: boolean | number;
  /**
   * Milliseconds since the epoch, for the secret cache's TTL (tests inject one).
   * @default Date.now
   */
  readonly now?: () => number;
}

/** A secret, or several during a rotation: any one of them verifies. */
export type Secret = string | readonly string[];

/**
 * Resolves a variant's signing secret per request, for platforms where each merchant or
 * connected account has its own (one endpoint secret per Stripe Connect account, one per tenant):
 * read what tells the tenant apart (the URL, a header, the unverified body's account id) and
 * return its secret, or several while rotating. Its result is cached (`secretCache`); a resolver
 * that throws or times out answers 503 `secret_unavailable`, so the provider redelivers. The
 * request is not verified yet: use it only to find the secret.
 *
 * @example
 * endpointSecret: async (request) => tenants.secretFor(new URL(request.url).searchParams.get('tenant')),
 */
export type SecretResolver = (request: WebhookRequest) => Secret | Promise<Secret>;

/** A secret option that may also be a {@link SecretResolver}. */
export type SecretOption = Secret | SecretResolver;

/** A built-in provider: its accepted option keys and its factory. */
export interface ProviderDefinition<O> {
  /** Every option key the provider accepts (besides `provider`); others are refused. */
  readonly options: readonly (keyof O & string)[];
  /** Validates the options (throwing `ConfigurationError`) and builds the provider. */
  create(options: O, context: ProviderContext): Provider;
  /**
   * The option holding the signing secret when it may be a {@link SecretResolver}, and a value
   * that passes its validation, with which the other options are checked at start-up.
   */
  readonly resolvableSecret?: { readonly option: keyof O & string; readonly placeholder: string };
}
