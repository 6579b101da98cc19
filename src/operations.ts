/**
 * What an instance does for its operator beside receiving webhooks: finding stored events,
 * re-running their receivers, pruning the request log. payments.ts hands these out as
 * `pay.events`, `pay.replay()` and `pay.prune()`; the CLI and the dashboard call them there.
 */
import type { Dispatcher } from './dispatch/dispatcher.js';
import { PaymentsError } from './errors.js';
import type { RegistryCore } from './signals/registry.js';
import type { Deliveries } from './store/deliveries.js';
import type { EventQueries } from './store/queries.js';
import type { RequestLog } from './store/requests.js';
import type { LeasedDelivery, StoredEvent } from './store/types.js';
import type { EventDetails, EventFilter, ReplayOptions } from './types.js';

/** What {@link Operations} work with. */
export interface OperationsDependencies {
  queries: EventQueries;
  deliveries: Deliveries;
  registry: RegistryCore;
  dispatcher: Dispatcher;
  /** The request log; undefined when it is off. */
  requestLog: RequestLog | undefined;
  /** The lease a replay takes on the deliveries it runs. */
  leaseMs: number;
}

/** The operations of one `payments()` instance. */
export class Operations {
  readonly #queries: EventQueries;
  readonly #deliveries: Deliveries;
  readonly #registry: RegistryCore;
  readonly #dispatcher: Dispatcher;
  readonly #requestLog: RequestLog | undefined;
  readonly #leaseMs: number;

  constructor(dependencies: OperationsDependencies) {
    this.#queries = dependencies.queries;
    this.#deliveries = dependencies.deliveries;
    this.#registry = dependencies.registry;
    this.#dispatcher = dependencies.dispatcher;
    this.#requestLog = dependencies.requestLog;
    this.#leaseMs = dependencies.leaseMs;
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
  async replay(id: number | string, options: ReplayOptions = {}): Promise<EventDetails> {
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
      const names = this.#receiversToReplay(event, which);
      await this.#deliveries.ensure(event.id, names);
      claimed = await this.#deliveries.claimForEvent(event.id, this.#leaseMs, {
        statuses: ['pending', 'running', 'failed', 'dead', 'succeeded'],
        receivers: names,
      });
    }
    await this.#dispatcher.run(event, claimed);
    return (await this.details(event.id)) as EventDetails;
  }

  /**
   * The receivers a replay of `all` or of named receivers runs: those that listen to the event
   * now. A name that is not registered, or whose receiver does not listen, is refused.
   */
  #receiversToReplay(event: StoredEvent, which: 'all' | readonly string[]): readonly string[] {
    const listening = this.#registry.match(event.type, event.variant).map((r) => r.name);
    // An event its variant's mode refused matches no receiver; named ones run on request.
    if (which === 'all') return event.ignoredReason === 'mode_mismatch' ? [] : listening;
    const matching = new Set(listening);
    for (const name of which) {
      if (this.#registry.get(name) === undefined) {
        throw new PaymentsError(
          'invalid_request',
          400,
          `No receiver named "${name}" is registered.`,
        );
      }
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
   * Deletes request-log lines received before `olderThan` (a Date, or an age in milliseconds);
   * resolves with how many were deleted.
   */
  async prune(olderThan: Date | number): Promise<number> {
    if (this.#requestLog === undefined) return 0;
    const before = typeof olderThan === 'number' ? new Date(Date.now() - olderThan) : olderThan;
    if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
      throw new TypeError('koa-payments: prune({ olderThan }) needs a Date or an age in ms');
    }
    return this.#requestLog.prune(before);
  }
}
