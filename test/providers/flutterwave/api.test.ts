import { expect } from 'chai';
import { FlutterwaveApi } from '../../../src/providers/flutterwave/api.js';
import { flutterwave as flutterwaveProvider } from '../../../src/providers/flutterwave/verify.js';
import {
  NotFoundAtProviderError,
  ProviderUnavailableError,
} from '../../../src/providers/shared/api-errors.js';
import { samplePayload, signWebhook } from '../../../src/testing/index.js';
import { FlutterwaveApiFake } from '../../fakes/flutterwave-api.js';
import { fakeForEach } from '../../fakes/server.js';
import { rejection, verifySync, webhookRequest } from '../../helpers/provider.js';

const KEY = 'FLWSECK_TEST-0123456789abcdef0123456789abcdef-X';
const HASH = 'my-flutterwave-secret-hash';

/** A transaction as `GET /v3/transactions/:id/verify` returns it, created at `createdAt`. */
function transaction(createdAt: Date, overrides: Record<string, unknown> = {}) {
  return {
    ...(samplePayload('flutterwave', 'charge.completed').data as Record<string, unknown>),
    created_at: createdAt.toISOString(),
    amount_settled: 4930,
    ...overrides,
  } as unknown as Record<string, unknown> & { id: number; tx_ref: string; status: string };
}

describe('flutterwave API', () => {
  const fake = fakeForEach(() => new FlutterwaveApiFake(KEY));
  const api = () =>
    new FlutterwaveApi({
      apiKey: KEY,
      apiBase: new URL(fake.current.origin),
      http: { sleep: async () => {} },
    });

  it('verifies a transaction by id and by tx_ref, with the secret key as bearer', async () => {
    const tx = transaction(new Date());
    fake.current.addTransaction(tx);
    expect(await api().verifyTransaction(tx.id)).to.deep.equal(tx);
    expect(await api().verifyByReference(tx.tx_ref)).to.deep.equal(tx);
    expect(
      fake.current.requests.map((request) => `${request.path}?${request.query}`),
    ).to.deep.equal([
      `/v3/transactions/${tx.id}/verify?`,
      `/v3/transactions/verify_by_reference?tx_ref=${tx.tx_ref}`,
    ]);
    expect(fake.current.requests[0]?.headers.authorization).to.equal(`Bearer ${KEY}`);
  });

  it("maps Flutterwave's 'No transaction was found' to not_found_at_provider", async () => {
    const error = await rejection(api().verifyTransaction(404_404));
    expect(error).to.be.instanceOf(NotFoundAtProviderError);
    expect(error).to.include({ providerStatus: 400, path: '/v3/transactions/404404/verify' });
    expect(await rejection(api().verifyByReference('nope'))).to.be.instanceOf(
      NotFoundAtProviderError,
    );
  });

  it('lists every page of GET /v3/transactions, following meta.page_info', async () => {
    const now = Date.now();
    for (let index = 0; index < 23; index++) {
      fake.current.addTransaction(transaction(new Date(now - index * 60_000)));
    }
    const sizes: number[] = [];
    const since = new Date(now - 3_600_000);
    for await (const page of api().transactions({ from: since, to: new Date(now) })) {
      sizes.push(page.length);
    }
    expect(sizes).to.deep.equal([10, 10, 3]);
    const day = (time: number) => new Date(time).toISOString().slice(0, 10);
    expect(fake.current.requests.map((request) => Object.fromEntries(request.query))).to.deep.equal(
      [1, 2, 3].map((page) => ({ from: day(since.getTime()), to: day(now), page: String(page) })),
    );
  });

  it('lists completed transactions as the charge.completed events their webhooks carry (same ids)', async () => {
    // Noon (UTC) yesterday: the API filters by day, so all three transactions must fall on the
    // day of `since` whatever the time the suite runs (at 01:00 UTC, two hours back was the
    // day before).
    const now = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 12 * 3_600_000;
    const done = transaction(new Date(now - 60_000));
    fake.current.addTransaction(done);
    fake.current.addTransaction(transaction(new Date(now - 120_000), { status: 'pending' }));
    fake.current.addTransaction(transaction(new Date(now - 7_200_000)));
    const pages = [];
    for await (const page of api().listEvents({ since: new Date(now - 3_600_000) })) {
      pages.push(page);
    }
    const signed = signWebhook('flutterwave', {
      payload: { event: 'charge.completed', data: done },
      secret: HASH,
    });
    const webhook = verifySync(
      flutterwaveProvider({ secretHash: HASH }, { variant: 'flutterwave', webhookUrl: () => '' }),
      webhookRequest(signed.body, signed.headers),
    );
    expect(pages.map((page) => page.fetched)).to.deep.equal([3]);
    // The pending one makes no event yet; the one before `since` is filtered here (the API
    // filters by day only).
    expect(pages[0]?.events.map((event) => event.id)).to.deep.equal([webhook.id]);
    expect(webhook.id).to.equal(`charge.completed:${done.id}:successful`);
    // The list shows the documented list shape (quoted id, customer_name), not the webhook's.
    expect(pages[0]?.events[0]?.data).to.include({ id: String(done.id), tx_ref: done.tx_ref });
  });

  it('confirms a v3 charge.completed by its id, and reports a pending one as pending_at_provider', async () => {
    const tx = transaction(new Date());
    const pending = transaction(new Date(), { status: 'pending' });
    fake.current.addTransaction(tx).addTransaction(pending);
    const event = (data: Record<string, unknown>) => ({
      id: 'x',
      type: 'charge.completed',
      data,
      payload: { event: 'charge.completed', 'event.type': 'CARD_TRANSACTION', data },
    });
    const confirmed = await api().confirm(event({ id: tx.id, status: 'successful' }));
    expect(confirmed.id).to.equal(`charge.completed:${tx.id}:successful`);
    expect(confirmed.payload).to.deep.equal({
      event: 'charge.completed',
      'event.type': 'CARD_TRANSACTION',
      data: tx,
    });
    const error = await rejection(api().confirm(event({ id: pending.id, status: 'successful' })));
    expect(error).to.be.instanceOf(ProviderUnavailableError);
    expect(error).to.include({ reason: 'pending_at_provider' });
  });

  it('returns v4 charges and other event types as signed, without a request', async () => {
    const v4 = { id: 'x', type: 'charge.completed', data: { id: 'chg_Hq4oBRTJ4r' }, payload: {} };
    const transfer = { id: 'y', type: 'transfer.completed', data: { id: 1 }, payload: {} };
    expect(await api().confirm(v4)).to.equal(v4);
    expect(await api().confirm(transfer)).to.equal(transfer);
    expect(fake.current.requests).to.deep.equal([]);
  });
});
