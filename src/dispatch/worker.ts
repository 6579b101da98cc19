/**
 * The retry worker: claims due deliveries under a lease and runs them through the dispatcher.
 * Due means failed with its next attempt come, or pending/running with an expired lease (the
 * process that held it died). Any number of workers, in any number of processes, share the
 * work: claims are atomic (and `FOR UPDATE SKIP LOCKED` on Postgres).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../settings.js';
import type { EventStore } from '../store/events.js';
import type { RequestLog } from '../store/requests.js';
import type { Delivery, StoredEvent } from '../store/types.js';
import type { Dispatcher } from './dispatcher.js';

/** Worker tuning, resolved. */
export interface WorkerOptions {
  /** Pause between polls when nothing is due. */
  pollIntervalMs: number;
  /** Deliveries claimed per poll. */
  batchSize: number;
  /** Lease of a claimed delivery. */
  leaseMs: number;
  /** Request-log retention; undefined keeps everything. */
  retentionMs: number | undefined;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Runs due deliveries until stopped. */
export class Worker {
  readonly #store: EventStore;
  readonly #dispatcher: Dispatcher;
  readonly #requestLog: RequestLog | undefined;
  readonly #options: WorkerOptions;
  readonly #logger: Logger;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #lastPrune = 0;

  constructor(
    store: EventStore,
    dispatcher: Dispatcher,
    requestLog: RequestLog | undefined,
    options: WorkerOptions,
    logger: Logger,
  ) {
    this.#store = store;
    this.#dispatcher = dispatcher;
    this.#requestLog = requestLog;
    this.#options = options;
    this.#logger = logger;
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

  /** Stops polling and waits for the batch in progress to finish. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    this.#abort = undefined;
  }

  /** Claims one batch of due deliveries and runs it; returns how many ran. */
  async runOnce(): Promise<number> {
    const claimed = await this.#store.claimDue(this.#options.batchSize, this.#options.leaseMs);
    if (claimed.length === 0) return 0;
    const byEvent = new Map<number, Delivery[]>();
    for (const delivery of claimed) {
      const list = byEvent.get(delivery.event) ?? [];
      list.push(delivery);
      byEvent.set(delivery.event, list);
    }
    await Promise.all(
      [...byEvent].map(async ([eventId, deliveries]) => {
        const event: StoredEvent | undefined = await this.#store.getEvent(eventId);
        if (event !== undefined) await this.#dispatcher.run(event, deliveries);
      }),
    );
    return claimed.length;
  }

  /** Deletes request-log lines past the retention, at most once an hour. */
  async #maybePrune(): Promise<void> {
    const { retentionMs } = this.#options;
    if (this.#requestLog === undefined || retentionMs === undefined) return;
    const now = Date.now();
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    const removed = await this.#requestLog.prune(new Date(now - retentionMs));
    if (removed > 0) this.#logger.debug({ removed }, 'koa-payments: pruned the request log');
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let ran = 0;
      try {
        await this.#maybePrune();
        ran = await this.runOnce();
      } catch (error) {
        this.#logger.error(
          { err: error },
          'koa-payments: the retry worker could not poll; retrying',
        );
      }
      if (ran >= this.#options.batchSize) continue; // more may be due right away
      try {
        await delay(this.#options.pollIntervalMs, undefined, { signal, ref: false });
      } catch {
        return; // aborted
      }
    }
  }
}
