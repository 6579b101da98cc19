/**
 * Runs after-commit deliveries: each receiver on its own, its outcome recorded on its own
 * delivery row. A failing receiver never stops the others. Every write is made under the
 * runner's lease (store/deliveries.ts): a runner that lost its lease to another records nothing.
 * A receiver's RetryLater is weighed in deferral.ts, paused receivers' deliveries are given back
 * in paused-deliveries.ts, and the signal a receiver gets is built in signal.ts.
 */
import type Emittery from 'emittery';
import type { Knex } from 'knex';
import { InFlight } from '../in-flight.js';
import type { PaymentSignal } from '../objects/facts.js';
import { isPaymentPattern } from '../objects/patterns.js';
import type { ResolvedSettings } from '../settings.js';
import type { RegisteredReceiver, RegistryCore } from '../signals/registry.js';
import { type Deliveries, LeaseLostError } from '../store/deliveries.js';
import type { EventStore } from '../store/event-store.js';
import type { Settled } from '../store/settle.js';
import type { LeasedDelivery, OutcomeRecord, StoredEvent } from '../store/types.js';
import type { ObjectFetcher } from '../sync/fetch.js';
import { NO_TELEMETRY, type RunRecord, type Telemetry } from '../telemetry/telemetry.js';
import type { PaymentsHooks } from '../types.js';
import { nextAttemptAt } from './backoff.js';
import { deferral } from './deferral.js';
import { ReceiverLimits } from './limits.js';
import {
  type DeliveryOutcome,
  describeError,
  type EmitHook,
  reportLost,
  reportOutcome,
} from './outcomes.js';
import { giveBack, holdPaused, type PausedDeliveriesDependencies } from './paused-deliveries.js';
import type { Pauses } from './pauses.js';
import { buildSignal } from './signal.js';

/** Options of {@link Dispatcher.run}. */
export interface RunOptions {
  /**
   * Set by the worker: a claimed delivery that has already used every attempt (its last one
   * never finished) is marked dead instead of being run again.
   */
  retiring?: boolean;
  /** The payment signal the event reports, when the caller has read it already. */
  payment?: PaymentSignal | undefined;
}

/** What a {@link Dispatcher} works with. */
export interface DispatcherDependencies {
  /** For atomic receivers run outside the storing transaction: a transaction of their own. */
  knex: Knex;
  store: EventStore;
  deliveries: Deliveries;
  registry: RegistryCore;
  settings: Pick<ResolvedSettings, 'retry' | 'logger'>;
  hooks: Emittery<PaymentsHooks>;
  /** The data object of a stored event's payload (the provider's `dataOf`). */
  dataOf(event: StoredEvent): unknown;
  /** The payment signal a stored event reports, if any (its provider's `facts`). */
  paymentOf(event: StoredEvent): PaymentSignal | undefined;
  /** The paused receivers, whose deliveries are given back pending instead of run. */
  pauses: Pauses;
  /** Spans and metrics of the runs. @default none */
  telemetry?: Telemetry;
  /** `signal.fetch()`: the event's object from the provider's API. */
  fetchObject: ObjectFetcher;
}

/** Runs deliveries and records their outcomes. Tracks what is in flight for `close()`. */
export class Dispatcher {
  readonly #knex: Knex;
  readonly #store: EventStore;
  readonly #deliveries: Deliveries;
  readonly #registry: RegistryCore;
  readonly #settings: Pick<ResolvedSettings, 'retry' | 'logger'>;
  readonly #hooks: Emittery<PaymentsHooks>;
  readonly #dataOf: (event: StoredEvent) => unknown;
  readonly #paymentOf: (event: StoredEvent) => PaymentSignal | undefined;
  readonly #paused: PausedDeliveriesDependencies;
  readonly #telemetry: Telemetry;
  readonly #limits = new ReceiverLimits();
  readonly #fetchObject: ObjectFetcher;
  readonly #inFlight = new InFlight();
  readonly #renewals = new Set<NodeJS.Timeout>();
  #closed = false;
  /** Set by {@link abandon}: a run still waiting for its turn starts no receiver. */
  #gaveUp = false;
  /**
   * The deliveries of runs in progress whose receivers have not started (checking pauses,
   * waiting for a concurrency turn), by claim: what abandon() gives back.
   */
  readonly #notStarted = new Map<LeasedDelivery, StoredEvent>();

  constructor(dependencies: DispatcherDependencies) {
    this.#knex = dependencies.knex;
    this.#store = dependencies.store;
    this.#deliveries = dependencies.deliveries;
    this.#registry = dependencies.registry;
    this.#settings = dependencies.settings;
    this.#hooks = dependencies.hooks;
    this.#dataOf = dependencies.dataOf;
    this.#paymentOf = dependencies.paymentOf;
    this.#paused = {
      pauses: dependencies.pauses,
      deliveries: dependencies.deliveries,
      store: dependencies.store,
      logger: dependencies.settings.logger,
    };
    this.#telemetry = dependencies.telemetry ?? NO_TELEMETRY;
    this.#fetchObject = dependencies.fetchObject;
  }

  /**
   * Receivers whose every concurrent run (`concurrency`) is taken in this process: the worker
   * claims none of their deliveries until a turn is free.
   */
  saturatedReceivers(): string[] {
    return this.#limits.saturated();
  }

  /** Number of dispatch runs in progress. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Runs `deliveries` of `event` (already leased by the caller) concurrently, records each
   * outcome, then refreshes the event's status. Never rejects: failures are recorded.
   */
  run(
    event: StoredEvent,
    deliveries: readonly LeasedDelivery[],
    data?: unknown,
    options: RunOptions = {},
  ): Promise<void> {
    if (this.#closed) {
      // The database is about to close: a receiver run now could not have its outcome recorded,
      // and would run again once its lease expires. The deliveries are given back instead
      // (pending, their attempt unspent; a redelivery's, a retry's or a replay's claim counted
      // one), for a worker to run once.
      return deliveries.length === 0
        ? Promise.resolve()
        : this.#inFlight.add(giveBack(event, deliveries, this.#paused).then(() => {}));
    }
    return this.#inFlight.add(this.#run(event, deliveries, data, options));
  }

  /** Resolves when every run in flight has settled (or after `timeoutMs`); returns how many were left. */
  drain(timeoutMs: number): Promise<number> {
    return this.#inFlight.drain(timeoutMs);
  }

  /**
   * Starts no run from now on (`close()`, before the database closes): {@link run} leaves the
   * deliveries it is given to a worker. Runs already started go on.
   */
  close(): void {
    this.#closed = true;
  }

  /** Whether {@link close} has been called: a claim made now would only be given back. */
  get closed(): boolean {
    return this.#closed;
  }

  /** {@link #emit}, for the reports of outcomes.ts. */
  readonly #emitHook: EmitHook = (name, data) => this.#emit(name, data);

  /** Emits a hook; a throwing listener is logged, never mistaken for a receiver failure. */
  async #emit<K extends keyof PaymentsHooks>(name: K, data: PaymentsHooks[K]): Promise<void> {
    if (this.#hooks.listenerCount(name) === 0) return; // the common case: nobody listens
    try {
      await this.#hooks.emit(name, data);
    } catch (error) {
      this.#settings.logger.error(
        { err: error, hook: name },
        'koa-payments: a hook listener threw',
      );
    }
  }

  /**
   * Stops renewing the leases of receivers still running (on close, after the drain timeout):
   * their deliveries are then taken over by a worker once the lease expires. Runs whose
   * receivers have not started (checking pauses, waiting for a concurrency turn) never start:
   * resolves once their deliveries are given back (pending, their attempt unspent), for close()
   * to wait for before it closes the database.
   */
  abandon(): Promise<void> {
    this.#gaveUp = true;
    for (const renewal of this.#renewals) clearInterval(renewal);
    this.#renewals.clear();
    const waiting = [...this.#notStarted];
    this.#notStarted.clear();
    this.#limits.cancelWaiting();
    const byEvent = new Map<number, { event: StoredEvent; deliveries: LeasedDelivery[] }>();
    for (const [delivery, event] of waiting) {
      const entry = byEvent.get(event.id) ?? { event, deliveries: [] };
      entry.deliveries.push(delivery);
      byEvent.set(event.id, entry);
    }
    return Promise.all(
      [...byEvent.values()].map(({ event, deliveries }) =>
        this.#giveBackUnstarted(event, deliveries),
      ),
    ).then(() => {});
  }

  /** Gives back deliveries whose receivers did not start because close() gave up waiting. */
  async #giveBackUnstarted(event: StoredEvent, deliveries: LeasedDelivery[]): Promise<void> {
    const given = await giveBack(event, deliveries, this.#paused, { unstarted: true });
    // Pending again: the event's status follows (a failed one is pending again, too).
    if (given) await this.#store.settle(event.id, []).catch(() => {});
  }

  async #run(
    event: StoredEvent,
    deliveries: readonly LeasedDelivery[],
    data: unknown,
    options: RunOptions,
  ): Promise<void> {
    if (deliveries.length === 0) return;
    // Until each receiver starts, abandon() may give its delivery back.
    for (const d of deliveries) this.#notStarted.set(d, event);
    try {
      await this.#runAll(event, deliveries, data, options);
    } finally {
      for (const d of deliveries) this.#notStarted.delete(d);
    }
  }

  async #runAll(
    event: StoredEvent,
    deliveries: readonly LeasedDelivery[],
    data: unknown,
    options: RunOptions,
  ): Promise<void> {
    // Read once per run, and only when a payment receiver runs.
    let payment: PaymentSignal | undefined = options.payment;
    const paymentOf = (): PaymentSignal | undefined => {
      payment ??= this.#paymentOf(event);
      return payment;
    };
    const { logger, retry } = this.#settings;
    // A paused receiver's deliveries go back to pending, their attempt unspent, for whoever
    // claims them after the resume.
    const runnable = await holdPaused(event, deliveries, this.#paused);
    // Held back (paused): given back by holdPaused, not abandon()'s to give back.
    if (runnable !== deliveries)
      for (const d of deliveries) if (!runnable.includes(d)) this.#notStarted.delete(d);
    // close() gave up while this run checked pauses: abandon() gave its deliveries back.
    if (runnable.length === 0 || this.#gaveUp) return;
    const payloadData = data !== undefined ? data : this.#dataOf(event);
    const outcomes = await Promise.all(
      runnable.map((d) => {
        if (!(options.retiring && d.attempt > retry.maxAttempts))
          return this.#execute(event, d, payloadData, paymentOf);
        // The attempt before this claim was the last one, and never finished: it is recorded
        // dead, not given back.
        this.#notStarted.delete(d);
        return this.#abandoned(d);
      }),
    );
    // close() gave up waiting before these started, and abandon() gave them back.
    if (outcomes.every((o) => o.result === 'unstarted')) return;
    // Every outcome of the run and the event's new status: one transaction (one COMMIT, shared
    // with other requests under group commit) instead of one write per receiver.
    let settled: Settled;
    try {
      settled = await this.#store.settle(
        event.id,
        outcomes.filter(
          (o): o is DeliveryOutcome & { record: OutcomeRecord } => o.record !== undefined,
        ),
      );
    } catch (error) {
      // The leases expire and the deliveries run again: at least once.
      logger.error(
        { err: error, event: event.id },
        'koa-payments: could not record the outcomes of a run; its deliveries will be retried after their lease',
      );
      return;
    }
    const { status } = settled;
    const lost = new Set(settled.lost.map((d) => d.id));
    for (const outcome of outcomes) {
      // Another runner claimed the delivery after this one's lease expired: its outcome stands.
      if (outcome.result === 'lost' || lost.has(outcome.delivery.id)) {
        this.#telemetry.delivered(outcome.delivery.receiver, 'lost');
        reportLost(logger, event, outcome);
      } else if (outcome.result !== 'unstarted') {
        this.#telemetry.delivered(outcome.delivery.receiver, outcome.result, outcome.error);
        await reportOutcome(logger, this.#emitHook, event, outcome);
      }
    }
    // Checked here too: the copy of the event is built only for a listener.
    if (this.#hooks.listenerCount('event.settled') > 0) {
      await this.#emit('event.settled', { event: { ...event, status }, status });
    }
  }

  /** Runs one receiver; returns what to record, without writing it (atomic ones excepted). */
  async #execute(
    event: StoredEvent,
    delivery: LeasedDelivery,
    data: unknown,
    paymentOf: () => PaymentSignal | undefined,
  ): Promise<DeliveryOutcome> {
    const { logger, retry } = this.#settings;
    const attempt = delivery.attempt;
    const entry: RegisteredReceiver | undefined = this.#registry.get(delivery.receiver);
    // Renew the lease while the receiver runs, so that a live slow receiver is never taken over
    // by a worker; a dead process stops renewing and its lease expires after leaseMs. Renewal
    // stops once another runner holds the delivery.
    const renewal = setInterval(
      () => {
        this.#deliveries.renew([delivery], retry.leaseMs).then(
          (held) => {
            if (held.has(delivery.id) || !this.#renewals.has(renewal)) return;
            this.#stopRenewing(renewal);
            logger.warn(
              { event: event.id, receiver: delivery.receiver, attempt },
              'koa-payments: a running receiver lost its lease to another runner; its outcome will not be recorded',
            );
          },
          (error: unknown) => {
            logger.warn(
              { err: error, delivery: delivery.id },
              'koa-payments: lease renewal failed',
            );
          },
        );
      },
      Math.max(50, Math.floor(retry.leaseMs / 3)),
    );
    renewal.unref();
    this.#renewals.add(renewal);
    let release: (() => void) | undefined;
    let record: RunRecord | undefined;
    try {
      if (entry === undefined) {
        throw new Error(
          `koa-payments: no receiver named "${delivery.receiver}" is registered in this process`,
        );
      }
      // A receiver of a normalized payment signal gets the one its event reports.
      let payment: PaymentSignal | undefined;
      if (isPaymentPattern(entry.pattern)) {
        payment = paymentOf();
        if (payment === undefined) {
          throw new Error(
            `koa-payments: event ${event.eventId} reports no payment signal now (did its provider's facts() change?)`,
          );
        }
      }
      // close() gave up waiting before this receiver started (it was checking pauses, or it
      // waited for its turn): abandon() gave its delivery back, and the database may be closed,
      // so its outcome could not be recorded. It does not start.
      if (this.#gaveUp) return { delivery, attempt, result: 'unstarted' };
      // A receiver with a `concurrency` limit waits here for a turn, its lease renewed meanwhile.
      release = await this.#limits.acquire(entry.name, entry.concurrency);
      if (this.#gaveUp) return { delivery, attempt, result: 'unstarted' };
      if (entry.atomic) {
        // Outside the storing transaction (a retry or a replay): a transaction of its own,
        // committed together with the delivery's success (or rolled back with it, when the
        // lease was lost meanwhile). It starts once the transaction has its connection, unless
        // close() gave up meanwhile (abandon() then gave the delivery back).
        const run = await this.#knex.transaction(async (trx) => {
          if (this.#gaveUp) return undefined;
          this.#notStarted.delete(delivery);
          const started = this.#telemetry.run(entry.name, event.variant, attempt);
          record = started;
          await started.run(() =>
            entry.fn(buildSignal(event, data, attempt, this.#fetchObject, trx, payment)),
          );
          await this.#deliveries.recordSuccess(delivery, trx);
          return started;
        });
        if (run === undefined) return { delivery, attempt, result: 'unstarted' };
        run.end('succeeded');
        return { delivery, attempt, result: 'succeeded' };
      }
      // Starting: no longer abandon()'s to give back.
      this.#notStarted.delete(delivery);
      const run = this.#telemetry.run(entry.name, event.variant, attempt);
      record = run;
      await run.run(() =>
        entry.fn(buildSignal(event, data, attempt, this.#fetchObject, undefined, payment)),
      );
      run.end('succeeded');
      return { delivery, attempt, result: 'succeeded', record: { status: 'succeeded' } };
    } catch (error) {
      if (error instanceof LeaseLostError) {
        record?.end('lost');
        return { delivery, attempt, result: 'lost' };
      }
      // RetryLater: not a failure, so no failed outcome (nor the failure hook).
      const deferred = deferral(delivery, error, retry);
      if (deferred !== undefined) {
        record?.end('deferred');
        return { delivery, attempt, result: 'deferred', error, record: deferred };
      }
      const next = nextAttemptAt(attempt, retry);
      record?.end(next === null ? 'dead' : 'failed', error);
      return {
        delivery,
        attempt,
        result: next === null ? 'dead' : 'failed',
        error,
        record: {
          status: next === null ? 'dead' : 'failed',
          error: describeError(error),
          nextAttemptAt: next,
        },
      };
    } finally {
      release?.();
      this.#stopRenewing(renewal);
    }
  }

  #stopRenewing(renewal: NodeJS.Timeout): void {
    clearInterval(renewal);
    this.#renewals.delete(renewal);
  }

  /** A delivery whose last attempt started but never finished: dead, without another run. */
  #abandoned(delivery: LeasedDelivery): DeliveryOutcome {
    const last = delivery.attempt - 1;
    const message = `koa-payments: attempt ${last} never finished (its process died or lost its lease) and it was the last one`;
    return {
      delivery,
      attempt: last,
      result: 'dead',
      error: new Error(message),
      record: { status: 'dead', error: message, nextAttemptAt: null, abandoned: true },
    };
  }
}
