/**
 * Keys for events that carry no id of their own (Paystack, Flutterwave): a digest of their
 * content that does not depend on key order or spacing.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so that key order and spacing do not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `sha256-` and 32 hex digits of the SHA-256 of the canonical JSON of `value`: equal for the same
 * content however it is serialised, different as soon as any field differs.
 */
export function contentKey(value: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest('hex');
  return `sha256-${digest.slice(0, 32)}`;
}
