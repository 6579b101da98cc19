import { expect } from 'chai';
import { PaystackApi, paystackTransactionEvent } from '../../../src/providers/paystack/api.js';
import { paystack as paystackProvider } from '../../../src/providers/paystack/verify.js';
import {
  NotFoundAtProviderError,
  ProviderUnavailableError,
} from '../../../src/providers/shared/api-errors.js';
import { samplePayload, signWebhook } from '../../../src/testing/index.js';
import { PaystackApiFake } from '../../fakes/paystack-api.js';
import { fakeForEach } from '../../fakes/server.js';
import { rejection, verifySync, webhookRequest } from '../../helpers/provider.js';

const KEY = 'sk_test_paystack_api_key_0001';

/** A transaction as `GET /transaction/verify` returns it, created `minutesAgo`. */
function transaction(minutesAgo: number, overrides: Record<string, unknown> = {}) {
  const createdAt = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const sample = samplePayload('paystack', 'charge.success').data as { id: number };
  return { ...sample, created_at: createdAt, createdAt, ...overrides };
}

describe('paystack API', () => {
  const fake = fakeForEach(() => new PaystackApiFake(KEY));
  const api = () =>
    new PaystackApi({
      secretKey: KEY,
      apiBase: new URL(fake.current.origin),
      http: { sleep: async () => {} },
    });

  it('verifies a transaction by reference with the secret key as bearer', async () => {
    const tx = transaction(1, { reference: 'order/42 x' });
    fake.current.addTransaction(tx);
    expect(await api().verifyTransaction('order/42 x')).to.deep.equal(tx);
    expect(fake.current.requests[0]?.path).to.equal('/transaction/verify/order%2F42%20x');
    expect(fake.current.requests[0]?.headers.authorization).to.equal(`Bearer ${KEY}`);
  });

  for (const status of [404, 400] as const) {
    it(`maps an unknown reference (${status}) to not_found_at_provider`, async () => {
      fake.current.notFoundStatus = status;
      const error = await rejection(api().verifyTransaction('nope'));
      expect(error).to.be.instanceOf(NotFoundAtProviderError);
      expect(error.message).to.equal(
        `Paystack has no transaction nope (GET /transaction/verify/nope (${status})).`,
      );
    });
  }

  it('lists every page of GET /transaction with perPage, page, from, to and status', async () => {
    for (let minutes = 1; minutes <= 5; minutes++)
      fake.current.addTransaction(transaction(minutes));
    fake.current.addTransaction(transaction(90));
    fake.current.addTransaction(transaction(2, { status: 'abandoned' }));
    const from = new Date(Date.now() - 60 * 60_000);
    const to = new Date();
    const pages: number[] = [];
    for await (const page of api().transactions({ from, to, status: 'success', perPage: 2 })) {
      pages.push(page.length);
    }
    expect(pages).to.deep.equal([2, 2, 1]);
    expect(fake.current.requests.map((request) => Object.fromEntries(request.query))).to.deep.equal(
      [1, 2, 3].map((page) => ({
        perPage: '2',
        page: String(page),
        from: from.toISOString(),
        to: to.toISOString(),
        status: 'success',
      })),
    );
  });

  it('lists successful transactions as the charge.success events their webhooks carry (same ids)', async () => {
    const tx = transaction(3);
    fake.current.addTransaction(tx);
    const pages = [];
    for await (const page of api().listEvents({ since: new Date(Date.now() - 3_600_000) })) {
      pages.push(page);
    }
    const signed = signWebhook('paystack', {
      payload: { event: 'charge.success', data: tx },
      secret: KEY,
    });
    const webhook = verifySync(
      paystackProvider({ secretKey: KEY }, { variant: 'paystack', webhookUrl: () => '' }),
      webhookRequest(signed.body, signed.headers),
    );
    expect(pages.map((page) => page.fetched)).to.deep.equal([1]);
    const listed = pages[0]?.events[0];
    expect(listed).to.deep.include({ id: webhook.id, type: 'charge.success', livemode: false });
    expect(listed?.id).to.equal(`charge.success:${tx.id}`);
    expect(listed?.data).to.deep.equal(tx);
    expect(JSON.parse(listed?.payloadText as string)).to.deep.equal({
      event: 'charge.success',
      data: tx,
    });
  });

  it('lists nothing, without a request, for types that exclude charge.success', async () => {
    const pages = [];
    for await (const page of api().listEvents({ since: new Date(0), types: ['transfer.*'] })) {
      pages.push(page);
    }
    expect(pages).to.deep.equal([]);
    expect(fake.current.requests).to.deep.equal([]);
  });

  it('makes no event of a transaction that has not succeeded', () => {
    expect(paystackTransactionEvent(transaction(1, { status: 'abandoned' }) as never)).to.equal(
      undefined,
    );
  });

  it('reports a transaction still in progress as pending_at_provider, a failed one as not found', async () => {
    fake.current.addTransaction(transaction(1, { reference: 'slow', status: 'ongoing' }));
    fake.current.addTransaction(transaction(1, { reference: 'gone', status: 'reversed' }));
    const event = (reference: string) => ({
      id: 'charge.success:1',
      type: 'charge.success',
      data: { reference },
      payload: {},
    });
    const pending = await rejection(api().confirm(event('slow')));
    expect(pending).to.be.instanceOf(ProviderUnavailableError);
    expect(pending).to.include({ reason: 'pending_at_provider', status: 503 });
    const reversed = await rejection(api().confirm(event('gone')));
    expect(reversed).to.be.instanceOf(NotFoundAtProviderError);
    expect(reversed.message).to.equal(
      "Paystack reports transaction gone as 'reversed': no charge.success to store.",
    );
  });

  it('returns other event types as signed, without a request', async () => {
    const event = { id: 'transfer.success:1', type: 'transfer.success', data: {}, payload: {} };
    expect(await api().confirm(event)).to.equal(event);
    expect(fake.current.requests).to.deep.equal([]);
  });
});
