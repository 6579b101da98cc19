/** Walking a provider API's listing, page by page, for the `listEvents` of each api.ts. */
import type { ApiEventPage, VerifiedEvent } from '../types.js';

/**
 * Every page of a listing numbered from 1 (Paystack's `page`, Flutterwave's `page`), up to the
 * last page the API reports or the first empty one.
 */
export async function* numberedPages<T>(
  fetchPage: (page: number) => Promise<{ items: T[]; pageCount: number }>,
): AsyncGenerator<T[]> {
  for (let page = 1; ; page++) {
    const { items, pageCount } = await fetchPage(page);
    if (items.length > 0) yield items;
    if (items.length === 0 || page >= pageCount) return;
  }
}

/**
 * Pages of API objects as pages of events: `toEvent` maps an object to the event its webhook
 * carries, or to undefined when no webhook carries it (yet); `fetched` counts every object.
 */
export async function* eventPages<T>(
  pages: AsyncIterable<T[]>,
  toEvent: (item: T) => VerifiedEvent | undefined,
): AsyncGenerator<ApiEventPage> {
  for await (const page of pages) {
    const events: VerifiedEvent[] = [];
    for (const item of page) {
      const event = toEvent(item);
      if (event !== undefined) events.push(event);
    }
    yield { fetched: page.length, events };
  }
}
