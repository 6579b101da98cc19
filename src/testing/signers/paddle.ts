import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/**
 * The `Paddle-Signature` header for a body, as Paddle sends it: `ts=<unix>;h1=<hex>`, the hex
 * HMAC-SHA256 of `${ts}:${body}`.
 *
 * @example
 * const header = paddleSignatureHeader(body, 'pdl_ntfset_test', Math.floor(Date.now() / 1000));
 */
export function paddleSignatureHeader(body: string, secret: string, timestamp: number): string {
  return `ts=${timestamp};h1=${hmac('sha256', secret, [`${timestamp}:${body}`], 'hex')}`;
}

/** Headers Paddle sends with `body`. */
export function sign({ body, secret, timestamp }: SignerInput): Record<string, string> {
  return { 'paddle-signature': paddleSignatureHeader(body, secret, timestamp) };
}
