/**
 * The generic `hmac` provider: any gateway that signs its webhooks with an HMAC, configured with
 * settings instead of code. It covers the usual shapes: the body alone (GitHub's
 * `X-Hub-Signature-256: sha256=<hex>`, Shopify's base64 `X-Shopify-Hmac-Sha256`) and a timestamp
 * or message id signed along with the body (`'{timestamp}.{body}'`, `'{id}.{timestamp}.{body}'`).
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, SignatureVerificationError } from '../../errors.js';
import {
  anySignatureMatches,
  checkTimestamp,
  hmac as computeHmac,
  describe,
  header,
  parseJsonObject,
  secrets,
  tolerance,
} from '../shared/signature.js';
import type {
  Provider,
  ProviderContext,
  SecretOption,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { compileSignedContent, renderSignedContent } from './scheme.js';

/** Options of a `provider: 'hmac'` variant. */
export interface HmacOptions {
  /** The shared secret (used as UTF-8 bytes), or several while rotating: any one verifies. */
  secret: SecretOption;
  /** The header that carries the signature, e.g. `'x-hub-signature-256'`. Required. */
  header: string;
  /**
   * Hash function of the HMAC.
   * @default 'sha256'
   */
  algorithm?: 'sha256' | 'sha512';
  /**
   * How the signature is written: `'hex'` (any case) or `'base64'` (padding optional).
   * @default 'hex'
   */
  encoding?: 'hex' | 'base64';
  /**
   * Text before the signature in the header value, e.g. `'sha256='`. It is stripped before
   * comparing; a header without it is refused as `malformed_signature`.
   * @default none
   */
  prefix?: string;
  /**
   * The header carrying the signed Unix timestamp (seconds). When set, the timestamp must be part
   * of `signedContent` and lie within `tolerance` of now.
   * @default none (no replay window)
   */
  timestampHeader?: string;
  /**
   * Seconds the timestamp stays valid, either way of now; 0 disables. Needs `timestampHeader`.
   * @default 300
   */
  tolerance?: number;
  /**
   * What is signed, as a template: `{body}` (the raw body, required), `{timestamp}` (the
   * `timestampHeader` value), `{id}` (the `idHeader` value) and `{url}` (the `url` option), with
   * any literal text between them.
   * @default '{timestamp}.{body}' with a `timestampHeader`, else '{body}'
   */
  signedContent?: string;
  /**
   * A header with the event or delivery id (e.g. `'x-github-delivery'`).
   * @default none
   */
  idHeader?: string;
  /**
   * Dot path of the event id in the JSON body, e.g. `'event.id'` (array items by index:
   * `'items.0.id'`). Preferred over `idHeader`. Without either, or when neither yields an id, the
   * id is the SHA-256 of the body, so a redelivery of the same bytes is a duplicate.
   */
  idPath?: string;
  /** Dot path of the event type in the JSON body, e.g. `'type'` or `'event.name'`. */
  typePath?: string;
  /**
   * A header with the event type (GitHub's `x-github-event`, Shopify's `x-shopify-topic`), used
   * when `typePath` is not set or finds nothing. One of `typePath` and `typeHeader` is required.
   */
  typeHeader?: string;
  /**
   * Dot path of the data receivers get as `signal.data`, e.g. `'data.object'`.
   * @default the whole body
   */
  dataPath?: string;
  /**
   * The URL a `{url}` in `signedContent` stands for: the URL registered with the gateway.
   * Only allowed with a `{url}` template.
   * @default pay.webhookUrl(variant)
   */
  url?: string;
}

const ALGORITHMS = { sha256: 32, sha512: 64 } as const;
const ENCODINGS = new Set<string>(['hex', 'base64']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The `event_id` and `type` columns hold 255 characters. */
const MAX_LENGTH = 255;

/** Refuses an id or type the database columns cannot hold. */
function storable(field: string, value: string): void {
  if (value.length > MAX_LENGTH) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The webhook's ${field} is ${value.length} characters long; at most ${MAX_LENGTH} can be stored.`,
    );
  }
}

/** Splits a dot path (`'event.id'`); undefined when it has an empty segment. */
function parsePath(path: string): string[] | undefined {
  const segments = path.split('.');
  return segments.every((segment) => segment !== '') ? segments : undefined;
}

/** Walks own properties (and array indexes) only, so `constructor` or `__proto__` read nothing. */
function readPath(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * The received signature in the encoding the HMAC is computed in, or a reason it cannot be one.
 * Hex is compared in lower case; base64 is decoded and re-encoded (URL-safe alphabet and missing
 * padding accepted), so only the bytes count.
 */
function normaliseSignature(
  value: string,
  encoding: 'hex' | 'base64',
  bytes: number,
): { signature: string } | { error: string } {
  if (encoding === 'hex') {
    if (!/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) {
      return { error: 'is not hexadecimal' };
    }
    if (value.length !== bytes * 2) {
      return { error: `has ${value.length / 2} bytes where ${bytes} were expected` };
    }
    return { signature: value.toLowerCase() };
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return { error: 'is not base64' };
  const decoded = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (decoded.length !== bytes) {
    return { error: `has ${decoded.length} bytes where ${bytes} were expected` };
  }
  return { signature: decoded.toString('base64') };
}

/** Builds the generic HMAC provider for one variant; validates every option once. */
export function hmac(options: HmacOptions, context: ProviderContext): Provider {
  const { variant } = context;
  const fail = (option: keyof HmacOptions, message: string) =>
    new ConfigurationError(`variants.${variant}.${option}`, message, variant);
  const headerName = (option: keyof HmacOptions, required: boolean): string | undefined => {
    const value = options[option];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
      throw fail(
        option,
        `must be an HTTP header name such as 'x-signature', got ${describe(value)}`,
      );
    }
    return value.toLowerCase();
  };
  const dotPath = (option: keyof HmacOptions): string[] | undefined => {
    const value = options[option];
    if (value === undefined) return undefined;
    const segments = typeof value === 'string' ? parsePath(value) : undefined;
    if (segments === undefined) {
      throw fail(
        option,
        `must be a dot path into the JSON body such as 'event.id', got ${describe(value)}`,
      );
    }
    return segments;
  };

  const keys = secrets(options.secret, 'secret', variant);
  const signatureHeader = headerName('header', true) as string;
  const algorithm = options.algorithm ?? 'sha256';
  if (!Object.hasOwn(ALGORITHMS, algorithm)) {
    throw fail('algorithm', `must be 'sha256' or 'sha512', got ${describe(options.algorithm)}`);
  }
  const digestBytes = ALGORITHMS[algorithm];
  const encoding = options.encoding ?? 'hex';
  if (!ENCODINGS.has(encoding)) {
    throw fail('encoding', `must be 'hex' or 'base64', got ${describe(options.encoding)}`);
  }
  const prefix = options.prefix;
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) {
    throw fail('prefix', `must be a non-empty string such as 'sha256=', got ${describe(prefix)}`);
  }
  const timestampHeader = headerName('timestampHeader', false);
  if (options.tolerance !== undefined && timestampHeader === undefined) {
    throw fail(
      'tolerance',
      'needs timestampHeader: without a signed timestamp there is nothing to check',
    );
  }
  const seconds = tolerance(options.tolerance, 300, 'tolerance', variant);
  const idHeader = headerName('idHeader', false);
  const typeHeader = headerName('typeHeader', false);
  const idPath = dotPath('idPath');
  const typePath = dotPath('typePath');
  const dataPath = dotPath('dataPath');
  if (typePath === undefined && typeHeader === undefined) {
    throw fail('typePath', "is required (or typeHeader): where the event type is, e.g. 'type'");
  }
  const compiled = compileSignedContent(options.signedContent, { timestampHeader, idHeader });
  if ('error' in compiled) throw fail('signedContent', compiled.error);
  const { parts } = compiled;
  const usesId = parts.some((part) => 'placeholder' in part && part.placeholder === 'id');
  const usesUrl = parts.some((part) => 'placeholder' in part && part.placeholder === 'url');

  let urlOf: (() => string) | undefined;
  if (options.url !== undefined) {
    const url = options.url;
    if (!usesUrl) throw fail('url', 'is only used by a signedContent containing {url}');
    if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+/.test(url)) {
      throw fail(
        'url',
        `must be the absolute http(s) URL registered with the gateway, got ${describe(url)}`,
      );
    }
    urlOf = () => url;
  } else if (usesUrl) {
    try {
      context.webhookUrl();
    } catch {
      throw fail(
        'url',
        'is needed by the {url} in signedContent: set it, or payments({ host }) to default it to webhookUrl(variant)',
      );
    }
    urlOf = () => context.webhookUrl();
  }

  const hint =
    `Mount koa-payments before any body parser (a re-serialised body never matches), and check ` +
    `secret, algorithm (${algorithm}), encoding (${encoding}) and signedContent against the gateway's documentation.`;
  const malformed = (message: string) =>
    new SignatureVerificationError('malformed_signature', message);
  const dataOf = (payload: unknown): unknown =>
    dataPath === undefined ? payload : (readPath(payload, dataPath) ?? null);
  /** The string at typePath, else the typeHeader value; the signed body wins. */
  const typeOf = (payload: unknown, request: WebhookRequest): string => {
    const fromBody = typePath === undefined ? undefined : readPath(payload, typePath);
    if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
    const fromHeader = typeHeader === undefined ? undefined : header(request.headers, typeHeader);
    if (fromHeader !== undefined) return fromHeader;
    const where = [
      typePath === undefined ? undefined : `no string at "${options.typePath}"`,
      typeHeader === undefined ? undefined : `no ${typeHeader} header`,
    ].filter((part) => part !== undefined);
    throw new SignatureVerificationError(
      'invalid_payload',
      `The webhook has no event type: ${where.join(' and ')}.`,
    );
  };
  /** The string or number at idPath, else the idHeader value, else the SHA-256 of the body. */
  const idOf = (payload: unknown, headerId: string | undefined, rawBody: Buffer): string => {
    const fromBody = idPath === undefined ? undefined : readPath(payload, idPath);
    if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
    if (typeof fromBody === 'number' && Number.isFinite(fromBody)) return String(fromBody);
    return headerId ?? createHash('sha256').update(rawBody).digest('hex');
  };

  return {
    name: 'hmac',
    dataOf,
    verify(request: WebhookRequest): VerifiedEvent {
      const value = header(request.headers, signatureHeader);
      if (value === undefined) {
        throw new SignatureVerificationError(
          'missing_signature',
          `No ${signatureHeader} header found on the request. ${hint}`,
        );
      }
      if (prefix !== undefined && !value.startsWith(prefix)) {
        throw malformed(`The ${signatureHeader} header does not start with "${prefix}".`);
      }
      const normalised = normaliseSignature(
        prefix === undefined ? value : value.slice(prefix.length),
        encoding,
        digestBytes,
      );
      if ('error' in normalised) {
        throw malformed(
          `The ${signatureHeader} signature ${normalised.error} (${encoding} HMAC-${algorithm}); check the algorithm, encoding and prefix options.`,
        );
      }
      let timestamp: string | undefined;
      if (timestampHeader !== undefined) {
        timestamp = header(request.headers, timestampHeader);
        if (timestamp === undefined) {
          throw malformed(`No ${timestampHeader} header found on the request.`);
        }
        if (!/^\d{1,12}$/.test(timestamp)) {
          throw malformed(`The ${timestampHeader} header is not a Unix timestamp in seconds.`);
        }
      }
      const headerId = idHeader === undefined ? undefined : header(request.headers, idHeader);
      if (usesId && headerId === undefined) {
        throw malformed(
          `No ${idHeader} header found on the request; it is part of the signed content.`,
        );
      }

      const values: { body: Buffer; timestamp?: string; id?: string; url?: string } = {
        body: request.rawBody,
      };
      if (timestamp !== undefined) values.timestamp = timestamp;
      if (headerId !== undefined) values.id = headerId;
      if (urlOf !== undefined) values.url = urlOf();
      const content = renderSignedContent(parts, values);
      const sign = (key: (typeof keys)[number]) => computeHmac(algorithm, key, content, encoding);
      if (!anySignatureMatches(keys, sign, [normalised.signature])) {
        throw new SignatureVerificationError(
          'no_matching_signature',
          `The ${signatureHeader} signature does not match the payload. ${hint}`,
        );
      }
      if (timestamp !== undefined) {
        checkTimestamp(Number(timestamp), request.receivedAt, seconds, 'webhook');
      }

      const payload = parseJsonObject(request.rawBody, 'webhook');
      const type = typeOf(payload, request);
      const id = idOf(payload, headerId, request.rawBody);
      storable('event id', id);
      storable('event type', type);
      return { id, type, data: dataOf(payload), payload };
    },
  };
}
