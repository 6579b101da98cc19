/**
 * What the pipeline stores for one request, before it is stored: the events a provider returned
 * (checked), where they come from, and what storing each one takes.
 */
import { SignatureVerificationError } from './errors.js';
import type { IncomingFacts } from './objects/incoming.js';
import {
  MAX_EVENTS_PER_REQUEST,
  type Verified,
  type VerifiedEvent,
  type WebhookRequest,
} from './providers/types.js';
import type { RegisteredReceiver } from './signals/registry.js';
import type { Ticket } from './store/group-commit.js';
import type { StoreInput } from './store/store-event.js';
import type { EventSource, IgnoredReason } from './store/types.js';
/**
 * The events a provider returned, checked: each has an id and a type, there is at least one and
 * at most {@link MAX_EVENTS_PER_REQUEST}, and an id given twice is kept once (its first copy).
 */
export function eventsOf(verified: Verified, provider: string): VerifiedEvent[] {
  const list: readonly VerifiedEvent[] = Array.isArray(verified)
    ? verified
    : [verified as VerifiedEvent];
  if (list.length === 0) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${provider} provider returned no event.`,
    );
  }
  if (list.length > MAX_EVENTS_PER_REQUEST) {
    throw new SignatureVerificationError(
      'invalid_payload',
      `The ${provider} request carries ${list.length} events; at most ${MAX_EVENTS_PER_REQUEST} are accepted.`,
    );
  }
  const seen = new Set<string>();
  const events: VerifiedEvent[] = [];
  for (const event of list) {
    if (event === null || typeof event !== 'object') {
      throw new SignatureVerificationError(
        'invalid_payload',
        `The ${provider} provider returned no event.`,
      );
    }
    for (const field of ['id', 'type'] as const) {
      if (typeof event[field] !== 'string' || event[field] === '') {
        throw new SignatureVerificationError(
          'invalid_payload',
          `The ${provider} payload has no event ${field}.`,
        );
      }
    }
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    events.push(event);
  }
  return events;
}

/** One verified event of a request, with what the storing transaction needs to store it. */
export interface Incoming {
  verified: VerifiedEvent;
  ignoredReason: IgnoredReason | undefined;
  /** The receivers of its type (none when it is ignored). */
  receivers: RegisteredReceiver[];
  facts: IncomingFacts;
  input: StoreInput;
  /** The atomic receivers that ran in the storing transaction (counted once it commits). */
  atomicRuns: Set<string>;
}

/** Where the events being stored come from: a webhook's request, or the provider's API. */
export interface Origin {
  source: EventSource;
  receivedAt: Date;
  /** The webhook's request (its request-log line); none for an event fetched from the API. */
  request: WebhookRequest | undefined;
  /** Closed as the events are handed to the store. */
  ticket: Ticket | undefined;
  /** Whether a duplicate re-runs its unfinished deliveries at once (a webhook's redelivery). */
  rerunFailed: boolean;
}

/** No receiver paused. */
export const NO_PAUSES: ReadonlySet<string> = new Set();

export function isMissingTable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /no such table|relation .* does not exist/i.test(message);
}
