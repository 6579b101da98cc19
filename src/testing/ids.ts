/**
 * Fresh identifiers and timestamps for sample payloads: every call returns new ids, so that two
 * samples are two events, never a redelivery of one.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** `prefix` followed by `length` random letters and digits: `id('evt_')` → `evt_1PzX...`. */
export function id(prefix: string, length = 24): string {
  return `${prefix}${pick(ALPHANUMERIC, length)}`;
}

/** `prefix` followed by lower-case letters and digits (Paddle's `evt_01h...` style). */
export function lowerId(prefix: string, length = 26): string {
  return `${prefix}${pick(LOWER_ALPHANUMERIC, length)}`;
}

/** `prefix` followed by upper-case letters and digits (Paystack's `TRF_...`, Square's ids). */
export function upperId(prefix: string, length = 16): string {
  return `${prefix}${pick(ALPHANUMERIC.slice(0, 26) + ALPHANUMERIC.slice(52), length)}`;
}

/** A random integer id of 9 to 10 digits, as Paystack and Flutterwave number their objects. */
export function numericId(): number {
  return randomInt(100_000_000, 9_999_999_999);
}

/** A random UUID (Square's event ids, Lemon Squeezy's identifiers). */
export function uuid(): string {
  return randomUUID();
}

/** Now, in Unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Now (or `offsetSeconds` from now), as an ISO 8601 string with milliseconds. */
export function isoNow(offsetSeconds = 0): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString();
}
