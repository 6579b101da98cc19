/**
 * The retry worker: claims due deliveries under a lease and runs them through the dispatcher.
 * Due means failed with its next attempt come, or pending/running with an expired lease (the
 * process that held it died). Any number of workers, in any number of processes, share the
 * work: claims are atomic (and `FOR UPDATE SKIP LOCKED` on Postgres).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Deliveries } from '../store/deliveries.js';
import type { EventQueries } from '../store/queries.js';
import type { LeasedDelivery } from '../store/types.js';
import type { Logger, PruneResult } from '../types.js';
import type { Dispatcher } from './dispatcher.js';

/** Worker tuning, resolved. */
export interface WorkerOptions {
  /** Pause between polls when nothing is due. */
  pollIntervalMs: number;
  /** Deliveries claimed per poll. */
  batchSize: number;
  /** Lease of a claimed delivery. */
  leaseMs: number;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Wait before retrying a prune that failed; it doubles with each failure, up to the hour. */
const PRUNE_RETRY_MS = 30_000;

/** What a {@link Worker} works with. */
export interface WorkerDependencies {
  deliveries: Deliveries;
  queries: EventQueries;
  dispatcher: Dispatcher;
  /**
   * Applies the retentions (request-log lines, settled events); undefined when nothing is ever
   * pruned.
   */
  prune: (() => Promise<PruneResult>) | undefined;
  options: WorkerOptions;
  logger: Logger;
  /**
   * Whether the tables are there (store/migrate.ts). The worker polls nothing until they are,
   * or until {@link Worker.schemaMigrated} says so.
   */
  schemaReady(): Promise<boolean>;
  /**
   * Checks whether variants with `expectEvery` went silent (alerts/silence.ts), at its own
   * cadence; called each poll. Undefined when no variant is watched.
   */
  checkSilence?: (() => Promise<void>) | undefined;
  /** The clock the prune schedule reads, in ms. @default Date.now */
  now?: () => number;
}

/** Runs due deliveries until stopped. */
export class Worker {
  readonly #deliveries: Deliveries;
  readonly #queries: EventQueries;
  readonly #dispatcher: Dispatcher;
  readonly #prune: (() => Promise<PruneResult>) | undefined;
  readonly #options: WorkerOptions;
  readonly #logger: Logger;
  readonly #schemaReady: () => Promise<boolean>;
  readonly #checkSilence: (() => Promise<void>) | undefined;
  readonly #now: () => number;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #migrated = false;
  #saidWaiting = false;
  #nextPruneAt = 0;
  #pruneFailures = 0;
  readonly #active = new Set<Promise<void>>();

  constructor(dependencies: WorkerDependencies) {
    this.#deliveries = dependencies.deliveries;
    this.#queries = dependencies.queries;
    this.#dispatcher = dependencies.dispatcher;
    this.#prune = dependencies.prune;
    this.#options = dependencies.options;
    this.#logger = dependencies.logger;
    this.#schemaReady = dependencies.schemaReady;
    this.#checkSilence = dependencies.checkSilence;
    this.#now = dependencies.now ?? Date.now;
  }

  /** Tells the worker that the migrations are done (`pay.migrate()` resolved): it may poll. */
  schemaMigrated(): void {
    this.#migrated = true;
  }

  /** Whether the worker loop is running. */
  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Starts the loop (idempotent). Its timers do not keep the process alive. */
  start(): void {
    if (this.#loop !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal);
  }

  /**
   * Stops polling, then waits for the deliveries it started, at most `timeoutMs` (they keep
   * their leases, so another worker takes them over if this process exits first). Resolves with
   * the number of runs still going.
   */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    this.#abort = undefined;
    if (this.#active.size > 0 && timeoutMs > 0) {
      const all = Promise.allSettled([...this.#active]);
      if (Number.isFinite(timeoutMs)) {
        await Promise.race([all, delay(timeoutMs, undefined, { ref: false })]);
      } else {
        await all;
      }
    }
    return this.#active.size;
  }

  /** Claims one batch of due deliveries, runs it and waits for it; returns how many ran. */
  async runOnce(): Promise<number> {
    const { started, runs } = await this.#claimAndStart(this.#options.batchSize);
    await Promise.all(runs);
    return started;
  }

  /**
   * Claims up to `limit` due deliveries and starts them, grouped by event, without waiting:
   * a slow receiver never holds up the next claim. Returns how many were claimed, how many of
   * them started, and the runs.
   */
  async #claimAndStart(
    limit: number,
  ): Promise<{ claimed: number; started: number; runs: Promise<void>[] }> {
    const { leaseMs } = this.#options;
    // A receiver at its concurrency limit here would only wait: its deliveries stay for later.
    const claimed = await this.#deliveries.claimDue(
      limit,
      leaseMs,
      new Date(),
      this.#dispatcher.saturatedReceivers(),
    );
    if (claimed.length === 0) return { claimed: 0, started: 0, runs: [] };
    const events = await this.#queries.getEvents([...new Set(claimed.map((d) => d.event))]);
    // The lease starts again now, just before the runs. Between the claim and here this process
    // may have waited (for the SQLite lock, up to its busy timeout, or a stalled event loop)
    // past the lease, and another runner may have claimed some of the deliveries meanwhile:
    // those are its attempt now, and are left to it.
    const held = await this.#deliveries.renew(claimed, leaseMs);
    const byEvent = new Map<number, LeasedDelivery[]>();
    for (const delivery of claimed) {
      if (!held.has(delivery.id)) {
        this.#logger.warn(
          { event: delivery.event, receiver: delivery.receiver, attempt: delivery.attempt },
          'koa-payments: a claimed delivery was taken over by another runner before it started; leaving it to that runner',
        );
        continue;
      }
      const list = byEvent.get(delivery.event) ?? [];
      list.push(delivery);
      byEvent.set(delivery.event, list);
    }
    const runs: Promise<void>[] = [];
    let started = 0;
    for (const [eventId, deliveries] of byEvent) {
      const event = events.get(eventId);
      if (event === undefined) continue;
      started += deliveries.length;
      const run = this.#dispatcher
        .run(event, deliveries, undefined, { retiring: true })
        .catch((error: unknown) => {
          this.#logger.error({ err: error, event: eventId }, 'koa-payments: a worker run failed');
        })
        .finally(() => {
          this.#active.delete(run);
        });
      this.#active.add(run);
      runs.push(run);
    }
    return { claimed: claimed.length, started, runs };
  }

  /**
   * Whether the tables are there. Until they are (the app has not migrated yet, or another
   * process is migrating), the worker waits without polling, and says so once, at debug. The
   * periodic catch-up (sync/periodic.ts) waits on the same answer.
   */
  async ready(): Promise<boolean> {
    if (this.#migrated) return true;
    this.#migrated = await this.#schemaReady();
    if (!this.#migrated && !this.#saidWaiting) {
      this.#saidWaiting = true;
      this.#logger.debug(
        {},
        'koa-payments: the retry worker waits for the payments tables (await pay.migrate() at start-up)',
      );
    }
    return this.#migrated;
  }

  /**
   * Deletes request-log lines and settled events past their retention, once an hour; after a
   * failure, again after 30 s, doubling up to the hour. A failure is logged and never stops the
   * polling.
   */
  async #maybePrune(): Promise<void> {
    if (this.#prune === undefined) return;
    const now = this.#now();
    if (now < this.#nextPruneAt) return;
    try {
      const { requests, events, deliveries } = await this.#prune();
      this.#pruneFailures = 0;
      this.#nextPruneAt = now + PRUNE_EVERY_MS;
      if (requests + events > 0) {
        this.#logger.debug(
          { requests, events, deliveries },
          'koa-payments: pruned the request log and settled events past their retention',
        );
      }
    } catch (error) {
      this.#pruneFailures += 1;
      const retryInMs = Math.min(PRUNE_EVERY_MS, PRUNE_RETRY_MS * 2 ** (this.#pruneFailures - 1));
      this.#nextPruneAt = now + retryInMs;
      this.#logger.error(
        { err: error, retryInMs },
        'koa-payments: the retry worker could not prune; it tries again',
      );
    }
  }

  /** Checks the silence of watched variants; a failure is logged and never stops the polling. */
  async #maybeCheckSilence(): Promise<void> {
    if (this.#checkSilence === undefined) return;
    try {
      await this.#checkSilence();
    } catch (error) {
      this.#logger.warn(
        { err: error },
        'koa-payments: the retry worker could not check for silent variants; it tries again',
      );
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const capacity = this.#options.batchSize - this.#active.size;
      let claimed = 0;
      if (capacity > 0) {
        try {
          if (await this.ready()) {
            await this.#maybePrune();
            await this.#maybeCheckSilence();
            ({ claimed } = await this.#claimAndStart(capacity));
          }
        } catch (error) {
          this.#logger.error(
            { err: error },
            'koa-payments: the retry worker could not poll; retrying',
          );
        }
      }
      if (capacity > 0 && claimed >= capacity) continue; // more may be due right away
      try {
        await delay(this.#options.pollIntervalMs, undefined, { signal, ref: false });
      } catch {
        return; // aborted
      }
    }
  }
}
