/**
 * Helpers shared by the providers: constant-time compares, HMACs, header access, secret and
 * timestamp checks, JSON parsing with the right failure reason.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import type { SecretOption } from '../types.js';

/**
 * Compares two strings in time independent of where they differ. Lengths are public (every
 * signature of a scheme has the same length), so unequal lengths return false at once.
 */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** HMAC of `parts` (concatenated) under `key`, in the given encoding. */
export function hmac(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: string | Buffer,
  parts: readonly (string | Buffer)[],
  encoding: 'hex' | 'base64',
): string {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest(encoding);
}

/**
 * Whether any received signature equals the signature computed with any of the secrets (several
 * while one is being rotated). Every pair is compared in constant time, with no early exit that
 * would reveal which secret or signature matched.
 */
export function anySignatureMatches<K>(
  keys: readonly K[],
  sign: (key: K) => string,
  received: readonly string[],
): boolean {
  let matched = false;
  for (const key of keys) {
    const expected = sign(key);
    for (const signature of received) if (safeEqual(expected, signature)) matched = true;
  }
  return matched;
}

/** The first value of a header (lower-case name), trimmed; undefined when absent or empty. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Validates a secret option (string or non-empty array of strings) and returns it as an array.
 * Catches the usual copy-paste mistakes at start-up rather than as 400s in production.
 */
export function secrets(
  value: SecretOption | undefined,
  option: string,
  variant: string,
): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : undefined;
  const path = `variants.${variant}.${option}`;
  if (typeof value === 'function') {
    // The providers that take a resolver have it resolved before they see it (secret-resolver.ts).
    throw new ConfigurationError(
      path,
      'cannot be a resolver function for this provider; give the secret (a string, or an array while rotating)',
      variant,
    );
  }
  if (list === undefined || list.length === 0) {
    throw new ConfigurationError(
      path,
      `is required (a string, or an array of strings while rotating), got ${describe(value)}`,
      variant,
    );
  }
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new ConfigurationError(path, 'must contain only non-empty strings', variant);
    }
    if (secret.trim() !== secret) {
      throw new ConfigurationError(
        path,
        'has leading or trailing whitespace; copy the secret again without it',
        variant,
      );
    }
  }
  return list;
}

/**
 * Refuses, at construction, a secret that matches `pattern`: the credential users most often
 * paste by mistake (an API key instead of the webhook signing secret). `hint` says what to use.
 */
export function refuseLookalike(
  keys: readonly string[],
  pattern: RegExp,
  option: string,
  variant: string,
  hint: string,
): void {
  if (keys.some((key) => pattern.test(key))) {
    throw new ConfigurationError(`variants.${variant}.${option}`, hint, variant);
  }
}

/** An ISO 8601 / RFC 3339 date string as a Date; undefined when absent or unparsable. */
export function isoDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Validates a tolerance option in seconds (a non-negative finite number). */
export function tolerance(
  value: number | undefined,
  fallback: number,
  option: string,
  variant: string,
): number {
  const seconds = value ?? fallback;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new ConfigurationError(
      `variants.${variant}.${option}`,
      `must be a non-negative number of seconds, got ${describe(value)}`,
      variant,
    );
  }
  return seconds;
}

/**
 * Throws `timestamp_out_of_tolerance` unless `timestamp` (seconds) lies within `toleranceSeconds`
 * of `receivedAt`, in either direction: a replayed old request and a clock far ahead both fail.
 * A tolerance of 0 disables the check.
 */
export function checkTimestamp(
  timestamp: number,
  receivedAt: Date,
  toleranceSeconds: number,
  label: string,
): void {
  if (toleranceSeconds === 0) return;
  const skew = receivedAt.getTime() / 1000 - timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    const direction = skew > 0 ? 'old' : 'far in the future';
    throw new SignatureVerificationError(
      'timestamp_out_of_tolerance',
      `The ${label} timestamp is too ${direction} (${Math.round(Math.abs(skew))} s, tolerance ${toleranceSeconds} s). ` +
        'Replayed requests are refused; check the server clock if this repeats.',
    );
  }
}

/**
 * How deeply a webhook body's objects and arrays may nest. Real payloads stay under 15 levels; a
 * deeper one is refused, so that nothing downstream (content keys, JSON.stringify in a receiver,
 * the CLI or a dashboard) recurses to the attacker's chosen depth and fails for good.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** Whether a JSON text nests objects and arrays deeper than `limit`; one pass, no recursion. */
export function nestsDeeperThan(text: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      // A backslash escapes the next byte; a quote ends the string.
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > limit) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

/**
 * Parses a signed body as a JSON object, or throws `invalid_payload`: not JSON, not an object,
 * or nested deeper than {@link MAX_PAYLOAD_DEPTH}.
 */
export function parseJsonObject(rawBody: Buffer, label: string): Record<string, unknown> {
  if (nestsDeeperThan(rawBody, MAX_PAYLOAD_DEPTH)) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${label} payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${label} payload is not valid JSON.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${label} payload is not a JSON object.`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** Reads a non-empty string field of a payload, or throws `invalid_payload` naming it. */
export function requireString(
  payload: Record<string, unknown>,
  field: string,
  label: string,
): string {
  const value = payload[field];
  if (typeof value !== 'string' || value === '') {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${label} payload has no "${field}" string.`,
    );
  }
  return value;
}

/** A short description of a wrong option value that never prints the value itself. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}
