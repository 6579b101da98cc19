/** The longest delay setTimeout takes as given. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Work in progress that `close()` waits for: the dispatcher's runs, the webhooks the middleware
 * (or `pay.receive()`) has taken in and not answered yet, and the operator's calls that write.
 */
export class InFlight {
  readonly #work = new Set<Promise<unknown>>();

  /** How many are in progress. */
  get size(): number {
    return this.#work.size;
  }

  /** Counts `work` in until it settles; returns it. */
  add<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
    return tracked;
  }

  /** Counts one in; it is in progress until the returned function is called (once or more). */
  enter(): () => void {
    let leave!: () => void;
    void this.add(
      new Promise<void>((resolve) => {
        leave = resolve;
      }),
    );
    return leave;
  }

  /**
   * Resolves once nothing is in progress (what starts meanwhile is waited for too), or after
   * `timeoutMs`; returns how many are still in progress.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    // Infinity waits for good (setTimeout would fire after 1 ms past 2^31 - 1).
    const timeout = new Promise<false>((resolve) => {
      if (!(timeoutMs <= MAX_TIMER_MS)) return;
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    while (this.#work.size > 0) {
      const settled = Promise.allSettled([...this.#work]).then(() => true);
      if (!(await Promise.race([settled, timeout]))) break;
    }
    clearTimeout(timer);
    return this.#work.size;
  }
}
