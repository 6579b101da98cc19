import { hmac } from '../../providers/signature.js';
import type { SignerInput } from './types.js';

/** The event name Lemon Squeezy puts in `X-Event-Name`: the body's `meta.event_name`, if any. */
function eventNameOf(body: string): string | undefined {
  try {
    const name = (JSON.parse(body) as { meta?: { event_name?: unknown } } | null)?.meta?.event_name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Headers Lemon Squeezy sends with `body`: `X-Signature` (hex HMAC-SHA256 of the body under the
 * signing secret) and `X-Event-Name` (the body's `meta.event_name`, when it has one).
 */
export function sign({ body, secret }: SignerInput): Record<string, string> {
  const headers: Record<string, string> = { 'x-signature': hmac('sha256', secret, [body], 'hex') };
  const name = eventNameOf(body);
  if (name !== undefined) headers['x-event-name'] = name;
  return headers;
}
