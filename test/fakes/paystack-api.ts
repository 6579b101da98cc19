/**
 * A loopback fake of the Paystack API endpoints koa-payments calls, answering as Paystack
 * documents them (paystack.com/docs/api, github.com/PaystackOSS/openapi):
 * `GET /transaction/verify/:reference` (`{ status: true, message: 'Verification successful',
 * data }`; an unknown reference `{ status: false, message: 'Transaction reference not found' }`,
 * 404 as the OpenAPI file says, or 400 as some integrations report) and `GET /transaction`
 * (`perPage` default 50, `page`, `from`, `to`, `status`; newest first; `meta: { total,
 * total_volume, skipped, perPage, page, pageCount }`). Only the configured secret key is accepted.
 */
import { bearer, type FakeAnswer, LoopbackFake, type SeenRequest } from './server.js';

type Json = Record<string, unknown>;

/** The Paystack API fake. */
export class PaystackApiFake extends LoopbackFake {
  readonly #transactions: Json[] = [];
  /** The status of an unknown reference's answer. */
  notFoundStatus: 404 | 400 = 404;
  /** The most transactions one list page holds, whatever `perPage` asks (to test pagination). */
  pageSize = 100;

  constructor(readonly secretKey: string) {
    super((request) => this.#answer(request));
  }

  /** Adds a transaction (its `created_at` orders and filters the list). */
  addTransaction(transaction: Json): this {
    this.#transactions.push(transaction);
    return this;
  }

  #answer(request: SeenRequest): FakeAnswer {
    if (bearer(request) !== this.secretKey) {
      return { status: 401, body: { status: false, message: 'Invalid key' } };
    }
    const verify = /^\/transaction\/verify\/(.+)$/.exec(request.path);
    if (verify !== null) {
      const reference = decodeURIComponent(verify[1] as string);
      const found = this.#transactions.find((transaction) => transaction.reference === reference);
      return found === undefined
        ? {
            status: this.notFoundStatus,
            body: { status: false, message: 'Transaction reference not found' },
          }
        : { status: 200, body: { status: true, message: 'Verification successful', data: found } };
    }
    if (request.path === '/transaction') return this.#list(request.query);
    return { status: 404, body: { status: false, message: 'Not in the fake' } };
  }

  #list(query: URLSearchParams): FakeAnswer {
    const perPage = Math.min(Number(query.get('perPage') ?? 50), this.pageSize);
    const page = Number(query.get('page') ?? 1);
    const from = query.get('from');
    const to = query.get('to');
    const status = query.get('status');
    const matching = this.#transactions
      .filter((transaction) => {
        const created = Date.parse(String(transaction.created_at));
        if (from !== null && created < Date.parse(from)) return false;
        if (to !== null && created > Date.parse(to)) return false;
        return status === null || transaction.status === status;
      })
      .sort((a, b) => Date.parse(String(b.created_at)) - Date.parse(String(a.created_at)));
    const skipped = (page - 1) * perPage;
    const data = matching.slice(skipped, skipped + perPage);
    return {
      status: 200,
      body: {
        status: true,
        message: 'Transactions retrieved',
        data,
        meta: {
          total: matching.length,
          total_volume: data.reduce((sum, transaction) => sum + Number(transaction.amount), 0),
          skipped,
          perPage,
          page,
          pageCount: Math.ceil(matching.length / perPage),
        },
      },
    };
  }
}
