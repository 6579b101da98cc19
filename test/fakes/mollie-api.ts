/**
 * A loopback fake of the Mollie API endpoints koa-payments calls, answering as Mollie documents
 * them (docs.mollie.com/reference/get-payment, list-payments, handling-errors), in HAL JSON
 * (`application/hal+json`): `GET /v2/payments/:id` (the payment; an unknown id 404 with the
 * problem document `{ status, title, detail, _links: { documentation } }`) and `GET /v2/payments`
 * (newest first, `limit` default 50 up to 250, cursor `from` = the id of the first payment of the
 * page; `{ count, _embedded: { payments }, _links: { self, previous, next, documentation } }`).
 * Only the configured API key is accepted (401 problem otherwise).
 */
import { bearer, type FakeAnswer, LoopbackFake, type SeenRequest } from './server.js';

type Json = Record<string, unknown>;

const HAL = { 'content-type': 'application/hal+json' };

function problem(status: number, title: string, detail: string): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'application/hal+json' },
    body: {
      status,
      title,
      detail,
      _links: {
        documentation: {
          href: 'https://docs.mollie.com/reference/handling-errors',
          type: 'text/html',
        },
      },
    },
  };
}

/** The Mollie API fake. */
export class MollieApiFake extends LoopbackFake {
  readonly #payments: Json[] = [];

  constructor(readonly apiKey: string) {
    super((request) => this.#answer(request));
  }

  /** Adds a payment, or replaces the one with its id (a status change). */
  setPayment(payment: Json): this {
    const index = this.#payments.findIndex((known) => known.id === payment.id);
    if (index === -1) this.#payments.push(payment);
    else this.#payments[index] = payment;
    return this;
  }

  #answer(request: SeenRequest): FakeAnswer {
    if (bearer(request) !== this.apiKey) {
      return problem(
        401,
        'Unauthorized Request',
        'Missing authentication, or failed to authenticate',
      );
    }
    const one = /^\/v2\/payments\/([^/]+)$/.exec(request.path);
    if (one !== null) {
      const id = decodeURIComponent(one[1] as string);
      const found = this.#payments.find((payment) => payment.id === id);
      return found === undefined
        ? problem(404, 'Not Found', `No payment exists with token ${id}.`)
        : { status: 200, headers: HAL, body: found };
    }
    if (request.path === '/v2/payments') return this.#list(request);
    return problem(404, 'Not Found', 'The resource does not exist in the fake.');
  }

  #list(request: SeenRequest): FakeAnswer {
    const limit = Number(request.query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) {
      return problem(400, 'Bad Request', 'The limit must be between 1 and 250.');
    }
    const newestFirst = [...this.#payments].sort(
      (a, b) => Date.parse(String(b.createdAt)) - Date.parse(String(a.createdAt)),
    );
    const from = request.query.get('from');
    const start = from === null ? 0 : newestFirst.findIndex((payment) => payment.id === from);
    if (start === -1) return problem(404, 'Not Found', `No payment exists with token ${from}.`);
    const page = newestFirst.slice(start, start + limit);
    const next = newestFirst[start + limit];
    const href = (cursor: unknown) => ({
      href: `https://api.mollie.com/v2/payments?from=${String(cursor)}&limit=${limit}`,
      type: 'application/hal+json',
    });
    return {
      status: 200,
      headers: HAL,
      body: {
        count: page.length,
        _embedded: { payments: page },
        _links: {
          self: href(page[0]?.id ?? from),
          previous: null,
          next: next === undefined ? null : href(next.id),
          documentation: {
            href: 'https://docs.mollie.com/reference/list-payments',
            type: 'text/html',
          },
        },
      },
    };
  }
}
