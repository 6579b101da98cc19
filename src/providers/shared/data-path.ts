/** Where a provider's `signal.data` sits in its payload, written once as a path. */

/** Whether a value is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value at `path` in `root` (an empty path is `root`); undefined when a step is missing. */
export function readAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * A provider's `dataOf` for a fixed path: the value there, or null when absent. Verifiers and
 * stored-event retries both read `signal.data` through it, and the test samples place data at
 * the same path.
 */
export function dataAt(path: readonly string[]): (payload: unknown) => unknown {
  return (payload) => readAt(payload, path) ?? null;
}
