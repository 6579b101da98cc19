/** Synchronisation helpers: tests wait for conditions and signals, never for fixed delays. */
import { setImmediate as tick } from 'node:timers/promises';

/** A promise with its resolve function, to hold a receiver until the test lets it go. */
export function gate(): { open(): void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * Resolves once `condition` holds, checking it again on every turn of the event loop (and at
 * most every `everyMs`); rejects after `timeoutMs` with `message`.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number; message?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const every = options.everyMs ?? 10;
  let last = 0;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(options.message ?? 'condition not met in time');
    // Yield to the event loop; re-check at most every `every` ms without a timer-based sleep.
    do await tick();
    while (Date.now() - last < every);
    last = Date.now();
  }
}
