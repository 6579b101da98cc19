/** Lemon Squeezy in the testing kit: signs with the verifier's scheme; samples in ./samples.ts. */
import type { ProviderTesting, SignerInput } from '../../testing/types.js';
import { lemonsqueezySamples } from './samples.js';
import {
  LEMONSQUEEZY_EVENT_NAME_HEADER,
  LEMONSQUEEZY_SIGNATURE_HEADER,
  lemonSqueezySignature,
} from './scheme.js';

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
function sign({ body, secret }: SignerInput): Record<string, string> {
  const headers: Record<string, string> = {
    [LEMONSQUEEZY_SIGNATURE_HEADER]: lemonSqueezySignature(body, secret),
  };
  const name = eventNameOf(body);
  if (name !== undefined) headers[LEMONSQUEEZY_EVENT_NAME_HEADER] = name;
  return headers;
}

/** The testing kit's view of the lemonsqueezy provider. */
export const testing: ProviderTesting = {
  secretOption: 'signingSecret',
  sign,
  samples: lemonsqueezySamples,
};
