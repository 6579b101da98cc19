/**
 * A loopback fake of the Flutterwave v3 API endpoints koa-payments calls, answering as Flutterwave
 * documents them (developer.flutterwave.com, github.com/Flutterwave/Node-v3 documentation):
 * `GET /v3/transactions/:id/verify` and `GET /v3/transactions/verify_by_reference?tx_ref=`
 * (`{ status: 'success', message: 'Transaction fetched successfully', data }`; an unknown one
 * `400 { status: 'error', message: 'No transaction was found for this id', data: null }`) and
 * `GET /v3/transactions` (`from`, `to` as dates, `page`, 10 per page, newest first;
 * `meta: { page_info: { total, current_page, total_pages } }`; list items as the documented
 * sample shows them, with `customer_name` and `customer_email` and the id quoted). Only the
 * configured secret key is accepted.
 */
import { bearer, type FakeAnswer, LoopbackFake, type SeenRequest } from './server.js';

type Json = Record<string, unknown>;

const NOT_FOUND: FakeAnswer = {
  status: 400,
  body: { status: 'error', message: 'No transaction was found for this id', data: null },
};

/** A transaction as the list endpoint shows it. */
function listed(transaction: Json): Json {
  const { customer, card: _card, meta: _meta, ...rest } = transaction;
  const who = (customer ?? {}) as Json;
  return {
    ...rest,
    id: String(transaction.id),
    customer_name: who.name ?? null,
    customer_email: who.email ?? null,
  };
}

/** The Flutterwave API fake. */
export class FlutterwaveApiFake extends LoopbackFake {
  readonly #transactions: Json[] = [];
  /** Transactions per list page: 10, as Flutterwave's. */
  pageSize = 10;

  constructor(readonly apiKey: string) {
    super((request) => this.#answer(request));
  }

  /** Adds a transaction, in the shape the verify endpoint returns it. */
  addTransaction(transaction: Json): this {
    this.#transactions.push(transaction);
    return this;
  }

  #answer(request: SeenRequest): FakeAnswer {
    if (bearer(request) !== this.apiKey) {
      return {
        status: 401,
        body: { status: 'error', message: 'Invalid authorization key', data: null },
      };
    }
    const found = (transaction: Json | undefined): FakeAnswer =>
      transaction === undefined
        ? NOT_FOUND
        : {
            status: 200,
            body: {
              status: 'success',
              message: 'Transaction fetched successfully',
              data: transaction,
            },
          };
    if (request.path === '/v3/transactions/verify_by_reference') {
      const txRef = request.query.get('tx_ref');
      return found(this.#transactions.find((transaction) => transaction.tx_ref === txRef));
    }
    const verify = /^\/v3\/transactions\/([^/]+)\/verify$/.exec(request.path);
    if (verify !== null) {
      return found(this.#transactions.find((t) => String(t.id) === verify[1]));
    }
    if (request.path === '/v3/transactions') return this.#list(request.query);
    return { status: 404, body: { status: 'error', message: 'Not in the fake', data: null } };
  }

  #list(query: URLSearchParams): FakeAnswer {
    const from = query.get('from');
    const to = query.get('to');
    const page = Number(query.get('page') ?? 1);
    const day = (transaction: Json) => String(transaction.created_at).slice(0, 10);
    const matching = this.#transactions
      .filter(
        (transaction) =>
          (from === null || day(transaction) >= from) && (to === null || day(transaction) <= to),
      )
      .sort((a, b) => Date.parse(String(b.created_at)) - Date.parse(String(a.created_at)));
    const size = this.pageSize;
    const data = matching.slice((page - 1) * size, page * size).map(listed);
    return {
      status: 200,
      body: {
        status: 'success',
        message: 'Transactions fetched',
        meta: {
          page_info: {
            total: matching.length,
            current_page: page,
            total_pages: Math.ceil(matching.length / size),
          },
        },
        data,
      },
    };
  }
}
