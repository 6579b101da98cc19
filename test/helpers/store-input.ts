/** What the store tests hand an EventStore: a receiver, and a verified Stripe-like event. */
import type { RegisteredReceiver } from '../../src/signals/registry.js';
import type { NewEvent } from '../../src/store/store-event.js';

/** An after-commit receiver that matches every type. */
export const receiver = (name: string, skipStale = false): RegisteredReceiver => ({
  name,
  pattern: '*',
  variants: undefined,
  atomic: false,
  skipStale,
  concurrency: undefined,
  fn: async () => {},
});

/** A `charge.succeeded` event of the `stripe` variant. */
export function newEvent(eventId: string, receivedAt: Date): NewEvent {
  const payload = { id: eventId, type: 'charge.succeeded', data: { object: { id: 'ch_1' } } };
  return {
    variant: 'stripe',
    provider: 'stripe',
    eventId,
    type: 'charge.succeeded',
    livemode: false,
    payloadText: JSON.stringify(payload),
    payload,
    receivedAt,
    createdAt: new Date(1_700_000_000_000),
    dedupeGroup: 'stripe',
    source: 'webhook',
  };
}
