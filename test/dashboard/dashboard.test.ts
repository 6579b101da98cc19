import { createHash } from 'node:crypto';
import { expect } from 'chai';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { ConfigurationError, type Payments, payments } from '../../src/index.js';
import { sendWebhook } from '../../src/testing/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { listen, tempDir } from '../helpers/server.js';
import {
  type Answer,
  BASE,
  Client,
  formOf,
  noticeOf,
  SECRET,
  type Shop,
  startShop,
  stripeEvent,
} from './fixture.js';

/** Row ids of the events an events page lists, in order. */
function eventIds(page: Answer): number[] {
  return [...page.text.matchAll(/<tr><td class="num"><a href="[^"]+\/events\/(\d+)">/g)].map((m) =>
    Number(m[1]),
  );
}

/** Row ids of the lines a requests page lists, in order. */
function requestIds(page: Answer): number[] {
  return [...page.text.matchAll(/<tr><td class="num"><a href="[^"]+\/requests\/(\d+)">/g)].map(
    (m) => Number(m[1]),
  );
}

/** Row ids of the deliveries a deliveries page lists, in order. */
function deliveryIds(page: Answer): number[] {
  return [...page.text.matchAll(/<tr id="delivery-(\d+)">/g)].map((m) => Number(m[1]));
}

/** The cells of the row headed `name` in the overview's variant table. */
function variantRow(page: Answer, name: string): string[] {
  const row = new RegExp(`<tr><th scope="row">${name}</th>([\\s\\S]*?)</tr>`).exec(page.text);
  if (row === null) throw new Error(`no row for ${name}`);
  return [...(row[1] as string).matchAll(/<td class="num">([\s\S]*?)<\/td>/g)].map((m) =>
    (m[1] as string).replace(/<[^>]+>/g, ''),
  );
}

/** Follows the pager link `rel` (next: older, prev: newer) of a page, if there is one. */
function pagerLink(page: Answer, rel: 'next' | 'prev'): string | undefined {
  const match = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(page.text);
  return match === null ? undefined : (match[1] as string).replace(/&amp;/g, '&');
}

const PAGES = [
  '/',
  '/requests',
  '/events',
  '/deliveries',
  '/deliveries?status=failed',
  '/deliveries?status=skipped',
];

describe('pay.dashboard() options', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pay: Payments;

  before(() => {
    tmp = tempDir();
    pay = payments({
      database: tmp.file(),
      worker: false,
      variants: { stripe: { provider: 'stripe', endpointSecret: 'whsec_x' } },
    });
  });
  after(async () => {
    await pay.close();
    tmp.remove();
  });

  const refused = (options: unknown, option: string) => {
    expect(() => pay.dashboard(options as never))
      .to.throw(ConfigurationError)
      .with.property('option', option);
  };

  it('requires authorize, naming the option', () => {
    refused({ path: '/admin' }, 'dashboard.authorize');
    refused({ path: '/admin', authorize: true }, 'dashboard.authorize');
    expect(() => pay.dashboard({ path: '/admin' } as never)).to.throw(/ctx\.state\.user\?\.admin/);
  });

  it('refuses a bad path, an unknown option, a short secret and a bad page size', () => {
    const authorize = () => true;
    refused({ path: 'admin', authorize }, 'dashboard.path');
    refused({ path: '/', authorize }, 'dashboard.path');
    refused({ path: '/a b', authorize }, 'dashboard.path');
    refused({ path: '/admin', authorize, auth: true }, 'dashboard.auth');
    refused({ path: '/admin', authorize, secret: 'short' }, 'dashboard.secret');
    refused({ path: '/admin', authorize, pageSize: 0 }, 'dashboard.pageSize');
    refused({ path: '/admin', authorize, retryBatch: 1.5 }, 'dashboard.retryBatch');
    refused({ path: '/admin', authorize, title: '' }, 'dashboard.title');
  });

  it('is a named middleware', () => {
    const middleware = pay.dashboard({ path: '/admin/', authorize: () => true });
    expect(middleware.name).to.equal('koaPaymentsDashboard');
  });
});

for (const dialect of DIALECTS) {
  describe(`dashboard pages on ${dialect}`, () => {
    let shop: Shop;
    let client: Client;
    let failedCharge: number;
    let refusedLine: number;

    before(async () => {
      shop = await startShop(dialect);
      client = new Client(shop.server.origin);
      expect(await shop.send(stripeEvent('evt_paid', 'checkout.session.completed'))).to.equal(200);
      shop.ledgerDown = true;
      const hostile = {
        description: '<script>alert(1)</script>',
        quote: `"double" and 'single'`,
        note: '</textarea><img src=x onerror=alert(2)></pre>',
      };
      expect(await shop.send(stripeEvent('evt_charge', 'charge.succeeded', hostile))).to.equal(200);
      expect(await shop.send(stripeEvent('evt_refund', 'charge.refunded'), 'stripe_eu')).to.equal(
        200,
      );
      shop.ledgerDown = false;
      expect(await shop.send(stripeEvent('evt_customer', 'customer.created'))).to.equal(200);
      expect(
        await shop.sendRefused('{"id":"</pre><script>alert(3)</script>"}', {
          'x-evil': '"><script>alert(4)</script>',
          authorization: 'Bearer s3cr3t-token',
        }),
      ).to.equal(400);
      failedCharge = await shop.rowIdOf('evt_charge');
      const refusedRow = await shop.db.reader('payments_requests').where({ valid: false }).first();
      refusedLine = Number(refusedRow.id);
    });
    after(() => shop.close());

    it('passes requests outside its path to next()', async () => {
      for (const path of ['/payments/administrator', '/payments', '/']) {
        const answer = await client.get(path);
        expect(answer.status, path).to.equal(418);
        expect(answer.text).to.equal('next');
      }
    });

    it('answers 403 to whoever authorize does not let in, on pages and actions alike', async () => {
      const stranger = new Client(shop.server.origin, {});
      const pages = [...PAGES, `/events/${failedCharge}`, `/requests/${refusedLine}`];
      for (const path of pages) {
        const answer = await stranger.get(`${BASE}${path}`);
        expect(answer.status, path).to.equal(403);
        expect(answer.text).to.not.include('evt_');
        expect(answer.headers.get('x-frame-options')).to.equal('DENY');
      }
      const post = await stranger.post(`${BASE}/deliveries/1/retry`, {});
      expect(post.status).to.equal(403);
      const liar = new Client(shop.server.origin, { 'x-operator': 'maybe' });
      expect((await liar.get(`${BASE}/`)).status).to.equal(403);
    });

    it('sends a strict CSP and no-store, no-frame, no-referrer headers; no page has a script', async () => {
      for (const path of [...PAGES, `/events/${failedCharge}`, `/requests/${refusedLine}`]) {
        const answer = await client.get(`${BASE}${path}`);
        expect(answer.status, path).to.equal(200);
        expect(answer.headers.get('content-type')).to.equal('text/html; charset=utf-8');
        const csp = answer.headers.get('content-security-policy') as string;
        const style = /<style>([\s\S]*?)<\/style>/.exec(answer.text)?.[1] as string;
        const hash = createHash('sha256').update(style).digest('base64');
        expect(csp).to.equal(
          `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
        );
        expect(answer.headers.get('x-frame-options')).to.equal('DENY');
        expect(answer.headers.get('cache-control')).to.equal('no-store');
        expect(answer.headers.get('referrer-policy')).to.equal('no-referrer');
        expect(answer.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(answer.text, path).to.not.match(/<script|<img| style="/i);
      }
    });

    it('shows the last 24 hours by variant and outcome, and the deliveries to mind', async () => {
      const page = await client.get(`${BASE}/`);
      // requests, refused, events stored, processed, pending, failed, ignored
      expect(variantRow(page, 'stripe')).to.deep.equal(['4', '1', '3', '2', '0', '1', '0']);
      expect(variantRow(page, 'stripe_eu')).to.deep.equal(['1', '0', '1', '0', '0', '1', '0']);
      expect(page.text).to.match(
        /<div class="value">2<\/div><div class="label">failed, to be retried/,
      );
      expect(page.text).to.match(/<div class="value">0<\/div><div class="label">dead/);
      expect(page.text).to.match(
        /<div class="value">0<\/div><div class="label">deliveries due now/,
      );
      expect(page.text).to.include(
        'Requests per hour over the last 24 hours (UTC): 4 accepted, 1 refused.',
      );
      const bars = [...page.text.matchAll(/<g class="bar"><title>([^<]+)<\/title>/g)];
      expect(bars).to.have.length(24);
      expect(bars.at(-1)?.[1]).to.match(/UTC: 4 accepted, 1 refused$/);
      expect(page.text).to.match(
        /<td>stripe<\/td><td><span class="badge s-400">400<\/span><\/td><td class="mono">invalid_signature:no_matching_signature<\/td>/,
      );
    });

    it('lists the request log, refused requests included, filtered by variant, outcome and status', async () => {
      const all = await client.get(`${BASE}/requests`);
      expect(requestIds(all)).to.have.length(5);
      expect(requestIds(all)[0]).to.equal(refusedLine);
      expect(requestIds(await client.get(`${BASE}/requests?valid=no`))).to.deep.equal([
        refusedLine,
      ]);
      expect(requestIds(await client.get(`${BASE}/requests?status=400`))).to.deep.equal([
        refusedLine,
      ]);
      expect(requestIds(await client.get(`${BASE}/requests?variant=stripe_eu`))).to.have.length(1);
      expect(requestIds(await client.get(`${BASE}/requests?since=1h&valid=no`))).to.deep.equal([
        refusedLine,
      ]);
      expect(
        requestIds(await client.get(`${BASE}/requests?valid=yes&variant=stripe`)),
      ).to.have.length(3);
      const bad = await client.get(`${BASE}/requests?status=abc`);
      expect(bad.status).to.equal(400);
      expect(bad.text).to.include('status must be an HTTP status code');
    });

    it('shows a refused request with its headers redacted and its body escaped', async () => {
      const page = await client.get(`${BASE}/requests/${refusedLine}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<dt>authorization</dt><dd>[redacted]</dd>');
      expect(page.text).to.not.include('s3cr3t');
      expect(page.text).to.include(
        '<dt>x-evil</dt><dd>&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;</dd>',
      );
      expect(page.text).to.include('{&quot;id&quot;:&quot;&lt;/pre&gt;&lt;script&gt;alert(3)');
      expect(page.text).to.include('invalid_signature:no_matching_signature');
      expect((await client.get(`${BASE}/requests/999999`)).status).to.equal(404);
      expect((await client.get(`${BASE}/requests/x1`)).status).to.equal(400);
    });

    it('lists events filtered by status, type and variant, and finds one by its provider id', async () => {
      const ids = async (query: string) => eventIds(await client.get(`${BASE}/events${query}`));
      const refund = await shop.rowIdOf('evt_refund');
      const paid = await shop.rowIdOf('evt_paid');
      const customer = await shop.rowIdOf('evt_customer');
      expect(await ids('')).to.deep.equal([customer, refund, failedCharge, paid]);
      expect(await ids('?status=failed')).to.deep.equal([refund, failedCharge]);
      expect(await ids('?type=charge.refunded')).to.deep.equal([refund]);
      expect(await ids('?variant=stripe_eu')).to.deep.equal([refund]);
      expect(await ids('?status=failed&variant=stripe&type=charge.succeeded')).to.deep.equal([
        failedCharge,
      ]);
      expect(await ids('?status=processed&type=charge.succeeded')).to.deep.equal([]);
      expect(await ids('?q=evt_charge')).to.deep.equal([failedCharge]);
      expect(await ids(`?q=${refund}`)).to.deep.equal([refund]);
      const none = await client.get(`${BASE}/events?q=evt_nope`);
      expect(none.text).to.include('No stored event has that id.');
      expect((await client.get(`${BASE}/events?status=lost`)).status).to.equal(400);
    });

    it('shows one event: payload escaped, deliveries with attempts and last error, the requests that carried it', async () => {
      const page = await client.get(`${BASE}/events/${failedCharge}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include(
        '&quot;description&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;',
      );
      expect(page.text).to.include(
        '&lt;/textarea&gt;&lt;img src=x onerror=alert(2)&gt;&lt;/pre&gt;',
      );
      expect(page.text).to.include('\\&quot;double\\&quot; and &#39;single&#39;');
      const ledger =
        /<tr id="delivery-\d+"><td class="mono">ledger\.book<\/td>([\s\S]*?)<\/tr>/.exec(
          page.text,
        )?.[1] as string;
      expect(ledger).to.include('<span class="badge s-failed">failed</span>');
      expect(ledger).to.include('<td class="num">1</td>');
      expect(ledger).to.include('Error: ledger unavailable: connection refused');
      expect(ledger).to.match(/<time datetime="[^"]+" title="in 60 min">/);
      expect(ledger).to.include('Retry now');
      const audit = /<tr id="delivery-\d+"><td class="mono">audit<\/td>([\s\S]*?)<\/tr>/.exec(
        page.text,
      )?.[1] as string;
      expect(audit).to.include('s-succeeded').and.not.include('Retry now');
      const [line] = await shop.db.reader('payments_requests').where({ event: failedCharge });
      expect(page.text).to.include(`href="${BASE}/requests/${line.id}"`);
      expect(page.text).to.match(/<dt>stripe-signature<\/dt><dd>t=\d+,v1=[0-9a-f]{64}<\/dd>/);
      const byProviderId = await client.get(`${BASE}/events/evt_charge`);
      expect(byProviderId.text).to.include(`<h1>Event #${failedCharge} `);
      expect((await client.get(`${BASE}/events/999999`)).status).to.equal(404);
    });

    it('lists failed and dead deliveries by receiver', async () => {
      const failed = await client.get(`${BASE}/deliveries?status=failed`);
      expect(failed.text).to.match(
        /<th scope="row" class="mono">ledger\.book<\/th>\s*<td class="num"><a [^>]+>2<\/a><\/td>/,
      );
      const rows = [...failed.text.matchAll(/<tr id="delivery-(\d+)">[\s\S]*?<\/tr>/g)];
      expect(rows).to.have.length(2);
      expect(rows[0]?.[0]).to.include('evt_refund').and.include('ledger unavailable');
      expect(rows[1]?.[0]).to.include('evt_charge');
      const dead = await client.get(`${BASE}/deliveries`);
      expect(dead.text).to.include('No dead deliveries.');
      const other = await client.get(`${BASE}/deliveries?status=failed&receiver=audit`);
      expect(other.text).to.include('No failed deliveries.');
    });

    it('pages through events, requests and deliveries by keyset without skipping or repeating', async () => {
      for (let i = 0; i < 5; i++) {
        expect(await shop.send(stripeEvent(`evt_more_${i}`, 'customer.created'))).to.equal(200);
      }
      shop.ledgerDown = true;
      for (let i = 0; i < 3; i++) {
        expect(await shop.send(stripeEvent(`evt_down_${i}`, 'charge.captured'))).to.equal(200);
      }
      shop.ledgerDown = false;
      const app = new Koa();
      app.use(shop.pay.dashboard({ path: '/small', pageSize: 2, authorize: () => true }));
      const server = await listen(app);
      try {
        const small = new Client(server.origin, {});
        const walk = async (start: string, ids: (page: Answer) => number[]) => {
          const older: number[] = [];
          let page = await small.get(start);
          older.push(...ids(page));
          for (
            let next = pagerLink(page, 'next');
            next !== undefined;
            next = pagerLink(page, 'next')
          ) {
            page = await small.get(next);
            older.push(...ids(page));
          }
          const newer: number[] = [...ids(page)];
          for (
            let prev = pagerLink(page, 'prev');
            prev !== undefined;
            prev = pagerLink(page, 'prev')
          ) {
            page = await small.get(prev);
            newer.unshift(...ids(page));
          }
          return { older, newer };
        };
        for (const query of [
          '',
          '?status=processed',
          '?type=customer.created',
          '?variant=stripe',
        ]) {
          const expected = eventIds(
            await client.get(`${BASE}/events${query}`), // one page of 50 holds them all
          );
          expect(expected.length, query).to.be.greaterThan(2);
          const { older, newer } = await walk(`/small/events${query}`, eventIds);
          expect(older, query).to.deep.equal(expected);
          expect(newer, query).to.deep.equal(expected);
        }
        const requests = requestIds(await client.get(`${BASE}/requests`));
        const walked = await walk('/small/requests', requestIds);
        expect(walked.older).to.deep.equal(requests);
        expect(walked.newer).to.deep.equal(requests);
        const failed = deliveryIds(await client.get(`${BASE}/deliveries?status=failed`));
        expect(failed).to.have.length(5);
        const deliveries = await walk('/small/deliveries?status=failed', deliveryIds);
        expect(deliveries.older).to.deep.equal(failed);
        expect(deliveries.newer).to.deep.equal(failed);
      } finally {
        await server.close();
      }
    });

    it('answers 404 to an unknown page and 405 to a wrong method', async () => {
      const missing = await client.get(`${BASE}/nowhere`);
      expect(missing.status).to.equal(404);
      expect(missing.headers.get('content-security-policy')).to.include("default-src 'none'");
      const getAction = await client.get(`${BASE}/events/${failedCharge}/replay`);
      expect(getAction.status).to.equal(405);
      expect(getAction.headers.get('allow')).to.equal('POST');
      const postPage = await client.post(`${BASE}/events`, {});
      expect(postPage.status).to.equal(405);
      expect(postPage.headers.get('allow')).to.equal('GET, HEAD');
      expect((await client.get(`${BASE}/events/%E0%A4%A`)).status).to.equal(400);
    });
  });

  describe(`dashboard event page on ${dialect}`, () => {
    it('says why an event was stored ignored', async () => {
      const shop = await startShop(
        dialect,
        {},
        {
          variants: {
            stripe: { provider: 'stripe', endpointSecret: SECRET, mode: 'live' },
          },
        },
      );
      try {
        expect(await shop.send(stripeEvent('evt_test_mode', 'charge.succeeded'))).to.equal(200);
        const id = await shop.rowIdOf('evt_test_mode');
        const page = await new Client(shop.server.origin).get(`${BASE}/events/${id}`);
        expect(page.text).to.include(
          '<span class="badge s-ignored">ignored</span> <span class="muted">(its live/test mode is not the variant&#39;s mode: no receiver runs it)</span>',
        );
        expect(shop.runs.ledger).to.deep.equal([]);
      } finally {
        await shop.close();
      }
    });
  });

  describe(`dashboard deferred delivery on ${dialect}`, () => {
    it('shows a delivery its receiver deferred (RetryLater) as deferred, with the reason escaped', async () => {
      const shop = await startShop(dialect);
      try {
        expect(await shop.send(stripeEvent('evt_early', 'checkout.session.completed'))).to.equal(
          200,
        );
        const id = await shop.rowIdOf('evt_early');
        // What the dispatcher records for a RetryLater (test/dispatch/retry-later.test.ts).
        await shop.pay
          .knex('payments_deliveries')
          .where({ event: id })
          .update({
            status: 'pending',
            attempts: 0,
            completed_at: null,
            next_attempt_at: new Date(Date.now() + 60_000),
            deferred_since: new Date(),
            deferred_reason: 'order <7> not created yet',
          });
        const page = await new Client(shop.server.origin).get(`${BASE}/events/${id}`);
        expect(page.text).to.include('<span class="badge s-deferred">deferred</span>');
        expect(page.text).to.include('order &lt;7&gt; not created yet');
        expect(page.text).to.not.include('order <7>');
      } finally {
        await shop.close();
      }
    });
  });

  describe(`dashboard actions on ${dialect}`, () => {
    let shop: Shop;
    let client: Client;

    beforeEach(async () => {
      shop = await startShop(dialect, { retryBatch: 2 });
      client = new Client(shop.server.origin);
    });
    afterEach(() => shop.close());

    const deliveryOf = async (eventId: string, receiver: string) =>
      shop.db
        .reader('payments_deliveries')
        .where({ event: await shop.rowIdOf(eventId), receiver })
        .first();

    it('retries a failed delivery now and shows the result after the redirect, once', async () => {
      shop.ledgerDown = true;
      await shop.send(stripeEvent('evt_retry', 'charge.succeeded'));
      shop.ledgerDown = false;
      const id = await shop.rowIdOf('evt_retry');
      const delivery = await deliveryOf('evt_retry', 'ledger.book');
      const page = await client.get(`${BASE}/events/${id}`);
      const { post, landed } = await client.submit(page, `/deliveries/${delivery.id}/retry`);
      expect(post.location).to.equal(`${BASE}/events/${id}`);
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: `Retried delivery #${delivery.id} of event #${id}: ledger.book succeeded.`,
      });
      expect(landed.text).to.match(/ledger\.book<\/td><td><span class="badge s-succeeded">/);
      expect(landed.text).to.include('<dd><span class="badge s-processed">processed</span></dd>');
      const after = await deliveryOf('evt_retry', 'ledger.book');
      expect(after).to.include({ status: 'succeeded', attempts: 2 });
      expect(shop.runs.ledger).to.deep.equal(['evt_retry', 'evt_retry']);
      expect(noticeOf((await client.get(`${BASE}/events/${id}`)).text)).to.equal(undefined);
    });

    it('runs nothing when the delivery is not failed or dead any more', async () => {
      await shop.send(stripeEvent('evt_fine', 'charge.succeeded'));
      const delivery = await deliveryOf('evt_fine', 'ledger.book');
      const page = await client.get(`${BASE}/events/${await shop.rowIdOf('evt_fine')}`);
      const form = formOf(page.text, '/replay');
      const post = await client.post(`${BASE}/deliveries/${delivery.id}/retry`, {
        _csrf: form.fields._csrf as string,
        back: '/deliveries',
      });
      expect(post.status).to.equal(303);
      expect(post.location).to.equal(`${BASE}/deliveries`);
      const landed = await client.get(post.location as string);
      expect(noticeOf(landed.text)?.text).to.equal(
        `Delivery #${delivery.id} (ledger.book) did not run: it is succeeded, and only a failed or dead delivery is retried.`,
      );
      expect(shop.runs.ledger).to.deep.equal(['evt_fine']);
    });

    it('replays an event: its failed deliveries, or every receiver', async () => {
      await shop.send(stripeEvent('evt_replay', 'checkout.session.completed'));
      const id = await shop.rowIdOf('evt_replay');
      let page = await client.get(`${BASE}/events/${id}`);
      let { landed } = await client.submit(page, `/events/${id}/replay`);
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: `Nothing to replay for event #${id}: it has no failed or dead delivery that is free to run.`,
      });
      expect(shop.runs.fulfil).to.deep.equal(['evt_replay']);
      page = landed;
      ({ landed } = await client.submit(page, `/events/${id}/replay`, { receivers: 'all' }));
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: `Replayed event #${id} (evt_replay), now processed: orders.fulfil succeeded; audit succeeded.`,
      });
      expect(shop.runs.fulfil).to.deep.equal(['evt_replay', 'evt_replay']);
      expect(await deliveryOf('evt_replay', 'orders.fulfil')).to.include({ attempts: 2 });
    });

    it('shows a stale event and its skipped delivery, lists it under Skipped, and runs it anyway', async () => {
      const subscription = (id: string, type: string, created: number) => ({
        ...stripeEvent(id, type, { id: 'sub_dash', object: 'subscription' }),
        created,
      });
      await shop.send(subscription('evt_sub_new', 'customer.subscription.updated', 1_700_000_010));
      await shop.send(subscription('evt_sub_old', 'customer.subscription.created', 1_700_000_000));
      expect(shop.runs.sync).to.deep.equal(['evt_sub_new']);
      const id = await shop.rowIdOf('evt_sub_old');
      const delivery = await deliveryOf('evt_sub_old', 'subscriptions.sync');
      expect(delivery).to.include({ status: 'skipped', attempts: 0 });

      const list = await client.get(`${BASE}/events`);
      expect(list.text).to.match(
        /evt_sub_old<\/a><\/td><td><span class="badge s-processed">processed<\/span> <span class="badge s-stale">stale<\/span>/,
      );
      expect(list.text).to.match(
        /evt_sub_new<\/a><\/td><td><span class="badge s-processed">processed<\/span><\/td>/,
      );
      const page = await client.get(`${BASE}/events/${id}`);
      expect(page.text).to.include('<dt>Stale</dt><dd><span class="badge s-stale">stale</span>');
      expect(page.text).to.match(
        /subscriptions\.sync<\/td><td><span class="badge s-skipped">skipped<\/span>/,
      );
      const fresh = await client.get(`${BASE}/events/${await shop.rowIdOf('evt_sub_new')}`);
      expect(fresh.text).to.include('<dt>Stale</dt><dd>no</dd>');

      const skipped = await client.get(`${BASE}/deliveries?status=skipped`);
      expect(skipped.text).to.include('<strong>Skipped (stale events)</strong>');
      expect(deliveryIds(skipped)).to.deep.equal([delivery.id]);
      expect((await client.get(`${BASE}/deliveries?status=failed`)).text).to.include(
        'No failed deliveries.',
      );

      const { post, landed } = await client.submit(skipped, `/events/${id}/replay`);
      expect(post.location).to.equal(`${BASE}/deliveries?status=skipped`);
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: `Replayed event #${id} (evt_sub_old), now processed: subscriptions.sync succeeded.`,
      });
      expect(shop.runs.sync).to.deep.equal(['evt_sub_new', 'evt_sub_old']);
      expect(await deliveryOf('evt_sub_old', 'subscriptions.sync')).to.include({
        status: 'succeeded',
        attempts: 1,
      });
      expect(landed.text).to.include('No skipped deliveries.');
    });

    it('retries the dead deliveries of a receiver, a batch at a time', async () => {
      shop.ledgerDown = true;
      for (const n of [1, 2, 3]) {
        await shop.send(stripeEvent(`evt_dead_${n}`, 'charge.succeeded'));
        await shop.pay.replay(`evt_dead_${n}`); // the second and last attempt: dead
      }
      expect(await deliveryOf('evt_dead_1', 'ledger.book')).to.include({ status: 'dead' });
      shop.ledgerDown = false;
      const page = await client.get(`${BASE}/deliveries`);
      expect(page.text).to.match(
        /<a [^>]+>3<\/a><\/td>\s*<td><form method="post" action="[^"]+\/deliveries\/retry-dead"/,
      );
      expect(page.text).to.include('Retry 2 dead now');
      let { landed } = await client.submit(page, '/deliveries/retry-dead');
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: 'Retried 2 dead deliveries of ledger.book: 2 succeeded. 1 of its deliveries are dead.',
      });
      // Longest dead first.
      expect((await deliveryOf('evt_dead_3', 'ledger.book')).status).to.equal('dead');
      ({ landed } = await client.submit(landed, '/deliveries/retry-dead'));
      expect(noticeOf(landed.text)?.text).to.equal(
        'Retried 1 dead delivery of ledger.book: 1 succeeded. No dead delivery of it is left.',
      );
      for (const n of [1, 2, 3]) {
        expect(await deliveryOf(`evt_dead_${n}`, 'ledger.book')).to.include({
          status: 'succeeded',
          attempts: 3,
        });
      }
      expect(landed.text).to.include('No failed or dead deliveries.');
    });

    it('pauses a receiver from the overview, holds its deliveries, refuses to retry it, and resumes it', async () => {
      let page = await client.get(`${BASE}/`);
      expect(page.text).to.include('None: every receiver runs.');
      let { landed } = await client.submit(page, '/receivers/pause', {
        receiver: 'ledger.book',
        reason: 'ledger <migration>',
      });
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: 'Paused ledger.book. Its deliveries stay pending on every instance until it is resumed (0 waiting now).',
      });
      expect(landed.text).to.match(
        /<li><span class="mono">ledger\.book<\/span> since <time [^>]+>[^<]+<\/time> <span class="muted">\(ledger &lt;migration&gt;\)<\/span> <form method="post"/,
      );
      expect((await shop.pay.paused()).map((p) => [p.receiver, p.reason])).to.deep.equal([
        ['ledger.book', 'ledger <migration>'],
      ]);
      await shop.send(stripeEvent('evt_paused', 'charge.succeeded'));
      expect(shop.runs.ledger).to.deep.equal([]);
      expect(await deliveryOf('evt_paused', 'ledger.book')).to.include({
        status: 'pending',
        attempts: 0,
      });
      // The event's page marks the delivery paused.
      const eventPage = await client.get(`${BASE}/events/evt_paused`);
      expect(eventPage.text).to.match(
        /<td class="mono">ledger\.book<\/td><td><span class="badge s-pending">pending<\/span> <span class="badge s-paused">paused<\/span><\/td>/,
      );
      // A retry now of a paused receiver is refused, with the reason.
      const dead = await deliveryOf('evt_paused', 'ledger.book');
      await shop.pay.knex('payments_deliveries').where({ id: dead.id }).update({ status: 'dead' });
      page = await client.get(`${BASE}/deliveries`);
      ({ landed } = await client.submit(page, '/deliveries/retry-dead'));
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'error',
        text: 'Receiver "ledger.book" is paused; resume it first (its deliveries run after the resume).',
      });
      await shop.pay
        .knex('payments_deliveries')
        .where({ id: dead.id })
        .update({ status: 'pending' });
      page = await client.get(`${BASE}/`);
      ({ landed } = await client.submit(page, '/receivers/resume'));
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'ok',
        text: 'Resumed ledger.book. 1 of its deliveries waits; the retry worker runs them at its next poll.',
      });
      expect(landed.text).to.include('None: every receiver runs.');
      expect(await shop.pay.runDueDeliveries()).to.equal(1);
      expect(shop.runs.ledger).to.deep.equal(['evt_paused']);
      // An unknown name (a form from an older deploy) is refused with the receivers listed.
      ({ landed } = await client.submit(landed, '/receivers/pause', { receiver: 'ledger.old' }));
      expect(noticeOf(landed.text)?.text).to.equal(
        'No receiver named "ledger.old" is registered in this process, so it cannot be paused; the receivers are audit, ledger.book, orders.fulfil, subscriptions.sync.',
      );
    });

    it('refuses an action without a valid CSRF token, and runs nothing', async () => {
      shop.ledgerDown = true;
      await shop.send(stripeEvent('evt_csrf', 'charge.succeeded'));
      shop.ledgerDown = false;
      const id = await shop.rowIdOf('evt_csrf');
      const delivery = await deliveryOf('evt_csrf', 'ledger.book');
      const action = `${BASE}/deliveries/${delivery.id}/retry`;
      const page = await client.get(`${BASE}/events/${id}`);
      const token = formOf(page.text, `/deliveries/${delivery.id}/retry`).fields._csrf as string;

      const attempts: [string, Answer][] = [];
      attempts.push(['no cookie, no token', await new Client(shop.server.origin).post(action, {})]);
      attempts.push(['no token', await client.post(action, {})]);
      attempts.push(['a wrong token', await client.post(action, { _csrf: `${token.slice(1)}A` })]);
      const other = new Client(shop.server.origin);
      await other.get(`${BASE}/`);
      attempts.push(['the token of another cookie', await other.post(action, { _csrf: token })]);
      attempts.push([
        'a cross-site request',
        await client.post(action, { _csrf: token }, { 'sec-fetch-site': 'cross-site' }),
      ]);
      const app = new Koa();
      app.use(shop.pay.dashboard({ path: BASE, authorize: () => true }));
      const twin = await listen(app);
      try {
        const elsewhere = new Client(twin.origin);
        elsewhere.cookies.set(
          'koa-payments-csrf',
          client.cookies.get('koa-payments-csrf') as string,
        );
        attempts.push([
          'a token of another dashboard instance',
          await elsewhere.post(action, { _csrf: token }),
        ]);
      } finally {
        await twin.close();
      }
      for (const [what, answer] of attempts) {
        expect(answer.status, what).to.equal(403);
        expect(answer.text, what).to.include('was not acted on');
      }
      expect(shop.runs.ledger).to.deep.equal(['evt_csrf']);
      expect(await deliveryOf('evt_csrf', 'ledger.book')).to.include({
        status: 'failed',
        attempts: 1,
      });
      const accepted = await client.post(
        action,
        { _csrf: token },
        { 'sec-fetch-site': 'same-origin' },
      );
      expect(accepted.status).to.equal(303);
      expect(shop.runs.ledger).to.deep.equal(['evt_csrf', 'evt_csrf']);
    });

    it('sends the browser back inside the dashboard only', async () => {
      await shop.send(stripeEvent('evt_back', 'customer.created'));
      const page = await client.get(`${BASE}/events/${await shop.rowIdOf('evt_back')}`);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      expect(token).to.be.a('string');
      for (const back of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'x']) {
        const post = await client.post(`${BASE}/deliveries/retry-dead`, {
          _csrf: token as string,
          receiver: 'ledger.book',
          back,
        });
        expect(post.status, back).to.equal(303);
        expect(post.location, back).to.equal(`${BASE}/deliveries`);
      }
    });
  });
}

describe('dashboard behind a body parser', () => {
  it('reads the form a body parser left behind', async () => {
    const tmp = tempDir();
    const pay = payments({
      database: tmp.file(),
      worker: false,
      variants: { stripe: { provider: 'stripe', endpointSecret: 'whsec_x' } },
    });
    await pay.migrate();
    const app = new Koa();
    app.use(bodyParser());
    app.use(pay.dashboard({ path: BASE, authorize: () => true }));
    const server = await listen(app);
    try {
      const client = new Client(server.origin, {});
      const sent = await sendWebhook(pay, 'stripe', 'customer.created');
      const page = await client.get(`${BASE}/events/${sent.event?.id}`);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
      const post = await client.post(`${BASE}/deliveries/retry-dead`, {
        _csrf: token,
        receiver: 'nobody',
      });
      expect(post.status).to.equal(303);
      const landed = await client.get(post.location as string);
      expect(noticeOf(landed.text)).to.deep.equal({
        kind: 'error',
        text: 'No receiver named "nobody" is registered in this process.',
      });
    } finally {
      await server.close();
      await pay.close();
      tmp.remove();
    }
  });
});
