/**
 * `signal.fetch()`: the object an event is about, fetched now from its variant's provider API,
 * for thin events (which carry no snapshot) and for any event whose snapshot may be stale.
 */
import { PaymentsError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { StoredEvent } from '../store/types.js';
import { apiOf } from './sync.js';

/** Fetches the object of a stored event. */
export type ObjectFetcher = (event: StoredEvent) => Promise<unknown>;

/** The fetcher of an instance's variants. */
export function objectFetcher(providers: ReadonlyMap<string, Provider>): ObjectFetcher {
  return async (event) => {
    const api = apiOf(providers, event.variant, 'signal.fetch()');
    if (api.fetchObject === undefined) {
      throw new PaymentsError(
        'invalid_request',
        400,
        `signal.fetch(): the ${event.provider} API of variant ${event.variant} cannot fetch objects`,
      );
    }
    return api.fetchObject({ type: event.type, payload: event.payload });
  };
}

/**
 * `signal.fetch` for one signal: the first successful answer is kept, so that a receiver may call
 * it more than once for one API call; a failure is not kept.
 */
export function fetchOnce(event: StoredEvent, fetcher: ObjectFetcher): () => Promise<unknown> {
  let answer: Promise<unknown> | undefined;
  return () => {
    answer ??= fetcher(event).catch((error: unknown) => {
      answer = undefined;
      throw error;
    });
    return answer;
  };
}
