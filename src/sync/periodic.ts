/**
 * The periodic catch-up: the variants with a `sync: { every, lookback }` option are synced by
 * the worker, each by one process at a time across every process on the database. Before a run,
 * a process takes the variant's lease row (store/sync-state.ts), which it gets only when the
 * lease is free and `every` has passed since the last run started; it renews the lease while
 * the run lasts and records, with the lease's token, when the run ended and what it found.
 *
 * A run lists from `lookback` before its start, or from where the last successful run's window
 * ended when that is earlier (the workers were down for longer), at most 30 days back.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type Emittery from 'emittery';
import type { PaymentsError } from '../errors.js';
import type { SyncStateStore } from '../store/sync-state.js';
import type { Logger, PaymentsHooks } from '../types.js';
import type { ResolvedSchedule } from './schedule.js';
import type { SyncRequest } from './sync.js';
import type { SyncOutcome, SyncRunRecord } from './types.js';

/** The furthest back a run reaches when it covers a gap (Stripe keeps events for 30 days). */
export const MAX_GAP_MS = 30 * 24 * 60 * 60 * 1000;

/** The longest a process waits before looking at a variant's row again. */
const MAX_IDLE_MS = 60_000;

/** How often the loop asks whether the tables are there, before they are. */
const SCHEMA_POLL_MS = 1_000;

/** What a {@link PeriodicSync} works with. */
export interface PeriodicSyncDependencies {
  schedules: ReadonlyMap<string, ResolvedSchedule>;
  state: SyncStateStore;
  /** Runs one sync (runSync over the instance's pipeline). */
  sync(variant: string, request: SyncRequest): Promise<SyncOutcome>;
  hooks: Emittery<PaymentsHooks>;
  logger: Logger;
  /** The lease of a run, renewed while it lasts. */
  leaseMs: number;
  /**
   * Whether the tables are there (the retry worker's answer): until they are, the loop touches
   * no table, so an app that starts before `pay.migrate()` logs no error.
   */
  ready(): Promise<boolean>;
}

/** Runs the scheduled syncs of one instance while started. */
export class PeriodicSync {
  readonly #deps: PeriodicSyncDependencies;
  readonly #holder = `${hostname()}:${process.pid}`;
  /** When to look at each variant's row next, in this process. */
  readonly #nextCheck = new Map<string, number>();
  readonly #running = new Map<string, Promise<void>>();
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(dependencies: PeriodicSyncDependencies) {
    this.#deps = dependencies;
  }

  /** Starts the loop (idempotent); its timers do not keep the process alive. */
  start(): void {
    if (this.#loop !== undefined || this.#deps.schedules.size === 0) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal);
  }

  /**
   * Stops the loop and the runs in progress (between two events; what they stored stays, and
   * their window is listed again by the next run), and waits for them at most `timeoutMs`.
   */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.#abort?.abort(new Error('the worker is stopping'));
    const all = Promise.allSettled([this.#loop, ...this.#running.values()]);
    if (Number.isFinite(timeoutMs)) {
      await Promise.race([all, delay(timeoutMs, undefined, { ref: false })]);
    } else {
      await all;
    }
    this.#loop = undefined;
    this.#abort = undefined;
  }

  /**
   * Runs the variants that are due now in this process (those whose lease it gets), and waits for
   * them; resolves with the variants it ran. They stop between two events when `stop()` is
   * called, or `signal` aborts.
   */
  async runDue(now = new Date(), signal?: AbortSignal): Promise<string[]> {
    const ran: string[] = [];
    const own = this.#abort?.signal;
    const stopping =
      own === undefined || signal === undefined ? (own ?? signal) : AbortSignal.any([own, signal]);
    await Promise.all(
      [...this.#deps.schedules.keys()].map(async (variant) => {
        if (await this.#tryRun(variant, now, stopping)) ran.push(variant);
      }),
    );
    return ran;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.#ready())) {
        try {
          await delay(SCHEMA_POLL_MS, undefined, { signal, ref: false });
        } catch {
          return; // aborted
        }
        continue;
      }
      const now = Date.now();
      for (const variant of this.#deps.schedules.keys()) {
        if (this.#running.has(variant) || (this.#nextCheck.get(variant) ?? 0) > now) continue;
        const run = this.#tryRun(variant, new Date(now), signal)
          .then(() => undefined)
          .catch((error: unknown) => {
            this.#deps.logger.error(
              { err: error, variant },
              'koa-payments: the periodic sync could not run; retrying',
            );
            this.#nextCheck.set(variant, Date.now() + this.#idle(variant));
          })
          .finally(() => this.#running.delete(variant));
        this.#running.set(variant, run);
      }
      // Sleep until the next variant may be due, or until a run ends.
      let next = now + MAX_IDLE_MS;
      for (const [variant, at] of this.#nextCheck) {
        if (!this.#running.has(variant)) next = Math.min(next, at);
      }
      try {
        await Promise.race([
          delay(Math.max(10, next - Date.now()), undefined, { signal, ref: false }),
          ...this.#running.values(),
        ]);
      } catch {
        return; // aborted
      }
    }
  }

  /** Whether the tables are there; a failure to tell (the database down) counts as no. */
  async #ready(): Promise<boolean> {
    try {
      return await this.#deps.ready();
    } catch {
      return false;
    }
  }

  /** Waits after a failed attempt to look at the row: the period, at most a minute. */
  #idle(variant: string): number {
    return Math.min(this.#deps.schedules.get(variant)?.everyMs ?? MAX_IDLE_MS, MAX_IDLE_MS);
  }

  /** Takes the variant's lease if it is due and runs it; resolves with whether it ran. */
  async #tryRun(variant: string, now: Date, signal: AbortSignal | undefined): Promise<boolean> {
    const schedule = this.#deps.schedules.get(variant) as ResolvedSchedule;
    const { state, leaseMs } = this.#deps;
    const token = randomUUID();
    const lease = await state.acquire(variant, {
      token,
      holder: this.#holder,
      now,
      everyMs: schedule.everyMs,
      leaseMs,
    });
    if (lease === undefined) {
      // Another process ran it this period, or runs it now: look again when it may be due.
      const row = await state.get(variant);
      const due = Math.max(
        (row?.lastRunAt?.getTime() ?? 0) + schedule.everyMs,
        row?.leaseUntil?.getTime() ?? 0,
      );
      this.#nextCheck.set(variant, Math.min(due, Date.now() + MAX_IDLE_MS));
      return false;
    }
    this.#nextCheck.set(variant, now.getTime() + schedule.everyMs);
    const since = windowStart(now, schedule.lookbackMs, lease.state.coveredUntil);
    const renewal = setInterval(
      () => {
        state.renew(variant, token, leaseMs).catch((error: unknown) => {
          this.#deps.logger.warn(
            { err: error, variant },
            'koa-payments: could not renew the periodic sync lease',
          );
        });
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
    const window = { since: since.toISOString(), until: now.toISOString() };
    try {
      const result = await this.#deps.sync(variant, {
        since,
        until: now,
        types: schedule.types,
        onProgress: undefined,
        dryRun: false,
        signal,
      });
      const record: SyncRunRecord = {
        ...window,
        ...result,
        durationMs: Date.now() - now.getTime(),
      };
      await this.#finish(variant, token, 'succeeded', record, now);
      this.#deps.logger.info({ variant, ...record }, 'koa-payments: periodic sync done');
      await this.#emit('sync.completed', { variant, since, until: now, result });
    } catch (error) {
      const failure = error as Partial<PaymentsError> & { result?: SyncOutcome };
      const record: SyncRunRecord = {
        ...window,
        ...failure.result,
        durationMs: Date.now() - now.getTime(),
        error: {
          code: typeof failure.code === 'string' ? failure.code : 'internal_error',
          message: error instanceof Error ? error.message : String(error),
        },
      };
      await this.#finish(variant, token, 'failed', record, undefined);
      this.#deps.logger.warn(
        { err: error, variant, since: window.since, until: window.until },
        'koa-payments: periodic sync failed; the next run lists its window again',
      );
      await this.#emit('sync.failed', { variant, since, until: now, error });
    } finally {
      clearInterval(renewal);
    }
    return true;
  }

  async #finish(
    variant: string,
    token: string,
    status: 'succeeded' | 'failed',
    record: SyncRunRecord,
    coveredUntil: Date | undefined,
  ): Promise<void> {
    const kept = await this.#deps.state.finish(variant, token, {
      status,
      record,
      finishedAt: new Date(),
      coveredUntil,
    });
    if (!kept) {
      this.#deps.logger.warn(
        { variant },
        'koa-payments: the periodic sync lost its lease before it ended (another process took the variant over); its result is not recorded',
      );
    }
  }

  async #emit<K extends 'sync.completed' | 'sync.failed'>(
    name: K,
    data: PaymentsHooks[K],
  ): Promise<void> {
    const { hooks, logger } = this.#deps;
    if (hooks.listenerCount(name) === 0) return;
    try {
      await hooks.emit(name, data);
    } catch (error) {
      logger.error({ err: error, hook: name }, 'koa-payments: a hook listener threw');
    }
  }
}

/**
 * Where a run's window starts: `lookback` before `now`, or where the last successful window
 * ended when that is earlier, never more than {@link MAX_GAP_MS} back.
 */
export function windowStart(now: Date, lookbackMs: number, coveredUntil: Date | null): Date {
  const fromLookback = now.getTime() - lookbackMs;
  const fromLastRun = coveredUntil?.getTime() ?? fromLookback;
  return new Date(Math.max(Math.min(fromLookback, fromLastRun), now.getTime() - MAX_GAP_MS));
}
