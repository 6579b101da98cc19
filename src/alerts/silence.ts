/**
 * Silence is an alarm: a variant with `expectEvery` that has received no valid webhook for that
 * long is reported silent (the `variant.silent` hook, a warning, the `payments.variant.silent`
 * gauge, a line on the dashboard), and reported again when webhooks resume (`variant.resumed`).
 *
 * Every instance notes the valid webhooks it receives and writes the time to the database a few
 * times a minute at most, never on a webhook's own path (the write is not awaited). The retry
 * worker checks, at most every quarter of the shortest `expectEvery` (and at least every
 * minute), what the database says of each variant; the first instance whose check sees a
 * change records it with a conditional update and reports it, so one silence makes one report
 * however many instances run. A webhook to a variant this instance saw silent checks at once.
 */
import type Emittery from 'emittery';
import type { VariantActivity, VariantActivityRow } from '../store/variant-activity.js';
import type { Logger, PaymentsHooks } from '../types.js';

/** The longest wait between two checks, and between two writes of an instance's last webhook. */
const MAX_CADENCE_MS = 60_000;

/** What a {@link SilenceWatch} works with. */
export interface SilenceWatchDependencies {
  /** `expectEvery` of each variant that has one, in ms. */
  expectEvery: ReadonlyMap<string, number>;
  activity: VariantActivity;
  hooks: Emittery<PaymentsHooks>;
  logger: Logger;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
}

/** A variant reported silent. */
export interface SilentVariant {
  variant: string;
  /** `expectEvery`, in ms. */
  expectEvery: number;
  /** The last valid webhook any instance recorded; null when none ever was. */
  lastWebhookAt: Date | null;
  /** When the silence began: the last webhook (or the start of the watch) plus `expectEvery`. */
  silentSince: Date;
}

/** The silence watch of one instance. */
export class SilenceWatch {
  readonly #expectEvery: ReadonlyMap<string, number>;
  readonly #activity: VariantActivity;
  readonly #hooks: Emittery<PaymentsHooks>;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** How often to check, and to write this instance's last webhook of a variant. */
  readonly #cadenceMs: number;
  /**
   * Per variant: the newest valid webhook this instance saw (`at`), the newest it has written
   * (`written`), when it last began a write (`lastWrite`, on the clock), and the write going on.
   */
  readonly #seen = new Map<
    string,
    { at: number; written: number; lastWrite: number; inFlight: Promise<void> | undefined }
  >();
  /** The variants the last check found silent. */
  readonly #silent = new Set<string>();
  #lastCheck = Number.NEGATIVE_INFINITY;
  #checking: Promise<void> | undefined;

  constructor(dependencies: SilenceWatchDependencies) {
    this.#expectEvery = dependencies.expectEvery;
    this.#activity = dependencies.activity;
    this.#hooks = dependencies.hooks;
    this.#logger = dependencies.logger;
    this.#now = dependencies.now ?? Date.now;
    const shortest = Math.min(...this.#expectEvery.values());
    this.#cadenceMs = Math.min(MAX_CADENCE_MS, shortest / 4);
  }

  /** Whether any variant is watched. */
  get watching(): boolean {
    return this.#expectEvery.size > 0;
  }

  /**
   * Notes a valid webhook of `variant` now. Writes it to the database when the last write of
   * this variant is older than the cadence, without waiting (a failed write is tried again with
   * the next webhook, or the next check); checks at once when the variant was silent.
   */
  seen(variant: string): void {
    if (!this.#expectEvery.has(variant)) return;
    const now = this.#now();
    let entry = this.#seen.get(variant);
    if (entry === undefined) {
      entry = {
        at: now,
        written: Number.NEGATIVE_INFINITY,
        lastWrite: Number.NEGATIVE_INFINITY,
        inFlight: undefined,
      };
      this.#seen.set(variant, entry);
    }
    entry.at = Math.max(entry.at, now);
    if (this.#silent.has(variant)) {
      this.#silent.delete(variant); // one check per resume, not one per webhook
      void this.check().catch((error: unknown) => {
        this.#logger.warn(
          { err: error, variant },
          'koa-payments: could not check whether a silent variant resumed',
        );
      });
    } else if (entry.inFlight === undefined && now - entry.lastWrite >= this.#cadenceMs) {
      void this.#write(variant);
    }
  }

  /**
   * Writes the newest webhook seen of `variant`, or joins the write going on. A failed write is
   * logged; the next webhook or check tries again.
   */
  #write(variant: string): Promise<void> {
    const entry = this.#seen.get(variant);
    if (entry === undefined) return Promise.resolve();
    if (entry.inFlight !== undefined) return entry.inFlight;
    const at = entry.at;
    entry.lastWrite = this.#now();
    const write = this.#activity.seen(variant, new Date(at)).then(
      () => {
        entry.written = Math.max(entry.written, at);
      },
      (error: unknown) => {
        this.#logger.debug(
          { err: error, variant },
          'koa-payments: could not record the time of the last webhook; the next one tries again',
        );
      },
    );
    entry.inFlight = write.finally(() => {
      entry.inFlight = undefined;
    });
    return entry.inFlight;
  }

  /** Checks when the last check is older than the cadence (the worker calls it each poll). */
  async maybeCheck(): Promise<void> {
    if (!this.watching || this.#now() - this.#lastCheck < this.#cadenceMs) return;
    await this.check();
  }

  /**
   * Writes this instance's last webhooks, reads every instance's, and reports each variant whose
   * state changed: `variant.silent`, or `variant.resumed`. One check at a time.
   */
  check(): Promise<void> {
    if (!this.watching) return Promise.resolve();
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    const now = this.#now();
    this.#lastCheck = now;
    for (const [variant, entry] of this.#seen) {
      // A write going on may hold an older time than the newest seen: wait, then write again.
      if (entry.inFlight !== undefined) await entry.inFlight;
      if (entry.at > entry.written) await this.#write(variant);
    }
    const rows = await this.#activity.watch([...this.#expectEvery.keys()], new Date(now));
    for (const row of rows) {
      const expectEvery = this.#expectEvery.get(row.variant) as number;
      await this.#checkOne(row, expectEvery, now);
    }
  }

  async #checkOne(row: VariantActivityRow, expectEvery: number, now: number): Promise<void> {
    const { variant, lastWebhookAt } = row;
    // Without any webhook on record, the silence counts from when the variant was first watched.
    const from = (lastWebhookAt ?? row.watchedSince).getTime();
    const silent = now - from > expectEvery;
    if (silent) this.#silent.add(variant);
    else this.#silent.delete(variant);
    if (silent && row.silentSince === null) {
      const silentSince = new Date(from + expectEvery);
      if (!(await this.#activity.markSilent(variant, silentSince))) return;
      this.#logger.warn(
        { variant, expectEvery, lastWebhookAt },
        `koa-payments: variant "${variant}" has received no valid webhook for longer than its expectEvery; check the endpoint at the provider`,
      );
      await this.#emit('variant.silent', { variant, expectEvery, lastWebhookAt, silentSince });
    } else if (!silent && row.silentSince !== null && lastWebhookAt !== null) {
      if (!(await this.#activity.markResumed(variant))) return;
      this.#logger.info(
        { variant, lastWebhookAt },
        `koa-payments: variant "${variant}" receives webhooks again`,
      );
      await this.#emit('variant.resumed', {
        variant,
        lastWebhookAt,
        silentSince: row.silentSince,
      });
    }
  }

  /** The variants silent now, as the database says (for the dashboard and the gauge). */
  async silentVariants(): Promise<SilentVariant[]> {
    if (!this.watching) return [];
    const rows = await this.#activity.list([...this.#expectEvery.keys()]);
    return rows
      .filter((row) => row.silentSince !== null)
      .map((row) => ({
        variant: row.variant,
        expectEvery: this.#expectEvery.get(row.variant) as number,
        lastWebhookAt: row.lastWebhookAt,
        silentSince: row.silentSince as Date,
      }))
      .sort((a, b) => a.variant.localeCompare(b.variant));
  }

  /** Each watched variant: whether the database says it is silent (for the gauge). */
  async silence(): Promise<Map<string, boolean>> {
    const silent = new Set((await this.silentVariants()).map((s) => s.variant));
    return new Map([...this.#expectEvery.keys()].map((variant) => [variant, silent.has(variant)]));
  }

  async #emit<K extends 'variant.silent' | 'variant.resumed'>(
    name: K,
    data: PaymentsHooks[K],
  ): Promise<void> {
    if (this.#hooks.listenerCount(name) === 0) return;
    try {
      await this.#hooks.emit(name, data);
    } catch (error) {
      this.#logger.error({ err: error, hook: name }, 'koa-payments: a hook listener threw');
    }
  }
}
