/**
 * Per-process limits on concurrent runs of a receiver (`receiver(type, fn, { concurrency })`):
 * one queue per limited receiver. A run past the limit waits for a turn, in arrival order;
 * nothing is dropped.
 */

/** The turns of one receiver. */
class Turns {
  readonly limit: number;
  running = 0;
  /** Each waiting run's wake-up: with its turn (true), or without one (false: cancelled). */
  readonly #waiting: ((granted: boolean) => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  acquire(): Promise<boolean> | undefined {
    if (this.running < this.limit) {
      this.running += 1;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    // The turn passes straight to the next run: `running` stays as it is.
    if (next !== undefined) next(true);
    else this.running -= 1;
  }

  /** Wakes every waiting run without a turn. */
  cancel(): void {
    for (const wake of this.#waiting.splice(0)) wake(false);
  }
}

/** The limits of one dispatcher, by receiver name. */
export class ReceiverLimits {
  readonly #turns = new Map<string, Turns>();
  /** Every queue made, those replaced by a new limit included (one per receiver and limit). */
  readonly #queues = new Set<Turns>();

  /**
   * Waits for a turn of `receiver` (at once when it has no limit, or a turn is free) and
   * returns the function that gives it back; undefined when {@link cancelWaiting} woke it
   * without one.
   */
  async acquire(receiver: string, limit: number | undefined): Promise<(() => void) | undefined> {
    if (limit === undefined) return noop;
    let turns = this.#turns.get(receiver);
    if (turns === undefined || turns.limit !== limit) {
      // A receiver registered again with another limit starts a new queue; runs under the old
      // one finish under it.
      turns = new Turns(limit);
      this.#turns.set(receiver, turns);
      this.#queues.add(turns);
    }
    const waiting = turns.acquire();
    if (waiting !== undefined && !(await waiting)) return undefined;
    let released = false;
    const owner = turns;
    return () => {
      if (released) return;
      released = true;
      owner.release();
    };
  }

  /** Wakes every run waiting for a turn, of every receiver, without one (on close). */
  cancelWaiting(): void {
    for (const turns of this.#queues) turns.cancel();
  }

  /**
   * Receivers whose every turn is taken in this process: the retry worker leaves their due
   * deliveries to a later poll rather than fill its batch with runs that would only wait.
   */
  saturated(): string[] {
    const names: string[] = [];
    for (const [name, turns] of this.#turns) {
      if (turns.running >= turns.limit) names.push(name);
    }
    return names;
  }

  /** Runs of `receiver` going on, and waiting for a turn (for tests and the dashboard). */
  usage(receiver: string): { running: number; waiting: number } {
    const turns = this.#turns.get(receiver);
    return { running: turns?.running ?? 0, waiting: turns?.waiting ?? 0 };
  }
}

function noop(): void {}
