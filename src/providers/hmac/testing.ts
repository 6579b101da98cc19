/**
 * The generic `hmac` provider in the testing kit: signs as a gateway configured like the variant
 * would, and places samples where the variant reads its id, type and data.
 */
import { genericData } from '../../testing/generic.js';
import { id as freshId, isoNow } from '../../testing/ids.js';
import { readAt, setAt } from '../../testing/paths.js';
import type {
  ProviderTesting,
  SamplePayload,
  SignerInput,
  VariantOptions,
} from '../../testing/types.js';
import { hmac } from '../shared/signature.js';
import { compileSignedContent, renderSignedContent } from './scheme.js';

/** The variant options the signer needs. */
const SIGNER_OPTIONS = [
  'header',
  'algorithm',
  'encoding',
  'prefix',
  'timestampHeader',
  'signedContent',
  'idHeader',
] as const;

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

/** A non-empty string option of the variant's settings, else undefined. */
function setting(settings: VariantOptions, key: string): string | undefined {
  const value = settings[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
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
function sign({
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

/**
 * The generic body `{ id, type, created_at, data }`, which a variant configured with
 * `typePath: 'type'` and `idPath: 'id'` reads.
 */
function anySample(type: string): SamplePayload {
  return { id: freshId('evt_'), type, created_at: isoNow(), data: genericData(type) };
}

/** A generic sample placed where the variant reads its id, type and data. */
function sampleFor(type: string, settings: VariantOptions): SamplePayload {
  const base = anySample(type);
  const typePath = setting(settings, 'typePath');
  let payload: SamplePayload = {};
  payload = setAt(payload, setting(settings, 'idPath') ?? 'id', base.id);
  if (typePath !== undefined || setting(settings, 'typeHeader') === undefined) {
    payload = setAt(payload, typePath ?? 'type', type);
  }
  payload = setAt(payload, 'created_at', base.created_at);
  return setAt(payload, setting(settings, 'dataPath') ?? 'data', base.data);
}

/** The testing kit's view of the hmac provider. */
export const testing: ProviderTesting = {
  secretOption: 'secret',
  signedUrlOption: 'url',
  sign,
  // `signal.data` is the whole body unless the variant sets `dataPath`.
  samples: { dataPath: [], events: {}, any: anySample },
  signOptionsOf(settings) {
    const options: Record<string, unknown> = {};
    for (const key of SIGNER_OPTIONS) {
      if (settings[key] !== undefined) options[key] = settings[key];
    }
    return options;
  },
  dataPathOf(settings) {
    const dataPath = setting(settings, 'dataPath');
    return dataPath === undefined ? [] : dataPath.split('.');
  },
  sampleFor,
  typeHeaderOf: (settings) => setting(settings, 'typeHeader'),
  messageIdOf(_body, payload, settings) {
    const found = readAt(payload, (setting(settings, 'idPath') ?? 'id').split('.'));
    return typeof found === 'string' || typeof found === 'number' ? String(found) : undefined;
  },
};
