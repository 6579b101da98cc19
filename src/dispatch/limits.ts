/**
 * Per-process limits on concurrent runs of a receiver (`receiver(type, fn, { concurrency })`):
 * one queue per limited receiver. A run past the limit waits for a turn, in arrival order;
 * nothing is dropped.
 */

/** The turns of one receiver. */
class Turns {
  readonly limit: number;
  running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  acquire(): Promise<void> | undefined {
    if (this.running < this.limit) {
      this.running += 1;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    // The turn passes straight to the next run: `running` stays as it is.
    if (next !== undefined) next();
    else this.running -= 1;
  }
}

/** The limits of one dispatcher, by receiver name. */
export class ReceiverLimits {
  readonly #turns = new Map<string, Turns>();

  /**
   * Waits for a turn of `receiver` (at once when it has no limit, or a turn is free) and
   * returns the function that gives it back.
   */
  async acquire(receiver: string, limit: number | undefined): Promise<() => void> {
    if (limit === undefined) return noop;
    let turns = this.#turns.get(receiver);
    if (turns === undefined || turns.limit !== limit) {
      // A receiver registered again with another limit starts a new queue; runs under the old
      // one finish under it.
      turns = new Turns(limit);
      this.#turns.set(receiver, turns);
    }
    const waiting = turns.acquire();
    if (waiting !== undefined) await waiting;
    let released = false;
    const owner = turns;
    return () => {
      if (released) return;
      released = true;
      owner.release();
    };
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
