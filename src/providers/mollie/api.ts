/**
 * The Mollie API (api.mollie.com, `Authorization: Bearer <API key>`), through the library's HTTP
 * client: `GET /v2/payments/:id` (HAL JSON; an unknown id answers 404 with a problem document,
 * `{ status, title, detail, _links }`) and `GET /v2/payments` (cursor pagination: `from`,
 * `limit` up to 250, newest first, `_links.next`). A payment becomes the event its current state
 * makes (./events.ts), with the id a classic webhook gets, so that webhooks and listings
 * deduplicate.
 */
import type { Logger } from '../../types.js';
import { ProviderUnavailableError } from '../shared/api-errors.js';
import { isRecord } from '../shared/data-path.js';
import { ApiClient, type ApiHttpOptions } from '../shared/http.js';
import { eventPages } from '../shared/pagination.js';
import { typeWanted } from '../shared/retrieve.js';
import type { ApiEventPage, ListEventsOptions, ProviderApi, VerifiedEvent } from '../types.js';
import {
  isMolliePayment,
  type MolliePaymentObject,
  molliePaymentChange,
  molliePaymentEvent,
} from './events.js';
import { MOLLIE_PAYMENT_ID } from './scheme.js';

/** Mollie's public API. */
export const MOLLIE_API_BASE = 'https://api.mollie.com';

/** The largest page Mollie serves (`limit`, default 50, at most 250). */
const PAGE_LIMIT = 250;

/** How to build a {@link MollieApi}. */
export interface MollieApiConfig {
  /** The API key (`live_…` or `test_…`). */
  apiKey: string;
  /** The API's base URL (`apiBase`). */
  apiBase: URL;
  http?: ApiHttpOptions | undefined;
  logger?: Logger | undefined;
}

/** One page of `GET /v2/payments`. */
export interface MolliePaymentPage {
  payments: MolliePaymentObject[];
  /** The `from` of the next page (the id of its first payment), when there is one. */
  next: string | undefined;
}

/** The Mollie API of one variant. */
export class MollieApi implements ProviderApi {
  readonly #client: ApiClient;

  constructor(config: MollieApiConfig) {
    this.#client = new ApiClient({
      ...config.http,
      provider: 'mollie',
      label: 'Mollie',
      baseUrl: config.apiBase,
      headers: { authorization: `Bearer ${config.apiKey}` },
      logger: config.logger,
    });
  }

  /** `GET /v2/payments/:id`: the payment, in whatever status it is. */
  async getPayment(id: string): Promise<MolliePaymentObject> {
    const path = `/v2/payments/${encodeURIComponent(id)}`;
    const body = await this.#client.getJson({ path }, `payment ${id}`);
    if (!isMolliePayment(body) || body.id !== id) throw this.#invalid(path);
    return body;
  }

  /** `GET /v2/payments`: one page, newest first, starting at payment `from` when given. */
  async listPaymentsPage(
    options: { from?: string; limit?: number } = {},
  ): Promise<MolliePaymentPage> {
    const path = '/v2/payments';
    const body = await this.#client.getJson(
      { path, query: { from: options.from, limit: options.limit ?? PAGE_LIMIT } },
      'payment list',
      () => false,
    );
    const embedded = isRecord(body) && isRecord(body._embedded) ? body._embedded : undefined;
    const payments = embedded?.payments;
    if (!Array.isArray(payments) || !payments.every(isMolliePayment)) throw this.#invalid(path);
    const links = isRecord(body) && isRecord(body._links) ? body._links : {};
    const href = isRecord(links.next) ? links.next.href : undefined;
    let next: string | undefined;
    if (typeof href === 'string') {
      const from = new URL(href, MOLLIE_API_BASE).searchParams.get('from');
      if (from === null || !MOLLIE_PAYMENT_ID.test(from)) throw this.#invalid(path);
      next = from;
    }
    return { payments, next };
  }

  /** Every payment, newest first, page by page, following `_links.next`. */
  async *payments(): AsyncGenerator<MolliePaymentObject[]> {
    let from: string | undefined;
    do {
      const page = await this.listPaymentsPage(from === undefined ? {} : { from });
      if (page.payments.length > 0) yield page.payments;
      from = page.next;
    } while (from !== undefined);
  }

  /** The event the payment of `event` makes now, fetched again. */
  async confirm(event: VerifiedEvent): Promise<VerifiedEvent> {
    const id = isRecord(event.data) ? event.data.id : undefined;
    if (typeof id !== 'string' || !MOLLIE_PAYMENT_ID.test(id)) return event;
    return molliePaymentEvent(await this.getPayment(id));
  }

  /**
   * Payments created since `options.since`, each as the event its current state makes (a
   * listing sees only the latest state: a payment paid and refunded since is one
   * `payment.refunded`). Mollie's list has no date filter; it is newest first, so the walk
   * stops at the first payment older than `since`.
   */
  async *listEvents(options: ListEventsOptions): AsyncGenerator<ApiEventPage> {
    const since = options.since.getTime();
    const until = (options.until ?? new Date()).getTime();
    const payments = this.payments();
    async function* inWindow(): AsyncGenerator<MolliePaymentObject[]> {
      for await (const page of payments) {
        const kept = page.filter((payment) => {
          const created = Date.parse(payment.createdAt);
          return created >= since && created <= until;
        });
        if (kept.length > 0) yield kept;
        if (page.some((payment) => Date.parse(payment.createdAt) < since)) return;
      }
    }
    yield* eventPages(inWindow(), (payment) =>
      typeWanted(molliePaymentChange(payment).type, options.types)
        ? molliePaymentEvent(payment)
        : undefined,
    );
  }

  #invalid(path: string): ProviderUnavailableError {
    return new ProviderUnavailableError(
      'invalid_response',
      { provider: 'mollie', method: 'GET', path, providerStatus: 200 },
      `The Mollie API answered GET ${path} with a body that is not the documented one.`,
    );
  }
}
