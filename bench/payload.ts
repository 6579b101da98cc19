/**
 * The load: Stripe-signed `charge.succeeded` events of a chosen size, each with a NEW event id,
 * so that every request measures a real insert and never the duplicate path.
 *
 * Requests are signed before a run starts (a pool), so the load generator only copies bytes while
 * it measures; a run that outlasts the pool signs more on the fly (counted in `signedLive`), and a
 * pooled request older than {@link RESIGN_AFTER_S} is re-signed, so that no request ever falls
 * outside Stripe's 300 s tolerance, however long the run.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** The secret every server of the benchmark is configured with. */
export const BENCH_SECRET = 'whsec_benchmark_secret_0123456789abcdef';

/** Pooled signatures older than this are refreshed before use (Stripe's tolerance is 300 s). */
export const RESIGN_AFTER_S = 200;

/** Event ids are `evt_` + this many characters, fixed, so that a body's size never varies. */
const ID_BODY_LENGTH = 24;
const EVENT_ID_PLACEHOLDER = `evt_${'E'.repeat(ID_BODY_LENGTH)}`;
const CHARGE_ID_PLACEHOLDER = `ch_${'C'.repeat(ID_BODY_LENGTH)}`;

/**
 * A `charge.succeeded` event body as Stripe sends it (pretty-printed JSON, API 2024-06-20 shape),
 * padded with a metadata field to `bytes` bytes (never smaller than the bare event, ~1 000 bytes).
 * The ids are placeholders replaced per request.
 */
export function eventTemplate(bytes: number, created: number): string {
  const event = {
    id: EVENT_ID_PLACEHOLDER,
    object: 'event',
    api_version: '2024-06-20',
    created,
    data: {
      object: {
        id: CHARGE_ID_PLACEHOLDER,
        object: 'charge',
        amount: 4200,
        amount_captured: 4200,
        amount_refunded: 0,
        balance_transaction: 'txn_3PbenchBalanceTxn000001',
        billing_details: { email: 'jenny@example.com', name: 'Jenny Rosen' },
        captured: true,
        created,
        currency: 'eur',
        customer: 'cus_QbenchCustomer01',
        livemode: false,
        metadata: { order_id: 'order_12345', padding: '' },
        outcome: {
          network_status: 'approved_by_network',
          risk_level: 'normal',
          type: 'authorized',
        },
        paid: true,
        payment_intent: 'pi_3PbenchPaymentIntent0001',
        payment_method: 'pm_1PbenchPaymentMethod001',
        receipt_url: 'https://pay.stripe.com/receipts/payment/benchmark',
        refunded: false,
        status: 'succeeded',
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_benchRequest0001', idempotency_key: 'bench-idempotency-key-0001' },
    type: 'charge.succeeded',
  };
  const bare = JSON.stringify(event, null, 2);
  const missing = bytes - Buffer.byteLength(bare);
  if (missing > 0) event.data.object.metadata.padding = 'x'.repeat(missing);
  return JSON.stringify(event, null, 2);
}

/** `t=<unix>,v1=<hex>`: the Stripe-Signature header of `body`. */
export function stripeSignature(body: Buffer, timestamp: number, secret = BENCH_SECRET): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * A fixed-length id body, as random-looking as Stripe's (`evt_1PqX...`): a hash of the run tag and
 * the counter. Sequential ids would always insert at the same end of the unique index, which
 * flatters a store holding a million events.
 */
function idBody(tag: string, n: number): string {
  return createHash('sha256').update(`${tag}:${n}`).digest('hex').slice(0, ID_BODY_LENGTH);
}

/** A fresh tag, so that two runs (or a preload and a run) never share an id. */
export function runTag(): string {
  return randomBytes(6).toString('base64url').replace(/[-_]/g, 'z').slice(0, 8);
}

/** Event bodies with distinct ids, built from one template by substitution. */
export class EventFactory {
  readonly #head: string;
  readonly #middle: string;
  readonly #tail: string;
  readonly #tag: string;
  readonly bytes: number;

  constructor(bytes: number, tag: string = runTag(), created = Math.floor(Date.now() / 1000)) {
    const template = eventTemplate(bytes, created);
    const [head, rest] = template.split(EVENT_ID_PLACEHOLDER) as [string, string];
    const [middle, tail] = rest.split(CHARGE_ID_PLACEHOLDER) as [string, string];
    this.#head = head;
    this.#middle = middle;
    this.#tail = tail;
    this.#tag = tag;
    this.bytes = Buffer.byteLength(template);
  }

  /** The event id of the n-th body. */
  eventId(n: number): string {
    return `evt_${idBody(this.#tag, n)}`;
  }

  /** The n-th body (JSON text). */
  body(n: number): string {
    const id = idBody(this.#tag, n);
    return `${this.#head}evt_${id}${this.#middle}ch_${id}${this.#tail}`;
  }
}

interface Signed {
  body: Buffer;
  timestamp: number;
  signature: string;
}

/** What a {@link RequestSource} tracks for the Postgres suite's check of two shared servers. */
export interface SourceTracking {
  /**
   * Every this many requests, send again the body of the request before (re-signed): a
   * duplicate delivery that may reach the other server while the first is being stored.
   */
  duplicateEvery: number;
}

/** Hands out signed requests, each with a new event id; see the module comment. */
export class RequestSource {
  readonly #factory: EventFactory;
  readonly #pool: Signed[] = [];
  readonly #duplicateEvery: number | undefined;
  #next = 0;
  #fresh = 0;
  #last: Signed | undefined;
  /** With tracking: the event ids handed out (duplicates once). */
  readonly sentIds = new Set<string>();
  /** With tracking: the event ids answered with a 2xx. */
  readonly answeredIds = new Set<string>();
  /** With tracking: duplicate requests handed out. */
  duplicates = 0;
  /** Requests signed during the run because the pool ran out. */
  signedLive = 0;
  /** Pooled requests re-signed because they had grown old. */
  resigned = 0;

  /**
   * @param bytes body size
   * @param poolSize how many requests to sign up front
   * @param tracking send duplicates on purpose and record the ids sent and answered
   */
  constructor(bytes: number, poolSize: number, tracking?: SourceTracking) {
    this.#factory = new EventFactory(bytes);
    this.#duplicateEvery = tracking?.duplicateEvery;
    const now = Math.floor(Date.now() / 1000);
    for (let n = 0; n < poolSize; n += 1) {
      const body = Buffer.from(this.#factory.body(n));
      this.#pool.push({ body, timestamp: now, signature: stripeSignature(body, now) });
    }
  }

  /** Size of each body in bytes. */
  get bytes(): number {
    return this.#factory.bytes;
  }

  /** How many requests have been handed out, duplicates included. */
  get served(): number {
    return this.#next;
  }

  /** The next request: a new event id every time, unless a duplicate is due (tracking). */
  next(): Signed & { eventId?: string } {
    this.#next += 1;
    if (this.#duplicateEvery === undefined) return this.#nextFresh();
    const last = this.#last;
    if (last !== undefined && this.#next % this.#duplicateEvery === 0) {
      this.duplicates += 1;
      const now = Math.floor(Date.now() / 1000);
      return { ...last, timestamp: now, signature: stripeSignature(last.body, now) };
    }
    const eventId = this.#factory.eventId(this.#fresh);
    const signed = { ...this.#nextFresh(), eventId };
    this.sentIds.add(eventId);
    this.#last = signed;
    return signed;
  }

  #nextFresh(): Signed {
    const n = this.#fresh;
    this.#fresh += 1;
    const now = Math.floor(Date.now() / 1000);
    const pooled = this.#pool[n];
    if (pooled !== undefined) {
      // Drop the reference: a long run does not keep every body it has sent.
      this.#pool[n] = undefined as unknown as Signed;
      if (now - pooled.timestamp < RESIGN_AFTER_S) return pooled;
      this.resigned += 1;
      return { ...pooled, timestamp: now, signature: stripeSignature(pooled.body, now) };
    }
    this.signedLive += 1;
    const body = Buffer.from(this.#factory.body(n));
    return { body, timestamp: now, signature: stripeSignature(body, now) };
  }

  /** An autocannon `requests` entry that sends the next request of this source each time. */
  autocannonRequest(path: string): {
    method: string;
    path: string;
    setupRequest: (
      request: { headers?: Record<string, string>; body?: string | Buffer },
      context: Record<string, unknown>,
    ) => typeof request;
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  } {
    const tracking = this.#duplicateEvery !== undefined;
    return {
      method: 'POST',
      path,
      // A connection has one request in flight: its context names the event of that request.
      ...(tracking
        ? {
            onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
              if (status >= 200 && status < 300 && typeof context.eventId === 'string') {
                this.answeredIds.add(context.eventId);
              }
            },
          }
        : {}),
      setupRequest: (request, context) => {
        const signed = this.next();
        if (tracking) context.eventId = signed.eventId;
        request.body = signed.body;
        request.headers = {
          ...request.headers,
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signed.signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        };
        return request;
      },
    };
  }
}
