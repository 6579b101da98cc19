/**
 * The Paystack API (api.paystack.co, `Authorization: Bearer <secret key>`), through the library's
 * HTTP client: `GET /transaction/verify/:reference` and `GET /transaction` (offset pagination:
 * `perPage`, `page`, `from`, `to`; `meta.pageCount`). A transaction becomes the `charge.success`
 * event its webhook carries, with the same derived id (`charge.success:<transaction id>`, see
 * {@link paystackEventId}), so that webhooks and listings deduplicate.
 */
import { PaymentsError, SignatureVerificationError } from '../../errors.js';
import type { Logger } from '../../types.js';
import {
  NotFoundAtProviderError,
  type ProviderCall,
  ProviderUnavailableError,
} from '../shared/api-errors.js';
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
import { PAYSTACK_DATA_PATH, paystackEventId } from './events.js';

/** Paystack's public API. */
export const PAYSTACK_API_BASE = 'https://api.paystack.co';

/** The event a successful transaction's webhook carries. */
const CHARGE_SUCCESS = 'charge.success';

/** Transaction statuses that will never become `success`. */
const FINAL_FAILURES = new Set(['failed', 'abandoned', 'reversed']);

/** Paystack's default page size (its docs: `perPage`, default 50). */
const DEFAULT_PER_PAGE = 50;

/** A transaction as the API returns it; the fields koa-payments reads are typed. */
export interface PaystackTransaction {
  id: number;
  /** Your transaction reference. */
  reference: string;
  /** `success`, `failed`, `abandoned`, `reversed`, `ongoing`, `pending`, `processing`, `queued`. */
  status: string;
  domain?: string;
  [field: string]: unknown;
}

/** `meta` of a `GET /transaction` page. */
export interface PaystackListMeta {
  total: number;
  skipped: number;
  perPage: number | string;
  page: number;
  pageCount: number;
}

/** Filters of a `GET /transaction` listing. */
export interface PaystackTransactionListOptions {
  /** Transactions created at or after this time (`from`). */
  from?: Date;
  /** ... and at or before this time (`to`). */
  to?: Date;
  /** `success`, `failed`, `abandoned` or `reversed`. */
  status?: string;
  /**
   * Transactions per page (`perPage`).
   * @default 50
   */
  perPage?: number;
}

/** How to build a {@link PaystackApi}. */
export interface PaystackApiConfig {
  /** The integration's secret key (`sk_live_...`, `sk_test_...`). */
  secretKey: string;
  /** The API's base URL (`apiBase`). */
  apiBase: URL;
  http?: ApiHttpOptions | undefined;
  logger?: Logger | undefined;
}

/** Whether a value has the fields of a transaction koa-payments relies on. */
function isTransaction(value: unknown): value is PaystackTransaction {
  return (
    isRecord(value) &&
    (typeof value.id === 'number' || typeof value.id === 'string') &&
    typeof value.reference === 'string' &&
    typeof value.status === 'string'
  );
}

/**
 * The `charge.success` event a transaction's webhook carries, or undefined when the transaction
 * has not succeeded (no such webhook exists). `envelope` is the rest of the webhook body, when
 * there was one; `data` is the transaction.
 */
export function paystackTransactionEvent(
  transaction: PaystackTransaction,
  envelope: Record<string, unknown> = {},
): VerifiedEvent | undefined {
  if (transaction.status !== 'success') return undefined;
  const { domain } = transaction;
  return fetchedEvent(
    {
      id: paystackEventId(CHARGE_SUCCESS, transaction),
      type: CHARGE_SUCCESS,
      payload: { ...envelope, event: CHARGE_SUCCESS, data: transaction },
      livemode: domain === 'live' ? true : domain === 'test' ? false : undefined,
    },
    dataAt(PAYSTACK_DATA_PATH),
  );
}

/** Paystack answers an unknown reference 404, and in some versions 400 "... not found". */
function transactionMissing(status: number, body: unknown): boolean {
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : '';
  return status === 404 || (status === 400 && /not found/i.test(message));
}

/** The Paystack API of one variant. */
export class PaystackApi implements ProviderApi {
  readonly #client: ApiClient;

  constructor(config: PaystackApiConfig) {
    this.#client = new ApiClient({
      ...config.http,
      provider: 'paystack',
      label: 'Paystack',
      baseUrl: config.apiBase,
      headers: { authorization: `Bearer ${config.secretKey}` },
      logger: config.logger,
    });
  }

  /** `GET /transaction/verify/:reference`: the transaction, in whatever status it is. */
  async verifyTransaction(reference: string): Promise<PaystackTransaction> {
    const path = `/transaction/verify/${encodeURIComponent(reference)}`;
    const body = await this.#client.getJson(
      { path },
      `transaction ${reference}`,
      transactionMissing,
    );
    if (!isRecord(body) || body.status !== true || !isTransaction(body.data)) {
      throw this.#invalid(path);
    }
    return body.data;
  }

  /** `GET /transaction`: one page, with its `meta`. */
  async listTransactionsPage(
    options: PaystackTransactionListOptions & { page: number },
  ): Promise<{ data: PaystackTransaction[]; meta: PaystackListMeta }> {
    const path = '/transaction';
    const body = await this.#client.getJson(
      {
        path,
        query: {
          perPage: options.perPage ?? DEFAULT_PER_PAGE,
          page: options.page,
          from: options.from?.toISOString(),
          to: options.to?.toISOString(),
          status: options.status,
        },
      },
      'transaction list',
      () => false,
    );
    if (
      !isRecord(body) ||
      body.status !== true ||
      !Array.isArray(body.data) ||
      !body.data.every(isTransaction) ||
      !isRecord(body.meta) ||
      typeof body.meta.pageCount !== 'number'
    ) {
      throw this.#invalid(path);
    }
    return { data: body.data, meta: body.meta as unknown as PaystackListMeta };
  }

  /** Every transaction matching `options`, page by page (`page` 1 to `meta.pageCount`). */
  async *transactions(
    options: PaystackTransactionListOptions = {},
  ): AsyncGenerator<PaystackTransaction[]> {
    yield* numberedPages(async (page) => {
      const { data, meta } = await this.listTransactionsPage({ ...options, page });
      return { items: data, pageCount: meta.pageCount };
    });
  }

  /**
   * A `charge.success` webhook's transaction, verified by its reference: the event as that copy
   * makes it. A transaction that failed, was abandoned or reversed is not found as a success;
   * one still in progress is `pending_at_provider` (the webhook is answered 503 and redelivered).
   * Other event types have no transaction to verify and are returned as signed.
   */
  async confirm(event: VerifiedEvent): Promise<VerifiedEvent> {
    if (event.type !== CHARGE_SUCCESS) return event;
    const reference = isRecord(event.data) ? event.data.reference : undefined;
    if (typeof reference !== 'string' || reference === '') {
      throw new SignatureVerificationError(
        'invalid_payload',
        'The Paystack charge.success payload has no data.reference to verify.',
      );
    }
    const transaction = await this.verifyTransaction(reference);
    const confirmed = paystackTransactionEvent(
      transaction,
      isRecord(event.payload) ? event.payload : {},
    );
    if (confirmed !== undefined) return confirmed;
    const call: ProviderCall = {
      provider: 'paystack',
      method: 'GET',
      path: `/transaction/verify/${encodeURIComponent(reference)}`,
      providerStatus: 200,
    };
    const state = `Paystack reports transaction ${reference} as '${transaction.status}'`;
    if (FINAL_FAILURES.has(transaction.status)) {
      throw new NotFoundAtProviderError(call, `${state}: no charge.success to store.`);
    }
    throw new ProviderUnavailableError(
      'pending_at_provider',
      call,
      `${state}, not 'success' yet; the webhook was not stored and will be redelivered.`,
    );
  }

  /** Successful transactions since `options.since`, as `charge.success` events, page by page. */
  async *listEvents(options: ListEventsOptions): AsyncGenerator<ApiEventPage> {
    if (!typeWanted(CHARGE_SUCCESS, options.types)) return;
    const to = options.until ?? new Date();
    const transactions = this.transactions({ from: options.since, to, status: 'success' });
    yield* eventPages(transactions, (transaction) => paystackTransactionEvent(transaction));
  }

  /**
   * A payment by your reference (`GET /transaction/verify/:reference`): a `success` is settled as
   * its `charge.success` (the webhook's id); `failed`, `abandoned` and `reversed` have no such
   * event (not found); anything else is still pending. An unknown reference rejects with
   * `NotFoundAtProviderError`.
   */
  async reconcile(reference: string): Promise<ReconcileFinding> {
    const transaction = await this.verifyTransaction(reference);
    const paymentStatus = transaction.status;
    const event = paystackTransactionEvent(transaction);
    if (event !== undefined) return { status: 'settled', event, paymentStatus };
    return { status: FINAL_FAILURES.has(paymentStatus) ? 'not_found' : 'pending', paymentStatus };
  }

  /**
   * The transaction of a `charge.*` event, by its `data.reference` (`signal.fetch()`), as
   * `GET /transaction/verify/:reference` returns it now.
   */
  async fetchObject(event: { type: string; payload: unknown }): Promise<unknown> {
    const data = isRecord(event.payload) ? event.payload.data : undefined;
    const reference = isRecord(data) ? data.reference : undefined;
    if (!event.type.startsWith('charge.') || typeof reference !== 'string' || reference === '') {
      throw new PaymentsError(
        'invalid_request',
        400,
        `signal.fetch(): koa-payments fetches the transaction of Paystack charge.* events (by data.reference); a ${event.type} event has none`,
      );
    }
    return this.verifyTransaction(reference);
  }

  #invalid(path: string): ProviderUnavailableError {
    return new ProviderUnavailableError(
      'invalid_response',
      { provider: 'paystack', method: 'GET', path, providerStatus: 200 },
      `The Paystack API answered GET ${path} with a body that is not the documented one.`,
    );
  }
}
