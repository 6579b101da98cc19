/** Reading and writing inside sample payloads: paths, deep merges. Nothing is mutated. */
import type { SamplePayload } from './types.js';

export { readAt } from '../providers/shared/data-path.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `base` with `overrides` merged in, deeply: objects merge key by key, anything else (arrays
 * included) replaces, `undefined` is skipped. Neither argument is mutated.
 */
export function mergeDeep(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): SamplePayload {
  const out: SamplePayload = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value)
        ? mergeDeep(current, value)
        : isPlainObject(value)
          ? mergeDeep({}, value)
          : value;
  }
  return out;
}

/** A copy of `root` with the object at `path` replaced by `update(old)`; creates missing objects. */
export function updateAt(
  root: SamplePayload,
  path: readonly string[],
  update: (current: Record<string, unknown>) => unknown,
): SamplePayload {
  const [head, ...rest] = path;
  if (head === undefined) {
    const result = update(root);
    return isPlainObject(result) ? result : root;
  }
  const child = root[head];
  return {
    ...root,
    [head]:
      rest.length === 0
        ? update(isPlainObject(child) ? child : {})
        : updateAt(isPlainObject(child) ? child : {}, rest, update),
  };
}

/** A copy of `root` with `value` at the dot path `path`, creating objects on the way. */
export function setAt(root: SamplePayload, path: string, value: unknown): SamplePayload {
  const segments = path.split('.');
  const last = segments.pop() as string;
  return updateAt(root, segments, (parent) => ({ ...parent, [last]: value }));
}
