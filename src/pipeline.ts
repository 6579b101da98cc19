/**
 * The receiving pipeline, independent of Koa: verify → store (one transaction, atomic receivers
 * inside) → COMMIT → dispatch the after-commit receivers.
 */

import type { SilenceWatch } from './alerts/silence.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { Pauses } from './dispatch/pauses.js';
import { buildSignal } from './dispatch/signal.js';
import { PaymentsError, ReceiverFailedError, StoreUnavailableError } from './errors.js';
import { eventsOf, type Incoming, isMissingTable, NO_PAUSES, type Origin } from './incoming.js';
import { ModeGate } from './mode-gate.js';
import { type IncomingFacts, incomingFacts } from './objects/incoming.js';
import { isPaymentPattern } from './objects/patterns.js';
import type { Provider, Verified, VerifiedEvent, WebhookRequest } from './providers/types.js';
import type { ResolvedSettings, VariantMode } from './settings.js';
import type { ReceiverCoverage } from './signals/coverage.js';
import {
  hasAtomicReceiver,
  type RegisteredReceiver,
  type RegistryCore,
} from './signals/registry.js';
import type { Deliveries } from './store/deliveries.js';
import type { EventStore } from './store/event-store.js';
import type { Ticket } from './store/group-commit.js';
import type { RequestLog } from './store/requests.js';
import type { StoreInput, StoreResult } from './store/store-event.js';
import type { EventSource, StoredEvent } from './store/types.js';
import type { ObjectFetcher } from './sync/fetch.js';
import type { Telemetry } from './telemetry/telemetry.js';
import type { Received, ReceivedEvent } from './types.js';

/** The ticket of a webhook on its way to the store, as the middleware holds it. */
export type { Ticket };

/** What a {@link Pipeline} works with. */
export interface PipelineDependencies {
  /** The provider of each variant. */
  providers: ReadonlyMap<string, Provider>;
  /** The mode of each variant: which mode's events run receivers. */
  modes: ReadonlyMap<string, VariantMode>;
  /** The dedupe group of each variant: event ids are unique within it. */
  groups: ReadonlyMap<string, string>;
  registry: RegistryCore;
  /** Warns about events no receiver listens to. */
  coverage: ReceiverCoverage;
  store: EventStore;
  deliveries: Deliveries;
  dispatcher: Dispatcher;
  /** The request log; undefined when it is off. */
  requestLog: RequestLog | undefined;
  settings: Pick<ResolvedSettings, 'retry' | 'logger'>;
  /** The paused receivers: a paused atomic receiver does not run inside the storing transaction. */
  pauses: Pauses;
  /** Spans and metrics of the atomic receivers' runs (the dispatcher records the others'). */
  telemetry: Telemetry;
  /** Told of every valid webhook, for `expectEvery`. */
  silence: SilenceWatch;
  /** Called once an event is stored (after COMMIT), before its receivers run. */
  onStored(event: StoredEvent, duplicate: boolean): Promise<void>;
  /** `signal.fetch()` of the atomic receivers. */
  fetchObject: ObjectFetcher;
}

/** The pipeline of one `payments()` instance. */
export class Pipeline {
  readonly #providers: ReadonlyMap<string, Provider>;
  readonly #modeGate: ModeGate;
  readonly #groups: ReadonlyMap<string, string>;
  readonly #eventStore: EventStore;
  readonly #deliveries: Deliveries;
  readonly #registry: RegistryCore;
  readonly #coverage: ReceiverCoverage;
  readonly #dispatcher: Dispatcher;
  readonly #settings: Pick<ResolvedSettings, 'retry' | 'logger'>;
  readonly #onStored: (event: StoredEvent, duplicate: boolean) => Promise<void>;
  readonly #requestLog: RequestLog | undefined;
  readonly #pauses: Pauses;
  readonly #telemetry: Telemetry;
  readonly #silence: SilenceWatch;
  readonly #fetchObject: ObjectFetcher;

  constructor(dependencies: PipelineDependencies) {
    this.#providers = dependencies.providers;
    this.#modeGate = new ModeGate(dependencies.modes, dependencies.settings.logger);
    this.#groups = dependencies.groups;
    this.#eventStore = dependencies.store;
    this.#deliveries = dependencies.deliveries;
    this.#registry = dependencies.registry;
    this.#coverage = dependencies.coverage;
    this.#dispatcher = dependencies.dispatcher;
    this.#requestLog = dependencies.requestLog;
    this.#settings = dependencies.settings;
    this.#onStored = dependencies.onStored;
    this.#pauses = dependencies.pauses;
    this.#telemetry = dependencies.telemetry;
    this.#silence = dependencies.silence;
    this.#fetchObject = dependencies.fetchObject;
  }

  /**
   * Opens the ticket of a webhook on its way (group-commit.ts): the middleware takes one as a
   * request comes in, passes it to {@link receive}, and closes it if the request fails first.
   */
  ticket(): Ticket {
    return this.#eventStore.ticket();
  }

  /**
   * Verifies and stores one webhook for `variant` (each of its events, when the provider returns
   * several, in one transaction), then starts the after-commit receivers. `ticket`, when given,
   * is closed as the events are handed to the store.
   */
  async receive(variant: string, request: WebhookRequest, ticket?: Ticket): Promise<Received> {
    const provider = this.#provider(variant);
    this.#coverage.checkRegistry();
    const verified = eventsOf(await this.#verify(provider, request), provider.name);
    return this.#storeEvents(variant, provider, verified, {
      source: 'webhook',
      receivedAt: request.receivedAt,
      request,
      ticket,
      // A redelivery re-runs at once the receivers that failed; succeeded ones never re-run.
      rerunFailed: true,
    });
  }

  /**
   * Stores an event fetched from the provider's API (sync, reconcile) exactly as a webhook is
   * stored: one transaction, the same receivers, deduplicated with the webhook by event id.
   * A duplicate changes nothing: its failed deliveries keep the worker's schedule.
   */
  storeFetched(
    variant: string,
    verified: VerifiedEvent,
    source: Exclude<EventSource, 'webhook'>,
  ): Promise<Received> {
    const provider = this.#provider(variant);
    this.#coverage.checkRegistry();
    return this.#storeEvents(variant, provider, eventsOf(verified, provider.name), {
      source,
      receivedAt: new Date(),
      request: undefined,
      ticket: undefined,
      rerunFailed: false,
    });
  }

  #provider(variant: string): Provider {
    const provider = this.#providers.get(variant);
    if (provider === undefined) {
      throw new PaymentsError('unknown_variant', 404, `No payment variant named "${variant}".`);
    }
    return provider;
  }

  /**
   * Stores verified events, a webhook's (each of its events, when the provider returns several,
   * in one transaction) or the API's, then starts their after-commit receivers. The variant's
   * rules apply to both: its mode, the objects mirror, the payment signals.
   */
  async #storeEvents(
    variant: string,
    provider: Provider,
    verified: VerifiedEvent[],
    origin: Origin,
  ): Promise<Received> {
    // The request's one request-log line is written with the first event (in the storing
    // transaction: no extra commit, and fsync, per webhook).
    // A paused atomic receiver gets a pending delivery instead of a run in the transaction; after
    // the resume it runs as an atomic receiver's retry does, in a transaction of its own. The
    // paused set is read only when the registry has an atomic receiver, and without a wait while
    // fresh; every request waits alike, so that concurrent ones still share a group commit.
    const atomic = hasAtomicReceiver(this.#registry);
    const current = atomic ? this.#pauses.current() : NO_PAUSES;
    const paused = current instanceof Promise ? await current : current;
    const bodyText = origin.request?.rawBody.toString('utf8');
    const incoming = verified.map((event, index) =>
      this.#incoming(variant, provider, event, origin, {
        bodyText,
        logged: index === 0,
        alone: verified.length === 1,
        paused,
      }),
    );
    let failed: VerifiedEvent | undefined;
    for (const item of incoming) {
      const { runAtomic } = item.input;
      item.input.runAtomic = async (...args) => {
        try {
          await runAtomic(...args);
        } catch (error) {
          failed = item.verified;
          throw error;
        }
      };
    }
    let results: StoreResult[];
    origin.ticket?.close();
    try {
      results =
        incoming.length === 1
          ? [await this.#eventStore.store((incoming[0] as Incoming).input)]
          : await this.#eventStore.storeAll(incoming.map((item) => item.input));
    } catch (error) {
      const first = verified[0] as VerifiedEvent;
      if (error instanceof ReceiverFailedError) {
        this.#settings.logger.error(
          {
            err: error.cause,
            variant,
            eventId: (failed ?? first).id,
            type: (failed ?? first).type,
            receiver: error.receiver,
            attempt: 1,
          },
          'koa-payments: an atomic receiver threw; the event was rolled back (500, the provider retries)',
        );
        throw error;
      }
      this.#settings.logger.error(
        { err: error, variant, eventId: first.id },
        isMissingTable(error)
          ? 'koa-payments: the payments tables are missing; run `await pay.migrate()` at start-up'
          : 'koa-payments: the event store is unavailable; answering 503 so the provider retries',
      );
      throw new StoreUnavailableError(error);
    }
    // expectEvery watches webhooks: an event fetched from the API says nothing of them.
    if (origin.source === 'webhook') this.#silence.seen(variant);
    const runs = await Promise.all(
      incoming.map((item, index) =>
        this.#afterCommit(variant, item, results[index] as StoreResult, origin.rerunFailed),
      ),
    );
    const events = results.map(({ event, duplicate }) => ({ event, duplicate }));
    const [first] = events as [ReceivedEvent];
    const received: Received = {
      event: first.event,
      duplicate: events.every((e) => e.duplicate),
      events,
      dispatched:
        runs.length === 1
          ? (runs[0] as { dispatched: Promise<void> }).dispatched
          : Promise.all(runs.map((run) => run.dispatched)).then(() => {}),
    };
    if (provider.successAnswer !== undefined) received.answer = provider.successAnswer;
    return received;
  }

  /** What storing one verified event takes: its receivers, its facts, its store input. */
  #incoming(
    variant: string,
    provider: Provider,
    verified: VerifiedEvent,
    origin: Origin,
    context: {
      bodyText: string | undefined;
      /** Whether this event's request-log line is written with it (the request's first). */
      logged: boolean;
      /** Whether it is its request's only event. */
      alone: boolean;
      paused: ReadonlySet<string>;
    },
  ): Incoming {
    const { bodyText, logged, alone, paused } = context;
    const ignoredReason = this.#modeGate.reason(variant, verified);
    // An ignored event is stored without deliveries: it runs no receiver, and it neither
    // touches the objects mirror nor emits a payment signal. A provider's own type never
    // reaches a payment receiver, even one named like a payment signal (a custom provider's):
    // those receivers get the signal the event's facts report.
    let receivers =
      ignoredReason === undefined
        ? this.#registry.match(verified.type, variant).filter((r) => !isPaymentPattern(r.pattern))
        : [];
    const facts: IncomingFacts =
      ignoredReason === undefined
        ? incomingFacts(provider, verified, variant, origin.receivedAt, this.#registry, {
            logger: this.#settings.logger,
            // The text stored below is the one `payload` was parsed from: the provider's own, or
            // the body of a request that carries this event alone (else each event of a batch
            // would store the whole body, and a path into one event would miss).
            payloadIsStored: verified.payloadText !== undefined || alone,
          })
        : {};
    if (paused.size > 0) {
      // Both lists: the event's own receivers and those of the payment signal it emits.
      const held = (list: readonly RegisteredReceiver[]) =>
        list.map((r) => (r.atomic && paused.has(r.name) ? { ...r, atomic: false } : r));
      receivers = held(receivers);
      if (facts.emission !== undefined) {
        facts.emission = { ...facts.emission, receivers: held(facts.emission.receivers) };
      }
    }
    const { payment } = facts;
    // A provider that fetched its copy from the API (validation: 'retrieve') stores that copy; an
    // event fetched by sync or reconcile, the payload as the API gave it.
    const payloadText = verified.payloadText ?? bodyText ?? JSON.stringify(verified.payload);
    const request = origin.request;
    const requestLog = this.#requestLog;
    const fetchObject = this.#fetchObject;
    /** The atomic receivers that ran in the storing transaction (counted once it commits). */
    const atomicRuns = new Set<string>();
    const input: StoreInput = {
      event: {
        variant,
        provider: provider.name,
        eventId: verified.id,
        type: verified.type,
        livemode: verified.livemode,
        payloadText,
        payload: verified.payload,
        receivedAt: origin.receivedAt,
        createdAt: verified.createdAt,
        dedupeGroup: this.#groups.get(variant) ?? variant,
        ignoredReason,
        source: origin.source,
      },
      receivers,
      object: facts.object,
      payment: facts.emission,
      runAtomic: async (trx, event, entry, kind) => {
        const run = this.#telemetry.run(entry.name, variant, 1);
        try {
          const reported = kind === 'payment' ? payment : undefined;
          await run.run(() =>
            entry.fn(buildSignal(event, verified.data, 1, fetchObject, trx, reported)),
          );
          atomicRuns.add(entry.name);
        } catch (error) {
          run.end('failed', error);
          throw new ReceiverFailedError(entry.name, error);
        }
        run.end('succeeded');
      },
      leaseMs: this.#settings.retry.leaseMs,
      logRow:
        requestLog === undefined || request === undefined || !logged
          ? undefined
          : (event, bodyInEvent) =>
              requestLog.row({
                variant,
                receivedAt: request.receivedAt,
                remoteIp: request.remoteIp,
                headers: request.headers,
                rawBody: request.rawBody,
                valid: true,
                statusCode: 200,
                error: undefined,
                event: event.id,
                bodyInEvent: bodyInEvent && payloadText === bodyText,
              }),
    };
    return { verified, ignoredReason, receivers, facts, input, atomicRuns };
  }

  /**
   * After the COMMIT, for one event: logs what is worth knowing, claims again the unfinished
   * deliveries of a webhook's redelivery, reports it stored, and starts its receivers (wrapped,
   * so that the caller does not wait for them).
   */
  async #afterCommit(
    variant: string,
    { verified, ignoredReason, receivers, facts, atomicRuns }: Incoming,
    stored: StoreResult,
    rerunFailed: boolean,
  ): Promise<{ dispatched: Promise<void> }> {
    const { event, duplicate } = stored;
    if (!duplicate) {
      // The atomic receivers' successes were committed with the event.
      for (const name of atomicRuns) this.#telemetry.delivered(name, 'succeeded');
    }
    // Ignored for want of a receiver (not for its mode, nor an event whose payment signal has
    // receivers): the receivers may not be imported.
    if (
      !duplicate &&
      ignoredReason === undefined &&
      receivers.length === 0 &&
      facts.emission === undefined
    ) {
      this.#coverage.ignored(variant, event.type, event.eventId);
    }
    if (stored.skipped.length > 0) {
      this.#settings.logger.debug(
        { variant, eventId: event.eventId, receivers: stored.skipped },
        'koa-payments: a newer event about the same object was stored first; skipStale receivers skipped',
      );
    }
    let deliveries = stored.deliveries;
    // Closing: a claim would count an attempt (a dead delivery's past its last) for nothing.
    if (duplicate && rerunFailed && !this.#dispatcher.closed) {
      deliveries = await this.#deliveries
        .claimForEvent(event.id, this.#settings.retry.leaseMs, {
          statuses: ['failed', 'dead', 'pending', 'running'],
        })
        .catch(() => []);
    }
    await this.#onStored(event, duplicate);
    const dispatched = duplicate
      ? this.#dispatcher.run(event, deliveries)
      : this.#dispatcher.run(event, deliveries, verified.data, { payment: facts.payment });
    return { dispatched };
  }

  async #verify(provider: Provider, request: WebhookRequest): Promise<Verified> {
    try {
      return await provider.verify(request);
    } catch (error) {
      if (error instanceof PaymentsError) throw error;
      this.#settings.logger.error(
        { err: error, provider: provider.name },
        'koa-payments: the provider threw something other than a SignatureVerificationError',
      );
      throw new PaymentsError('internal_error', 500, 'The provider failed to verify the request.', {
        cause: error,
      });
    }
  }
}
