/**
 * What an instance does for its operator beside receiving webhooks: finding stored events,
 * re-running their receivers, pruning the request log and settled events. payments.ts hands these out as
 * `pay.events`, `pay.replay()` and `pay.prune()`; the CLI and the dashboard call them there.
 */
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { Pauses } from './dispatch/pauses.js';
import { PaymentsError } from './errors.js';
import type { Operate } from './instance/shutdown.js';
import { isPaymentPattern } from './objects/patterns.js';
import type { ObjectQueries } from './objects/queries.js';
import type { RegistryCore } from './signals/registry.js';
import type { Deliveries } from './store/deliveries.js';
import type { EventRetention } from './store/event-retention.js';
import type { PausedReceivers } from './store/paused-receivers.js';
import type { EventQueries } from './store/queries.js';
import type { RequestLog } from './store/requests.js';
import type { Delivery, LeasedDelivery, StoredEvent } from './store/types.js';
import type {
  EventDetails,
  EventFilter,
  PausedReceiver,
  PruneOptions,
  PruneResult,
  ReceiverPause,
  ReplayOptions,
} from './types.js';

/** Events run at once by {@link Operations.retryDead}. */
const RETRY_LANES = 4;

/** How {@link Operations.retryDelivery} went. */
export interface DeliveryRetry {
  /** Whether the delivery ran (false: it was not failed or dead, or a runner held it). */
  ran: boolean;
  /** The delivery afterwards. */
  delivery: Delivery;
  /** Its event afterwards, with every delivery and request-log line. */
  event: EventDetails;
}

/** How {@link Operations.retryDead} went. */
export interface DeadRetry {
  /** Deliveries run. */
  ran: number;
  succeeded: number;
  /** Failed again, with attempts left: the worker retries them. */
  failed: number;
  /** Failed again, and dead. */
  dead: number;
  /** Dead deliveries of the receiver afterwards. */
  remaining: number;
}

/** What {@link Operations} work with. */
export interface OperationsDependencies {
  queries: EventQueries;
  /** For the payment signal an event emitted, whose receivers a replay may run. */
  objects: ObjectQueries;
  deliveries: Deliveries;
  registry: RegistryCore;
  dispatcher: Dispatcher;
  /** The request log; undefined when it is off. */
  requestLog: RequestLog | undefined;
  /** The lease a replay takes on the deliveries it runs. */
  leaseMs: number;
  /** Prunes settled events. */
  retention: EventRetention;
  /** The configured retentions, in ms; undefined keeps everything. */
  retentionMs: { requests: number | undefined; events: number | undefined };
  /** The paused receivers' table, and this process's copy of it. */
  paused: PausedReceivers;
  pauses: Pauses;
  /**
   * Counts a call that writes in for `close()`, which waits for it, and refuses it (503) once
   * `close()` has been called: a claim would count an attempt for a run that never starts.
   */
  operate: Operate;
}

/**
 * A prune's cut-off for one table: `option` (a Date, an age in ms, or false), else `configured`
 * ms before `now`; null leaves the table alone.
 */
function cutOff(
  option: Date | number | false | undefined,
  configured: number | undefined,
  now: Date,
  name: string,
): Date | null {
  if (option === false) return null;
  if (option === undefined) {
    return configured === undefined ? null : new Date(now.getTime() - configured);
  }
  const before = typeof option === 'number' ? new Date(now.getTime() - option) : option;
  if (
    !(before instanceof Date) ||
    Number.isNaN(before.getTime()) ||
    (typeof option === 'number' && option < 0)
  ) {
    throw new TypeError(
      `koa-payments: prune({ ${name} }) needs a Date, an age in ms (0 or more) or false`,
    );
  }
  return before;
}

/** The operations of one `payments()` instance. */
export class Operations {
  readonly #queries: EventQueries;
  readonly #objects: ObjectQueries;
  readonly #deliveries: Deliveries;
  readonly #registry: RegistryCore;
  readonly #dispatcher: Dispatcher;
  readonly #requestLog: RequestLog | undefined;
  readonly #leaseMs: number;
  readonly #retention: EventRetention;
  readonly #retentionMs: OperationsDependencies['retentionMs'];
  readonly #paused: PausedReceivers;
  readonly #pauses: Pauses;
  readonly #operate: Operate;

  constructor(dependencies: OperationsDependencies) {
    this.#queries = dependencies.queries;
    this.#objects = dependencies.objects;
    this.#deliveries = dependencies.deliveries;
    this.#registry = dependencies.registry;
    this.#dispatcher = dependencies.dispatcher;
    this.#requestLog = dependencies.requestLog;
    this.#leaseMs = dependencies.leaseMs;
    this.#retention = dependencies.retention;
    this.#retentionMs = dependencies.retentionMs;
    this.#paused = dependencies.paused;
    this.#pauses = dependencies.pauses;
    this.#operate = dependencies.operate;
  }

  /**
   * Pauses a registered receiver on every instance and worker sharing the database: its
   * deliveries stay pending, their attempts unspent, until {@link resume}. Runs already going
   * finish.
   */
  pause(receiver: string, options: { reason?: string } = {}): Promise<ReceiverPause> {
    return this.#operate(async () => {
      this.#requireKnown(receiver, 'pause');
      const reason = options.reason;
      if (reason !== undefined && typeof reason !== 'string') {
        throw new TypeError('koa-payments: pause(receiver, { reason }) takes a string reason');
      }
      const changed = await this.#paused.pause(receiver, reason, new Date());
      this.#pauses.set(receiver, true);
      return this.#pauseState(receiver, changed);
    });
  }

  /**
   * Resumes a paused receiver: its pending deliveries are due again, and the retry worker runs
   * them at its next poll. A receiver that is no longer registered may be resumed (to clear its
   * pause); an unknown one that is not paused is refused.
   */
  resume(receiver: string): Promise<ReceiverPause> {
    return this.#operate(async () => {
      if (typeof receiver !== 'string' || receiver === '') {
        throw new TypeError('koa-payments: resume(receiver) takes a receiver name');
      }
      if (this.#registry.get(receiver) === undefined) {
        const paused = await this.#paused.list();
        if (!paused.some((p) => p.receiver === receiver)) this.#requireKnown(receiver, 'resume');
      }
      const changed = await this.#paused.resume(receiver);
      this.#pauses.set(receiver, false);
      return this.#pauseState(receiver, changed);
    });
  }

  /** The names of the receivers registered in this process, sorted. */
  receiverNames(): string[] {
    return this.#registry
      .list()
      .map((r) => r.name)
      .sort();
  }

  /** The paused receivers, read from the database now. */
  pausedReceivers(): Promise<PausedReceiver[]> {
    return this.#paused.list();
  }

  async #pauseState(receiver: string, changed: boolean): Promise<ReceiverPause> {
    const [paused, waiting] = await Promise.all([
      this.#paused.list(),
      this.#queries.waitingOf(receiver),
    ]);
    const row = paused.find((p) => p.receiver === receiver);
    return {
      receiver,
      paused: row !== undefined,
      pausedAt: row?.pausedAt ?? null,
      reason: row?.reason ?? null,
      changed,
      waiting,
    };
  }

  /** Refuses a name no receiver of this process has, listing the ones it has. */
  #requireKnown(receiver: string, action: string): void {
    if (typeof receiver !== 'string' || receiver === '') {
      throw new TypeError(`koa-payments: ${action}(receiver) takes a receiver name`);
    }
    if (this.#registry.get(receiver) !== undefined) return;
    const known = this.receiverNames();
    throw new PaymentsError(
      'invalid_request',
      404,
      `No receiver named "${receiver}" is registered in this process, so it cannot be ${action}d` +
        (known.length === 0
          ? ' (none is registered: import your receivers first).'
          : `; the receivers are ${known.join(', ')}.`),
    );
  }

  /** Refuses to run now a receiver that is paused: resuming it is the operator's call. */
  async #requireRunning(receiver: string): Promise<void> {
    const paused = await this.#pauses.refresh();
    if (paused.has(receiver)) {
      throw new PaymentsError(
        'invalid_request',
        409,
        `Receiver "${receiver}" is paused; resume it first (its deliveries run after the resume).`,
      );
    }
  }

  /** Events matching a filter, newest first. */
  list(filter?: EventFilter): Promise<StoredEvent[]> {
    return this.#queries.list(filter);
  }

  /**
   * The event with a row id, or with a provider event id (in `variant`, which is needed when
   * several variants hold that id).
   */
  async find(id: number | string, variant?: string): Promise<StoredEvent | undefined> {
    if (typeof id === 'number') return this.#queries.getEvent(id);
    const found = await this.#queries.findEvent(id, variant);
    if (found.length > 1) {
      throw new PaymentsError(
        'invalid_request',
        400,
        `Event ${id} exists in several variants (${found.map((e) => e.variant).join(', ')}); pass the variant.`,
      );
    }
    return found[0];
  }

  /** An event (as {@link find} finds it) with its deliveries and request-log lines. */
  async details(id: number | string, variant?: string): Promise<EventDetails | undefined> {
    const event = await this.find(id, variant);
    if (event === undefined) return undefined;
    return {
      ...event,
      deliveries: await this.#queries.deliveriesOf(event.id),
      requests: this.#requestLog === undefined ? [] : await this.#requestLog.ofEvent(event.id),
    };
  }

  /**
   * Re-runs receivers of a stored event now and resolves with the event once they have run.
   * Deliveries leased by a runner at that moment are left to it.
   */
  replay(id: number | string, options: ReplayOptions = {}): Promise<EventDetails> {
    return this.#operate(async () => {
      const event = await this.find(id, options.variant);
      if (event === undefined) {
        throw new PaymentsError('event_not_found', 404, `No stored event ${String(id)}.`);
      }
      const which = options.receivers ?? 'failed';
      let claimed: LeasedDelivery[];
      if (which === 'failed') {
        claimed = await this.#deliveries.claimForEvent(event.id, this.#leaseMs, {
          statuses: ['failed', 'dead'],
        });
      } else {
        const names = await this.#receiversToReplay(event, which);
        await this.#deliveries.ensure(event.id, names);
        // Skipped deliveries (a stale event) too: a replay forces them.
        claimed = await this.#deliveries.claimForEvent(event.id, this.#leaseMs, {
          statuses: ['pending', 'running', 'failed', 'dead', 'succeeded', 'skipped'],
          receivers: names,
        });
      }
      await this.#dispatcher.run(event, claimed);
      return (await this.details(event.id)) as EventDetails;
    });
  }

  /**
   * Runs a failed or dead delivery now, whatever its next attempt time, and resolves once it has
   * run. A delivery that is not failed or dead any more (it succeeded meanwhile), or that a
   * runner holds at that moment, is left alone: `ran` is false.
   */
  retryDelivery(deliveryId: number): Promise<DeliveryRetry> {
    return this.#operate(async () => {
      const delivery = await this.#queries.getDelivery(deliveryId);
      const event =
        delivery === undefined ? undefined : await this.#queries.getEvent(delivery.event);
      if (delivery === undefined || event === undefined) {
        throw new PaymentsError('invalid_request', 404, `No delivery ${deliveryId}.`);
      }
      this.#requireRegistered(delivery.receiver);
      await this.#requireRunning(delivery.receiver);
      const claimed = await this.#deliveries.claimForEvent(event.id, this.#leaseMs, {
        statuses: ['failed', 'dead'],
        receivers: [delivery.receiver],
      });
      await this.#dispatcher.run(event, claimed);
      const details = (await this.details(event.id)) as EventDetails;
      return {
        ran: claimed.length > 0,
        delivery: details.deliveries.find((d) => d.id === deliveryId) ?? delivery,
        event: details,
      };
    });
  }

  /**
   * Runs now up to `limit` dead deliveries of a receiver, longest dead first, a few events at a
   * time, and resolves with how they ended. Deliveries that die again go to the back of the
   * queue, so that the next call reaches the others.
   */
  retryDead(receiver: string, options: { limit?: number } = {}): Promise<DeadRetry> {
    return this.#operate(async () => {
      this.#requireRegistered(receiver);
      await this.#requireRunning(receiver);
      const dead = await this.#queries.deadOf(receiver, options.limit ?? 100);
      const events = [...new Set(dead.map((d) => d.event))];
      const result: DeadRetry = { ran: 0, succeeded: 0, failed: 0, dead: 0, remaining: 0 };
      const runOne = async (eventId: number): Promise<void> => {
        const event = await this.#queries.getEvent(eventId);
        if (event === undefined) return;
        const claimed = await this.#deliveries.claimForEvent(event.id, this.#leaseMs, {
          statuses: ['dead'],
          receivers: [receiver],
        });
        if (claimed.length === 0) return;
        await this.#dispatcher.run(event, claimed);
        for (const after of await this.#queries.deliveriesOf(event.id)) {
          if (!claimed.some((c) => c.id === after.id)) continue;
          result.ran += 1;
          if (after.status === 'succeeded') result.succeeded += 1;
          else if (after.status === 'dead') result.dead += 1;
          else result.failed += 1;
        }
      };
      // A few events at a time: the receiver is likely to call the same service for each.
      const queue = [...events];
      const lane = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
      };
      await Promise.all(Array.from({ length: Math.min(RETRY_LANES, queue.length) }, lane));
      result.remaining = await this.#queries.countOf(receiver, 'dead');
      return result;
    });
  }

  /** Refuses to run a receiver this process does not have: the attempt would only be lost. */
  #requireRegistered(receiver: string): void {
    if (this.#registry.get(receiver) === undefined) {
      throw new PaymentsError(
        'invalid_request',
        400,
        `No receiver named "${receiver}" is registered in this process.`,
      );
    }
  }

  /**
   * The receivers a replay of `all` or of named receivers runs: those that listen to the event
   * now, and to the payment signal it emitted (it was the first to report that payment). A name
   * that is not registered, or whose receiver does not listen, is refused.
   */
  async #receiversToReplay(
    event: StoredEvent,
    which: 'all' | readonly string[],
  ): Promise<readonly string[]> {
    const listening = this.#registry
      .match(event.type, event.variant)
      .filter((r) => !isPaymentPattern(r.pattern))
      .map((r) => r.name);
    const emitted = await this.#objects.emittedBy(event.id);
    if (emitted !== undefined) {
      listening.push(...this.#registry.match(emitted, event.variant).map((r) => r.name));
    }
    // An event its variant's mode refused matches no receiver; named ones run on request.
    if (which === 'all') return event.ignoredReason === 'mode_mismatch' ? [] : listening;
    const matching = new Set(listening);
    for (const name of which) {
      this.#requireRegistered(name);
      if (!matching.has(name)) {
        throw new PaymentsError(
          'invalid_request',
          400,
          `Receiver "${name}" does not listen to ${event.type} events of variant ${event.variant}.`,
        );
      }
    }
    return which;
  }

  /**
   * Deletes request-log lines and settled events (with their deliveries) older than their
   * retention, or than the cut-offs given; with `dryRun`, counts them only.
   */
  async prune(options: PruneOptions = {}, now: Date = new Date()): Promise<PruneResult> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('koa-payments: prune(options) takes an object: { requests, events }');
    }
    const dryRun = options.dryRun === true;
    const requestLog = this.#requestLog;
    const requestsBefore =
      requestLog === undefined
        ? null
        : cutOff(options.requests, this.#retentionMs.requests, now, 'requests');
    const eventsBefore = cutOff(options.events, this.#retentionMs.events, now, 'events');
    let requests = 0;
    if (requestLog !== undefined && requestsBefore !== null) {
      requests = dryRun
        ? await requestLog.count(requestsBefore)
        : await requestLog.prune(requestsBefore);
    }
    let events = { events: 0, deliveries: 0 };
    if (eventsBefore !== null) {
      events = dryRun
        ? await this.#retention.count(eventsBefore)
        : await this.#retention.prune(eventsBefore);
    }
    return {
      requests,
      events: events.events,
      deliveries: events.deliveries,
      before: { requests: requestsBefore, events: eventsBefore },
      dryRun,
    };
  }
}
