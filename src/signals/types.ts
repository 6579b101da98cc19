/**
 * Typed signals. `PaymentSignals` maps an event type to its data type and is open for
 * augmentation; `Signal<K>` is what a receiver is called with.
 */
import type { Knex } from 'knex';
import type { EventSource, StoredEvent } from '../store/types.js';

/**
 * Event type → data type, for every provider. Augment it to type your receivers:
 *
 * @example
 * declare module 'koa-payments' {
 *   interface PaymentSignals {
 *     'order.paid': { orderId: string; amount: number };
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by users and by koa-payments/stripe
export interface PaymentSignals {}

declare const looseSignals: unique symbol;

/**
 * The default map: the known signals typed, any other name still accepted with `unknown` data.
 * (The brand marks it as loose; it exists only in types.)
 */
export type LooseSignals = PaymentSignals & { [type: string]: unknown } & {
  readonly [looseSignals]: true;
};

/** Whether a map is the loose default one. */
type IsLoose<M> = M extends { readonly [looseSignals]: true } ? true : false;

/** The event types a map names explicitly (for the loose map: those of `PaymentSignals`). */
export type SignalKeys<M> =
  IsLoose<M> extends true ? Extract<keyof PaymentSignals, string> : Extract<keyof M, string>;

/** `'a.b.c'` → `'a.*' | 'a.b.*'`: the dot-segment prefixes a receiver may subscribe to. */
export type PrefixPatterns<K extends string> = K extends `${infer Head}.${infer Rest}`
  ? `${Head}.*` | `${Head}.${PrefixPatterns<Rest>}`
  : never;

/**
 * `'payment:succeeded'` → `'payment:*'`: the pattern of a namespace of normalized signals. A
 * colon marks the library's own signals, so that no provider's type collides with them.
 */
export type NamespacePatterns<K extends string> = K extends `${infer Namespace}:${string}`
  ? `${Namespace}:*`
  : never;

/**
 * What `receiver()` accepts for a map: a type, a `prefix.*` or `namespace:*` pattern, or `'*'`.
 * The loose default map accepts any string.
 */
export type SignalPattern<M> =
  IsLoose<M> extends true
    ? string
    : SignalKeys<M> | PrefixPatterns<SignalKeys<M>> | NamespacePatterns<SignalKeys<M>> | '*';

/**
 * The event types a pattern matches in a map. `'*'` is every provider event: it leaves out the
 * normalized signals (`payment:succeeded`, ...), which `'payment:*'` matches.
 */
export type MatchingKeys<M, P extends string> = P extends '*'
  ? IsLoose<M> extends true
    ? never // any event at all, known or not
    : Exclude<SignalKeys<M>, `${string}:${string}`>
  : P extends `${infer Namespace}:*`
    ? Extract<SignalKeys<M>, `${Namespace}:${string}`>
    : P extends `${infer Prefix}.*`
      ? Extract<SignalKeys<M>, `${Prefix}.${string}`>
      : P extends SignalKeys<M>
        ? P
        : never;

/** The data type a receiver of pattern `P` gets: the union over the types it matches. */
export type SignalData<M, P extends string> = [MatchingKeys<M, P>] extends [never]
  ? unknown
  : M[MatchingKeys<M, P> & keyof M];

/**
 * What a receiver is called with.
 *
 * @example
 * receiver('charge.refunded', async ({ data, event, attempt }: Signal<'charge.refunded'>) => {});
 */
export interface Signal<K extends string = string, M = LooseSignals> {
  /** The event type, e.g. `charge.succeeded`. */
  readonly type: [MatchingKeys<M, K>] extends [never] ? string : MatchingKeys<M, K>;
  /** The event's data object (Stripe `data.object`, Paystack `data`, ...). */
  readonly data: SignalData<M, K>;
  /** The stored event row. */
  readonly event: StoredEvent;
  /** The variant the webhook came in on. */
  readonly variant: string;
  /** The provider name of that variant. */
  readonly provider: string;
  /** 1 on the first run, then 2, 3, ... on retries. */
  readonly attempt: number;
  /**
   * True when a newer event about the same provider object (a later version: see
   * docs/objects-and-payments.md) was stored before this one: the event's state is out of date.
   * Decided once, when the event is stored. A tie (equal versions) is never stale, nor an event
   * without a version, nor a normalized payment signal.
   */
  readonly stale: boolean;
  /**
   * Where the event came from: `'webhook'`, or the provider's API (`'sync'`, `'reconcile'`).
   * The same as `event.source`.
   */
  readonly source: EventSource;
  /** The storing transaction, given to `atomic: true` receivers only. */
  readonly trx?: Knex.Transaction;
  /**
   * Fetches the object the event is about from the provider's API, as it is now: a Stripe thin
   * event's `related_object` (thin events carry no snapshot), a Stripe snapshot event's
   * `data.object`, the transaction of a Paystack `charge.*` or Flutterwave `charge.completed`
   * event. One API call (the answer is kept for later calls on this signal). Needs the
   * variant's API key (a `ConfigurationError` without it); rejects with
   * `NotFoundAtProviderError` or `ProviderUnavailableError` like any API call.
   *
   * @example
   * receiver('v1.billing.meter.error_report_triggered', async (signal) => {
   *   const meter = await signal.fetch<Stripe.Billing.Meter>();
   * });
   */
  fetch<T = unknown>(): Promise<T>;
}

/** A receiver function. Its return value is ignored; a throw (or rejection) is a failure. */
export type ReceiverFunction<S = Signal> = (signal: S) => unknown;

/** Options of `receiver()`. */
export interface ReceiverOptions {
  /**
   * Stable name; keys the receiver's delivery rows, so retries re-run only what failed.
   * @default `Class.method` for a decorated static method, else the function's name
   */
  name?: string;
  /**
   * Only events from these variants.
   * @default every variant
   */
  variants?: readonly string[];
  /**
   * Run inside the transaction that stores the event, with `signal.trx`. A throw rolls the event
   * back and answers 500 so the provider redelivers. `false`: run after the commit.
   * @default false
   */
  atomic?: boolean;
  /**
   * Never run for a stale event (`signal.stale`): its delivery is recorded `skipped` instead,
   * which counts as settled. A replay naming the receiver (or `receivers: 'all'`) still runs it.
   * Not for the normalized payment signals, which are never stale.
   * @default false
   */
  skipStale?: boolean;
  /**
   * Most runs of this receiver at once in one process: inline and background dispatch, the
   * retry worker, replays and retries alike. Runs past it wait their turn (their deliveries stay
   * leased to this process meanwhile); nothing is dropped. For a service that allows a few
   * calls at a time. Not with `atomic` (an atomic receiver runs inside the storing transaction).
   * @default no limit
   *
   * @example
   * receiver('charge.succeeded', bookRevenue, { concurrency: 5 });
   */
  concurrency?: number;
}
