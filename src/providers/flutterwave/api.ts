/**
 * The Flutterwave v3 API (api.flutterwave.com, `Authorization: Bearer <secret key>`), through the
 * library's HTTP client: `GET /v3/transactions/:id/verify`,
 * `GET /v3/transactions/verify_by_reference?tx_ref=` and `GET /v3/transactions` (`from`, `to` as
 * dates, `page`; `meta.page_info`). A transaction becomes the `charge.completed` event its webhook
 * carries, with the same derived id (`charge.completed:<id>:<status>`, see
 * {@link flutterwaveEventId}), so that webhooks and listings deduplicate.
 */
import { PaymentsError } from '../../errors.js';
import type { Logger } from '../../types.js';
import { type ProviderCall, ProviderUnavailableError } from '../shared/api-errors.js';
import { dataAt, isRecord } from '../shared/data-path.js';
import { ApiClient, type ApiHttpOptions } from '../shared/http.js';
import { eventPages, numberedPages } from '../shared/pagination.js';
import { fetchedEvent, typeWanted } from '../shared/retrieve.js';
import type {
  ApiEventPage,
  ListEventsOptions,
  ProviderApi,
  ReconcileFinding,
  VerifiedEvent,
} from '../types.js';
import { FLUTTERWAVE_DATA_PATH, flutterwaveEventId } from './events.js';

/** Flutterwave's public API (the v3 paths start with `/v3`). */
export const FLUTTERWAVE_API_BASE = 'https://api.flutterwave.com';

/** The event a completed charge's webhook carries. */
const CHARGE_COMPLETED = 'charge.completed';

/** A transaction as the API returns it; the fields koa-payments reads are typed. */
export interface FlutterwaveTransaction {
  /** The transaction id (a number; the list endpoint's documented sample quotes it). */
  id: number | string;
  /** Your transaction reference. */
  tx_ref: string;
  /** `successful`, `failed`, `pending`, ... */
  status: string;
  created_at?: string;
  [field: string]: unknown;
}

/** `meta.page_info` of a `GET /v3/transactions` page. */
export interface FlutterwavePageInfo {
  total: number;
  current_page: number;
  total_pages: number;
}

/** Filters of a `GET /v3/transactions` listing. */
export interface FlutterwaveTransactionListOptions {
  /** Transactions from this day on (`from`, a UTC date). */
  from?: Date;
  /** ... to this day (`to`, a UTC date). */
  to?: Date;
  /** `successful`, `failed`, `pending`. */
  status?: string;
}

/** How to build a {@link FlutterwaveApi}. */
export interface FlutterwaveApiConfig {
  /** The secret key (`FLWSECK-...`, `FLWSECK_TEST-...`). */
  apiKey: string;
  /** The API's base URL (`apiBase`). */
  apiBase: URL;
  http?: ApiHttpOptions | undefined;
  logger?: Logger | undefined;
}

/** Whether a value has the fields of a transaction koa-payments relies on. */
function isTransaction(value: unknown): value is FlutterwaveTransaction {
  return (
    isRecord(value) &&
    (typeof value.id === 'number' || typeof value.id === 'string') &&
    typeof value.tx_ref === 'string' &&
    typeof value.status === 'string'
  );
}

/** `2026-11-23` of a date, in UTC (the listing's `from` and `to`). */
function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The `charge.completed` event a transaction's webhook carries, or undefined while the
 * transaction is `pending` (its webhook comes when it completes). `envelope` is the rest of the
 * webhook body, when there was one; `data` is the transaction.
 */
export function flutterwaveTransactionEvent(
  transaction: FlutterwaveTransaction,
  envelope: Record<string, unknown> = {},
): VerifiedEvent | undefined {
  if (transaction.status === 'pending') return undefined;
  return fetchedEvent(
    {
      id: flutterwaveEventId(CHARGE_COMPLETED, transaction),
      type: CHARGE_COMPLETED,
      payload: { ...envelope, event: CHARGE_COMPLETED, data: transaction },
    },
    dataAt(FLUTTERWAVE_DATA_PATH),
  );
}

/**
 * Flutterwave answers an unknown transaction `{ status: 'error', message: 'No transaction was
 * found for this id' }` (with a 400, sometimes another status); a 404 means the same.
 */
function transactionMissing(status: number, body: unknown): boolean {
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : '';
  return (
    status === 404 || (isRecord(body) && body.status === 'error' && /no transaction/i.test(message))
  );
}

/** The v3 id of a webhook's transaction: a number (v4 charges have `chg_...` ids instead). */
function v3TransactionId(data: unknown): string | undefined {
  const id = isRecord(data) ? data.id : undefined;
  if (typeof id === 'number' && Number.isInteger(id)) return String(id);
  return typeof id === 'string' && /^\d+$/.test(id) ? id : undefined;
}

/** The Flutterwave v3 API of one variant. */
export class FlutterwaveApi implements ProviderApi {
  readonly #client: ApiClient;

  constructor(config: FlutterwaveApiConfig) {
    this.#client = new ApiClient({
      ...config.http,
      provider: 'flutterwave',
      label: 'Flutterwave',
      baseUrl: config.apiBase,
      headers: { authorization: `Bearer ${config.apiKey}` },
      logger: config.logger,
    });
  }

  /** `GET /v3/transactions/:id/verify`: the transaction, in whatever status it is. */
  verifyTransaction(id: number | string): Promise<FlutterwaveTransaction> {
    const path = `/v3/transactions/${encodeURIComponent(String(id))}/verify`;
    return this.#transaction({ path }, `transaction ${id}`);
  }

  /** `GET /v3/transactions/verify_by_reference?tx_ref=`: the transaction of your reference. */
  verifyByReference(txRef: string): Promise<FlutterwaveTransaction> {
    return this.#transaction(
      { path: '/v3/transactions/verify_by_reference', query: { tx_ref: txRef } },
      `transaction with tx_ref ${txRef}`,
    );
  }

  /** `GET /v3/transactions`: one page, with its `page_info`. */
  async listTransactionsPage(
    options: FlutterwaveTransactionListOptions & { page: number },
  ): Promise<{ data: FlutterwaveTransaction[]; pageInfo: FlutterwavePageInfo }> {
    const path = '/v3/transactions';
    const body = await this.#client.getJson(
      {
        path,
        query: {
          from: options.from === undefined ? undefined : day(options.from),
          to: options.to === undefined ? undefined : day(options.to),
          page: options.page,
          status: options.status,
        },
      },
      'transaction list',
      () => false,
    );
    const pageInfo = isRecord(body) && isRecord(body.meta) ? body.meta.page_info : undefined;
    if (
      !isRecord(body) ||
      body.status !== 'success' ||
      !Array.isArray(body.data) ||
      !body.data.every(isTransaction) ||
      !isRecord(pageInfo) ||
      typeof pageInfo.total_pages !== 'number'
    ) {
      throw this.#invalid(path);
    }
    return { data: body.data, pageInfo: pageInfo as unknown as FlutterwavePageInfo };
  }

  /** Every transaction matching `options`, page by page (`page` 1 to `total_pages`). */
  async *transactions(
    options: FlutterwaveTransactionListOptions = {},
  ): AsyncGenerator<FlutterwaveTransaction[]> {
    yield* numberedPages(async (page) => {
      const { data, pageInfo } = await this.listTransactionsPage({ ...options, page });
      return { items: data, pageCount: pageInfo.total_pages };
    });
  }

  /**
   * A v3 `charge.completed` webhook's transaction, verified by its id: the event as that copy
   * makes it (its id follows the fetched status, equal to the webhook's unless the charge has
   * moved on). A transaction still `pending` is `pending_at_provider` (answered 503, redelivered).
   * Other events, and v4 payloads (whose ids the v3 API does not know), are returned as signed.
   */
  async confirm(event: VerifiedEvent): Promise<VerifiedEvent> {
    const id = event.type === CHARGE_COMPLETED ? v3TransactionId(event.data) : undefined;
    if (id === undefined) return event;
    const transaction = await this.verifyTransaction(id);
    const call: ProviderCall = {
      provider: 'flutterwave',
      method: 'GET',
      path: `/v3/transactions/${id}/verify`,
      providerStatus: 200,
    };
    if (String(transaction.id) !== id) {
      throw new ProviderUnavailableError(
        'invalid_response',
        call,
        `The Flutterwave API answered GET ${call.path} with another transaction.`,
      );
    }
    const confirmed = flutterwaveTransactionEvent(
      transaction,
      isRecord(event.payload) ? event.payload : {},
    );
    if (confirmed !== undefined) return confirmed;
    throw new ProviderUnavailableError(
      'pending_at_provider',
      call,
      `Flutterwave reports transaction ${id} as '${transaction.status}'; the webhook was not stored and will be redelivered.`,
    );
  }

  /**
   * Completed transactions created between `since` and `until`, as `charge.completed` events,
   * page by page. The API filters by day; the times are applied here.
   */
  async *listEvents(options: ListEventsOptions): AsyncGenerator<ApiEventPage> {
    if (!typeWanted(CHARGE_COMPLETED, options.types)) return;
    const until = options.until ?? new Date();
    const within = (transaction: FlutterwaveTransaction) => {
      const created = Date.parse(String(transaction.created_at));
      return (
        Number.isNaN(created) || (created >= options.since.getTime() && created <= until.getTime())
      );
    };
    yield* eventPages(this.transactions({ from: options.since, to: until }), (transaction) =>
      within(transaction) ? flutterwaveTransactionEvent(transaction) : undefined,
    );
  }

  /**
   * A payment by your reference (`tx_ref`, `GET /v3/transactions/verify_by_reference`): any
   * status but `pending` is settled as its `charge.completed` (the webhook's id, which includes
   * the status); `pending` is still pending. An unknown reference rejects with
   * `NotFoundAtProviderError`.
   */
  async reconcile(reference: string): Promise<ReconcileFinding> {
    const transaction = await this.verifyByReference(reference);
    const paymentStatus = transaction.status;
    const event = flutterwaveTransactionEvent(transaction);
    return event === undefined
      ? { status: 'pending', paymentStatus }
      : { status: 'settled', event, paymentStatus };
  }

  /**
   * The transaction of a v3 `charge.completed` event, by its `data.id` (`signal.fetch()`), as
   * `GET /v3/transactions/:id/verify` returns it now.
   */
  async fetchObject(event: { type: string; payload: unknown }): Promise<unknown> {
    const data = isRecord(event.payload) ? event.payload.data : undefined;
    const id = event.type === CHARGE_COMPLETED ? v3TransactionId(data) : undefined;
    if (id === undefined) {
      throw new PaymentsError(
        'invalid_request',
        400,
        `signal.fetch(): koa-payments fetches the transaction of Flutterwave v3 charge.completed events (by data.id); a ${event.type} event has none`,
      );
    }
    return this.verifyTransaction(id);
  }

  async #transaction(
    request: { path: string; query?: Record<string, string> },
    what: string,
  ): Promise<FlutterwaveTransaction> {
    const body = await this.#client.getJson(request, what, transactionMissing);
    if (!isRecord(body) || body.status !== 'success' || !isTransaction(body.data)) {
      throw this.#invalid(request.path);
    }
    return body.data;
  }

  #invalid(path: string): ProviderUnavailableError {
    return new ProviderUnavailableError(
      'invalid_response',
      { provider: 'flutterwave', method: 'GET', path, providerStatus: 200 },
      `The Flutterwave API answered GET ${path} with a body that is not the documented one.`,
    );
  }
}
