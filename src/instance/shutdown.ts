/**
 * What `close()` waits for before it stops the dispatcher and closes the database, and refuses
 * once it has been called: the webhooks the middleware (or `pay.receive()`) takes in, and the
 * operator's calls that write through the store (sync, reconcile, replay, a dashboard retry,
 * pause, prune, ...).
 */
import { shuttingDownError } from '../errors.js';
import { InFlight } from '../in-flight.js';

/** Runs an operator's call, counted in for `close()`; rejects with the 503 once it has begun. */
export type Operate = <T>(work: () => Promise<T>) => Promise<T>;

/** The admission side of an instance's shutdown. */
export class Shutdown {
  readonly #webhooks = new InFlight();
  readonly #operations = new InFlight();
  readonly #abort = new AbortController();
  #closing = false;

  /** Whether `close()` has been called. */
  get closing(): boolean {
    return this.#closing;
  }

  /** `close()` has been called: everything from now on is refused. */
  begin(): void {
    this.#closing = true;
    if (!this.#abort.signal.aborted) this.#abort.abort(shuttingDownError());
  }

  /**
   * A signal aborted (with the 503) when `close()` is called, or when `signal` is: a sync in
   * progress stops between two events instead of running on until the database closes.
   */
  stopping(signal?: AbortSignal | undefined): AbortSignal {
    return signal === undefined
      ? this.#abort.signal
      : AbortSignal.any([signal, this.#abort.signal]);
  }

  /** Throws the 503 `store_unavailable` once `close()` has been called. */
  refuseIfClosing(): void {
    if (this.#closing) throw shuttingDownError();
  }

  /**
   * Takes a webhook in: returns the function to call once it is answered, which `close()` waits
   * for. Throws the 503 once `close()` has been called.
   */
  admit(): () => void {
    this.refuseIfClosing();
    return this.#webhooks.enter();
  }

  /** See {@link Operate}. */
  readonly operate: Operate = (work) => {
    if (this.#closing) return Promise.reject(shuttingDownError());
    return this.#operations.add((async () => work())());
  };

  /**
   * Waits for the webhooks and the operator's calls in progress, at most `timeoutMs`; returns
   * how many of each are left.
   */
  async drain(timeoutMs: number): Promise<{ webhooks: number; operations: number }> {
    const [webhooks, operations] = await Promise.all([
      this.#webhooks.drain(timeoutMs),
      this.#operations.drain(timeoutMs),
    ]);
    return { webhooks, operations };
  }
}
