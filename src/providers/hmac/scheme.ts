/**
 * What an `hmac` variant signs: a `signedContent` template (`{body}`, `{timestamp}`, `{id}`,
 * `{url}` and literal text), compiled once and rendered per request by the verifier and by the
 * test signer alike.
 */
import { describe } from '../shared/signature.js';

/** A placeholder of `signedContent`. */
export type SignedContentPlaceholder = 'body' | 'timestamp' | 'id' | 'url';

/** One piece of a compiled `signedContent` template. */
export type SignedContentPart = { text: string } | { placeholder: SignedContentPlaceholder };

const PLACEHOLDERS = new Set<string>(['body', 'timestamp', 'id', 'url']);

/**
 * Compiles a `signedContent` template and checks it against the headers it needs. Shared with the
 * test signer; returns the reason as a string rather than throwing, so each caller raises its own
 * kind of error.
 */
export function compileSignedContent(
  template: string | undefined,
  headers: { timestampHeader?: string | undefined; idHeader?: string | undefined },
): { parts: SignedContentPart[] } | { error: string } {
  const source =
    template ?? (headers.timestampHeader !== undefined ? '{timestamp}.{body}' : '{body}');
  if (typeof source !== 'string' || source === '') {
    return {
      error: `must be a non-empty template such as '{timestamp}.{body}', got ${describe(source)}`,
    };
  }
  const parts: SignedContentPart[] = [];
  const used = new Set<string>();
  let last = 0;
  for (const match of source.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!PLACEHOLDERS.has(name)) {
      return {
        error: `has an unknown placeholder {${name}}; use {body}, {timestamp}, {id} or {url}`,
      };
    }
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ placeholder: name as SignedContentPlaceholder });
    used.add(name);
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  if (!used.has('body')) {
    return { error: 'must contain {body}: a signature that skips the body proves nothing' };
  }
  if (used.has('timestamp') && headers.timestampHeader === undefined) {
    return { error: 'uses {timestamp}, which needs timestampHeader' };
  }
  if (!used.has('timestamp') && headers.timestampHeader !== undefined) {
    return {
      error:
        'must contain {timestamp} when timestampHeader is set: an unsigned timestamp can be rewritten by anyone replaying a request',
    };
  }
  if (used.has('id') && headers.idHeader === undefined) {
    return { error: 'uses {id}, which needs idHeader' };
  }
  return { parts };
}

/** The byte sequence a compiled template stands for, ready for the HMAC. */
export function renderSignedContent(
  parts: readonly SignedContentPart[],
  values: { body: string | Buffer; timestamp?: string; id?: string; url?: string },
): (string | Buffer)[] {
  return parts.map((part) => ('text' in part ? part.text : (values[part.placeholder] ?? '')));
}
