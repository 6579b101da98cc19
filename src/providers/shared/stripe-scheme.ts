/**
 * The Stripe signature scheme, which Payvost follows too: a header `t=<unix>,v1=<hex>[,v1=...]`,
 * each `v1` the HMAC-SHA256 of `${t}.${rawBody}` keyed by the endpoint secret. The verifiers and
 * the test signers both call {@link stripeSchemeSignature}, so the signed content is written once.
 */
import { SignatureVerificationError } from '../../errors.js';
import type { WebhookRequest } from '../types.js';
import { anySignatureMatches, checkTimestamp, header, hmac, parseJsonObject } from './signature.js';

/** The hex `v1` signature of a body signed at `timestamp` (Unix seconds). */
export function stripeSchemeSignature(
  secret: string,
  timestamp: number,
  body: string | Buffer,
): string {
  return hmac('sha256', secret, [`${timestamp}.`, body], 'hex');
}

/** The header value a sender of the scheme puts on `body`: `t=<timestamp>,v1=<hex>`. */
export function stripeSchemeHeader(
  body: string | Buffer,
  secret: string,
  timestamp: number,
): string {
  return `t=${timestamp},v1=${stripeSchemeSignature(secret, timestamp, body)}`;
}

/** Parses a `t=...,v1=...` header. */
export function parseStripeStyleHeader(
  value: string,
  headerName: string,
): { timestamp: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of value.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0) continue;
    const key = item.slice(0, separator).trim();
    const val = item.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(val)) timestamp = Number(val);
    else if (key === 'v1' && val !== '') signatures.push(val);
  }
  if (timestamp === undefined) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `Unable to extract the timestamp from the ${headerName} header (expected "t=<unix seconds>,v1=<hex>").`,
    );
  }
  if (signatures.length === 0) {
    throw new SignatureVerificationError(
      'malformed_signature',
      `No signatures found with the expected scheme (v1) in the ${headerName} header.`,
    );
  }
  return { timestamp, signatures };
}

/**
 * Verifies a request signed with the scheme and returns its parsed payload. The signature is
 * checked before the timestamp, so a forged request learns nothing about time.
 */
export function verifyStripeScheme(
  request: WebhookRequest,
  options: {
    headerName: string;
    secrets: readonly string[];
    tolerance: number;
    label: string;
    hint: string;
  },
): Record<string, unknown> {
  const value = header(request.headers, options.headerName);
  if (value === undefined) {
    throw new SignatureVerificationError(
      'missing_signature',
      `No ${options.headerName} header found on the request. ${options.hint}`,
    );
  }
  const { timestamp, signatures } = parseStripeStyleHeader(value, options.headerName);
  const sign = (secret: string) => stripeSchemeSignature(secret, timestamp, request.rawBody);
  if (!anySignatureMatches(options.secrets, sign, signatures)) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      `No signatures found matching the expected signature for payload. ${options.hint}`,
    );
  }
  checkTimestamp(timestamp, request.receivedAt, options.tolerance, options.label);
  return parseJsonObject(request.rawBody, options.label);
}
