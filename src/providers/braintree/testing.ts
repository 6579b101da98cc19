/**
 * Braintree in the testing kit: builds the form Braintree posts (`bt_signature`, `bt_payload`)
 * from a notification object, signed with the verifier's scheme; samples in ./samples.ts.
 */
import type {
  ProviderTesting,
  SignedRequest,
  SignerInput,
  VariantOptions,
} from '../../testing/types.js';
import { MAX_PAYLOAD_DEPTH } from '../shared/signature.js';
import { braintreeSamples } from './samples.js';
import {
  BRAINTREE_CONTENT_TYPE,
  BRAINTREE_PAYLOAD_FIELD,
  BRAINTREE_SIGNATURE_FIELD,
  braintreeSignature,
} from './scheme.js';

export { braintreeSignature } from './scheme.js';

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: braintree signer: ${message}`);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] as string);
}

/** `merchantAccountId` → `merchant-account-id`: the element name the parser reads back. */
function elementName(key: string): string {
  const name = key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
  if (!/^[a-z_][a-z0-9_.-]*$/.test(name)) throw fail(`"${key}" cannot be an XML element name`);
  return name;
}

/** A child element of an array: `transactions` → `transaction`, else `item`. */
function itemName(name: string): string {
  return name.length > 1 && name.endsWith('s') ? name.slice(0, -1) : 'item';
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One element as Braintree writes it: integers and booleans typed, null as `nil="true"`, arrays
 * as `type="array"`, dates marked as dates. Recursive: a test's own payload, bounded in depth.
 */
function element(name: string, value: unknown, depth: number): string {
  if (depth > MAX_PAYLOAD_DEPTH) throw fail(`the payload nests deeper than ${MAX_PAYLOAD_DEPTH}`);
  if (value === null) return `<${name} nil="true"/>`;
  if (typeof value === 'boolean') return `<${name} type="boolean">${value}</${name}>`;
  if (typeof value === 'number' && Number.isInteger(value)) {
    return `<${name} type="integer">${value}</${name}>`;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => element(itemName(name), item, depth + 1)).join('');
    return `<${name} type="array">${items}</${name}>`;
  }
  if (typeof value === 'object') {
    const children = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .map(([key, child]) => element(elementName(key), child, depth + 1))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  const text = String(value);
  const type = DATETIME.test(text) ? ' type="datetime"' : DATE.test(text) ? ' type="date"' : '';
  return `<${name}${type}>${escapeXml(text)}</${name}>`;
}

/**
 * A notification object (`{ timestamp, kind, subject }`, keys in camelCase as koa-payments
 * parses them) as Braintree's XML. Without a `timestamp`, `timestamp` (Unix seconds) is used.
 *
 * @example
 * notificationXml({ kind: 'check', subject: { check: true } }, 1735689600);
 * // '<notification><timestamp type="datetime">2025-01-01T00:00:00Z</timestamp>...'
 */
export function notificationXml(notification: Record<string, unknown>, timestamp: number): string {
  const withTime = {
    timestamp: new Date(timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...notification,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element('notification', withTime, 1)}\n`;
}

/** Base64 in lines of 60 characters, each ending in a newline: the payload's line breaks. */
function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  return `${encoded.match(/.{1,60}/g)?.join('\n') ?? ''}\n`;
}

/** The XML a test body stands for: given as XML, or a notification object as JSON. */
function xmlOf(body: string, timestamp: number): string {
  if (body.trimStart().startsWith('<')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw fail('the payload must be a notification object or its XML');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fail('the payload must be a notification object ({ kind, subject }) or its XML');
  }
  return notificationXml(parsed as Record<string, unknown>, timestamp);
}

/** The variant's first public key, for the signer. */
function publicKeyOf(settings: VariantOptions): string | undefined {
  const value = settings.publicKey;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/**
 * The form Braintree posts for a notification: `bt_payload` (the XML in base64 lines) and
 * `bt_signature` (`publicKey|hmac`), form-encoded. `secret` is the private key; the public key
 * comes from `options.publicKey`.
 */
function signRequest({ body, secret, timestamp, options = {} }: SignerInput): SignedRequest {
  const publicKey = options.publicKey;
  if (typeof publicKey !== 'string' || publicKey === '') {
    throw fail('options.publicKey (the public key of the API key pair) is required');
  }
  const payload = base64Lines(xmlOf(body, timestamp));
  const form = new URLSearchParams({
    [BRAINTREE_SIGNATURE_FIELD]: braintreeSignature(publicKey, secret, payload),
    [BRAINTREE_PAYLOAD_FIELD]: payload,
  });
  return { body: form.toString(), headers: { 'content-type': BRAINTREE_CONTENT_TYPE } };
}

/** The testing kit's view of the braintree provider. */
export const testing: ProviderTesting = {
  secretOption: 'privateKey',
  // Braintree sends no signature header: the signature travels in the form (signRequest).
  sign: (input) => signRequest(input).headers,
  signRequest,
  signOptionsOf(settings) {
    const publicKey = publicKeyOf(settings);
    return publicKey === undefined ? {} : { publicKey };
  },
  samples: braintreeSamples,
};
