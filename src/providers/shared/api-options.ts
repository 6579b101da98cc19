/**
 * The options of a variant that calls its provider's API: `validation`, `apiBase` and the API
 * key, validated at construction. Messages name the variant and the option, never the value.
 */
import { ConfigurationError } from '../../errors.js';
import { describe } from './signature.js';

/** How a webhook is confirmed: its signature alone, or also the copy fetched from the API. */
export type Validation = 'signature' | 'retrieve';

/** Validates `validation` (default `'signature'`). */
export function validationOption(value: unknown, variant: string): Validation {
  const validation = value ?? 'signature';
  if (validation !== 'signature' && validation !== 'retrieve') {
    throw new ConfigurationError(
      `variants.${variant}.validation`,
      `must be 'signature' (the default) or 'retrieve', got ${describe(value)}`,
      variant,
    );
  }
  return validation;
}

/**
 * Validates `validation` for a provider whose webhooks carry no signature (Mollie's classic
 * `id=tr_…`): the API copy is the only proof, so `'retrieve'` is the only mode, and the default.
 */
export function retrieveOnlyOption(value: unknown, variant: string, provider: string): 'retrieve' {
  if (value === undefined || value === 'retrieve') return 'retrieve';
  throw new ConfigurationError(
    `variants.${variant}.validation`,
    `can only be 'retrieve' for the ${provider} provider: its webhooks carry no signature, so every one is verified by fetching it from the API; got ${describe(value)}`,
    variant,
  );
}

/**
 * Validates `apiBase` (default `fallback`): an http(s) URL without credentials, query or
 * fragment. A path prefix (a proxy's) is kept unless `allowPath` is false.
 */
export function apiBaseOption(
  value: unknown,
  fallback: string,
  variant: string,
  allowPath = true,
): URL {
  const option = `variants.${variant}.apiBase`;
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new ConfigurationError(option, `must be a URL string, got ${describe(value)}`, variant);
  }
  let url: URL;
  try {
    url = new URL(value ?? fallback);
  } catch {
    throw new ConfigurationError(option, `is not a URL ('https://api.example.com')`, variant);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(option, 'must be an http:// or https:// URL', variant);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in logs; the API key travels in a header.
    throw new ConfigurationError(option, 'must not contain credentials', variant);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(option, 'must not contain a query or a fragment', variant);
  }
  if (!allowPath && url.pathname !== '/') {
    throw new ConfigurationError(
      option,
      'is a scheme, host and port only (the stripe package cannot add a path prefix)',
      variant,
    );
  }
  return url;
}

/** What a provider accepts as an API key, and the look-alikes it refuses with a hint. */
export interface ApiKeyRule {
  /** A key that passes (`/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/`). */
  accept: RegExp;
  /** What to use, for the message (`a secret key (sk_...) or a restricted key (rk_...)`). */
  expected: string;
  /** Keys pasted by mistake, each with what it is. Checked before `accept`. */
  refuse: readonly (readonly [RegExp, string])[];
}

/** Validates an API key option; undefined stays undefined. Never echoes the key. */
export function apiKeyOption(
  value: unknown,
  rule: ApiKeyRule,
  variant: string,
  option = 'apiKey',
): string | undefined {
  if (value === undefined) return undefined;
  const path = `variants.${variant}.${option}`;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(path, `must be ${rule.expected}, got ${describe(value)}`, variant);
  }
  if (value.trim() !== value) {
    throw new ConfigurationError(
      path,
      'has leading or trailing whitespace; copy the key again without it',
      variant,
    );
  }
  for (const [pattern, what] of rule.refuse) {
    if (pattern.test(value)) {
      throw new ConfigurationError(path, `${what}; use ${rule.expected}`, variant);
    }
  }
  if (!rule.accept.test(value)) {
    throw new ConfigurationError(path, `must be ${rule.expected}`, variant);
  }
  return value;
}

/** Refuses `validation: 'retrieve'` without the API key it needs. */
export function requireKeyForRetrieve(
  validation: Validation,
  key: string | undefined,
  variant: string,
  option = 'apiKey',
): void {
  if (validation === 'retrieve' && key === undefined) {
    throw new ConfigurationError(
      `variants.${variant}.${option}`,
      `is required with validation: 'retrieve' (the copy of each webhook is fetched from the API with it)`,
      variant,
    );
  }
}
