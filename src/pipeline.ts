/**
 * The receiving pipeline, independent of Koa: verify → store (one transaction, atomic receivers
 * inside) → COMMIT → dispatch the after-commit receivers.
 */

import type { SilenceWatch } from './alerts/silence.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { buildSignal } from './dispatch/dispatcher.js';
import type { Pauses } from './dispatch/pauses.js';
import {
  PaymentsError,
  ReceiverFailedError,
  SignatureVerificationError,
  StoreUnavailableError,
} from './errors.js';
import { type IncomingFacts, incomingFacts } from './objects/incoming.js';
import { isPaymentPattern } from './objects/patterns.js';
import type { Provider, VerifiedEvent, WebhookRequest } from './providers/types.js';
import type { ResolvedSettings, VariantMode } from './settings.js';
import type { ReceiverCoverage } from './signals/coverage.js';
import type { RegistryCore } from './signals/registry.js';
import type { Deliveries } from './store/deliveries.js';
import type { EventStore } from './store/event-store.js';
import type { Ticket } from './store/group-commit.js';
import type { RequestLog } from './store/requests.js';
import type { LogRow, StoreResult } from './store/store-event.js';
import type { EventSource, IgnoredReason, StoredEvent } from './store/types.js';
import type { ObjectFetcher } from './sync/fetch.js';
import type { Telemetry } from './telemetry/telemetry.js';
import type { Received } from './types.js';

function checkVerified(verified: VerifiedEvent, provider: string): void {
  if (verified === null || typeof verified !== 'object') {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${provider} provider returned no event.`,
    );
  }
  for (const field of ['id', 'type'] as const) {
    if (typeof verified[field] !== 'string' || verified[field] === '') {
      throw new SignatureVerificationError(
        'invalid_payload',
        `The ${provider} payload has no event ${field}.`,
      );
    }
  }
}

function isMissingTable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /no such table|relation .* does not exist/i.test(message);
}

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
  readonly #modes: ReadonlyMap<string, VariantMode>;
  readonly #groups: ReadonlyMap<string, string>;
  /** What was logged once per variant (`<variant> <what>`). */
  readonly #warned = new Set<string>();
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
    this.#modes = dependencies.modes;
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
   * Verifies and stores one webhook for `variant`, then starts its after-commit receivers.
   * `ticket`, when given, is closed as the event is handed to the store.
   */
  async receive(variant: string, request: WebhookRequest, ticket?: Ticket): Promise<Received> {
    const provider = this.#provider(variant);
    this.#coverage.checkRegistry();
    const verified = await this.#verify(provider, request);
    checkVerified(verified, provider.name);
    const bodyText = request.rawBody.toString('utf8');
    // A provider that fetched its copy from the API (validation: 'retrieve') stores that copy.
    const payloadText = verified.payloadText ?? bodyText;
    ticket?.close();
    const requestLog = this.#requestLog;
    return this.#store(variant, provider, verified, {
      source: 'webhook',
      receivedAt: request.receivedAt,
      payloadText,
      // A redelivery re-runs at once the receivers that failed; succeeded ones never re-run.
      rerunFailed: true,
      // The request-log line of a valid request is written in the storing transaction: no
      // extra commit (and fsync) per webhook.
      logRow:
        requestLog === undefined
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
    checkVerified(verified, provider.name);
    return this.#store(variant, provider, verified, {
      source,
      receivedAt: new Date(),
      payloadText: verified.payloadText ?? JSON.stringify(verified.payload),
      rerunFailed: false,
      logRow: undefined,
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
   * Stores a verified event, a webhook's or the API's, then starts its after-commit receivers.
   * The variant's rules apply to both: its mode, the objects mirror, the payment signals.
   */
  async #store(
    variant: string,
    provider: Provider,
    verified: VerifiedEvent,
    origin: {
      source: EventSource;
      receivedAt: Date;
      payloadText: string;
      rerunFailed: boolean;
      logRow: LogRow | undefined;
    },
  ): Promise<Received> {
    const ignoredReason = this.#ignoredReason(variant, verified);
    // An ignored event is stored without deliveries: it runs no receiver, and it neither
    // touches the objects mirror nor emits a payment signal. A provider's own type never
    // reaches a payment receiver, even one named like a payment signal (a custom provider's):
    // those receivers get the signal the event's facts report.
    let receivers =
      ignoredReason === undefined
        ? this.#registry.match(verified.type, variant).filter((r) => !isPaymentPattern(r.pattern))
        : [];
    const { object, payment, emission }: IncomingFacts =
      ignoredReason === undefined
        ? incomingFacts(
            provider,
            verified,
            variant,
            origin.receivedAt,
            this.#registry,
            this.#settings.logger,
          )
        : {};
    if (receivers.some((r) => r.atomic)) {
      // A paused atomic receiver gets a pending delivery instead of a run in the transaction;
      // after the resume it runs as an atomic receiver's retry does, in a transaction of its own.
      const paused = await this.#pauses.current();
      if (paused.size > 0) {
        receivers = receivers.map((r) =>
          r.atomic && paused.has(r.name) ? { ...r, atomic: false } : r,
        );
      }
    }
    const { leaseMs } = this.#settings.retry;
    /** The atomic receivers that ran in the storing transaction (counted once it commits). */
    const atomicRuns = new Set<string>();
    const fetchObject = this.#fetchObject;
    let stored: StoreResult;
    try {
      stored = await this.#eventStore.store({
        event: {
          variant,
          provider: provider.name,
          eventId: verified.id,
          type: verified.type,
          livemode: verified.livemode,
          payloadText: origin.payloadText,
          payload: verified.payload,
          receivedAt: origin.receivedAt,
          createdAt: verified.createdAt,
          dedupeGroup: this.#groups.get(variant) ?? variant,
          ignoredReason,
          source: origin.source,
        },
        receivers,
        object,
        payment: emission,
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
        leaseMs,
        logRow: origin.logRow,
      });
    } catch (error) {
      if (error instanceof ReceiverFailedError) {
        this.#settings.logger.error(
          {
            err: error.cause,
            variant,
            eventId: verified.id,
            type: verified.type,
            receiver: error.receiver,
            attempt: 1,
          },
          'koa-payments: an atomic receiver threw; the event was rolled back (500, the provider retries)',
        );
        throw error;
      }
      this.#settings.logger.error(
        { err: error, variant, eventId: verified.id },
        isMissingTable(error)
          ? 'koa-payments: the payments tables are missing; run `await pay.migrate()` at start-up'
          : 'koa-payments: the event store is unavailable; answering 503 so the provider retries',
      );
      throw new StoreUnavailableError(error);
    }
    const { event, duplicate } = stored;
    // expectEvery watches webhooks: an event fetched from the API says nothing of them.
    if (origin.source === 'webhook') this.#silence.seen(variant);
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
      emission === undefined
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
    if (duplicate && origin.rerunFailed) {
      deliveries = await this.#deliveries
        .claimForEvent(event.id, leaseMs, { statuses: ['failed', 'dead', 'pending', 'running'] })
        .catch(() => []);
    }
    await this.#onStored(event, duplicate);
    const dispatched = duplicate
      ? this.#dispatcher.run(event, deliveries)
      : this.#dispatcher.run(event, deliveries, verified.data, { payment });
    return { event, duplicate, dispatched };
  }

  /**
   * Why the event is to be stored without running receivers, if it is: its variant's `mode`
   * refuses the mode the provider says it comes from. An event whose provider does not say is
   * accepted. Each case is logged at warn once per variant, then at debug.
   */
  #ignoredReason(variant: string, verified: VerifiedEvent): IgnoredReason | undefined {
    const mode = this.#modes.get(variant) ?? 'any';
    if (mode === 'any') return undefined;
    const { livemode } = verified;
    const fields = { variant, mode, eventId: verified.id, type: verified.type };
    if (livemode === undefined) {
      this.#logOnce(
        `${variant} unknown`,
        fields,
        `koa-payments: the provider does not say whether this event is live or test; variant "${variant}" (mode: '${mode}') accepts it`,
      );
      return undefined;
    }
    if (livemode === (mode === 'live')) return undefined;
    this.#logOnce(
      `${variant} mismatch`,
      fields,
      `koa-payments: a ${livemode ? 'live' : 'test'}-mode event reached variant "${variant}" (mode: '${mode}'); it is stored as ignored and runs no receiver`,
    );
    return 'mode_mismatch';
  }

  /** Logs at warn the first time per `key`, then at debug. */
  #logOnce(key: string, fields: Record<string, unknown>, message: string): void {
    const { logger } = this.#settings;
    if (this.#warned.has(key)) {
      logger.debug(fields, message);
    } else {
      this.#warned.add(key);
      logger.warn(fields, message);
    }
  }

  /**
   * Logs a request that did not end in a stored event. Never throws: the log must not change
   * the answer (with the store down, this insert fails too).
   */
  async logFailure(
    variant: string,
    request: Omit<WebhookRequest, 'rawBody' | 'url'> & { rawBody: Buffer | undefined },
    statusCode: number,
    error: PaymentsError,
  ): Promise<void> {
    if (this.#requestLog === undefined) return;
    const reason = error instanceof SignatureVerificationError ? `:${error.reason}` : '';
    try {
      await this.#requestLog.insert({
        variant,
        receivedAt: request.receivedAt,
        remoteIp: request.remoteIp,
        headers: request.headers,
        rawBody: request.rawBody,
        valid: false,
        statusCode,
        error: `${error.code}${reason}`,
        event: undefined,
      });
    } catch (logError) {
      this.#settings.logger.debug(
        { err: logError, variant },
        'koa-payments: could not write the request log line of a failed request',
      );
    }
  }

  async #verify(provider: Provider, request: WebhookRequest): Promise<VerifiedEvent> {
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
