import { compileSignedContent, renderSignedContent } from '../../providers/hmac.js';
import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: hmac signer: ${message}`);
}

/** A string option of the signer, or undefined; anything else is a mistake in the test. */
function text(options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw fail(`options.${name} must be a non-empty string`);
  return value;
}

/**
 * Headers a gateway configured like a `provider: 'hmac'` variant sends with `body`. Pass the
 * variant's options as `options` (`header`, `algorithm`, `encoding`, `prefix`, `timestampHeader`,
 * `signedContent`, `idHeader`); `id` fills `{id}` and the id header, `url` fills `{url}`, and
 * `timestamp` the timestamp header.
 *
 * @example
 * signWebhook('hmac', {
 *   payload: { type: 'payment.succeeded', id: 'evt_1' },
 *   secret: 'shh',
 *   options: { header: 'x-hub-signature-256', prefix: 'sha256=' },
 * });
 */
export function sign({
  body,
  secret,
  timestamp,
  id,
  url,
  options = {},
}: SignerInput): Record<string, string> {
  const header = text(options, 'header');
  if (header === undefined) throw fail('options.header (the signature header name) is required');
  const algorithm = text(options, 'algorithm') ?? 'sha256';
  if (algorithm !== 'sha256' && algorithm !== 'sha512')
    throw fail("options.algorithm must be 'sha256' or 'sha512'");
  const encoding = text(options, 'encoding') ?? 'hex';
  if (encoding !== 'hex' && encoding !== 'base64')
    throw fail("options.encoding must be 'hex' or 'base64'");
  const prefix = text(options, 'prefix') ?? '';
  const timestampHeader = text(options, 'timestampHeader');
  const idHeader = text(options, 'idHeader');
  const compiled = compileSignedContent(text(options, 'signedContent'), {
    timestampHeader,
    idHeader,
  });
  if ('error' in compiled) throw fail(`options.signedContent ${compiled.error}`);
  const needs = (name: string) =>
    compiled.parts.some((part) => 'placeholder' in part && part.placeholder === name);
  if (needs('id') && id === undefined) throw fail('the signed content uses {id}: pass id');
  if (needs('url') && url === undefined) throw fail('the signed content uses {url}: pass url');

  const values: { body: string; timestamp?: string; id?: string; url?: string } = { body };
  if (timestampHeader !== undefined) values.timestamp = String(timestamp);
  if (id !== undefined) values.id = id;
  if (url !== undefined) values.url = url;
  const signature = hmac(algorithm, secret, renderSignedContent(compiled.parts, values), encoding);

  const headers: Record<string, string> = { [header.toLowerCase()]: `${prefix}${signature}` };
  if (timestampHeader !== undefined) headers[timestampHeader.toLowerCase()] = String(timestamp);
  if (idHeader !== undefined && id !== undefined) headers[idHeader.toLowerCase()] = id;
  return headers;
}
