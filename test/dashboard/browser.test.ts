/**
 * The dashboard in a real browser, with JavaScript turned off: an operator opens the pages,
 * follows an event, presses Retry and Replay, and sees the new state. Chromium reports every
 * Content-Security-Policy violation; there must be none.
 */
import { expect } from 'chai';
import type { CDPSession, Page } from 'playwright-core';
import { type Chromium, launchChromium } from './browser.js';
import { BASE, OPERATOR, type Shop, startShop, stripeEvent } from './fixture.js';

describe('dashboard in a browser (chromium, JavaScript off)', function () {
  this.timeout(60_000);
  let shop: Shop;
  let chromium: Chromium;
  let page: Page;
  let cdp: CDPSession;
  const console: string[] = [];

  before(async () => {
    chromium = await launchChromium({ javaScriptEnabled: false, extraHTTPHeaders: OPERATOR });
    shop = await startShop('sqlite');
    page = await chromium.context.newPage();
    // Chromium's own messages (a blocked style or script is one): the Log domain, which reports
    // them even with JavaScript off.
    cdp = await chromium.context.newCDPSession(page);
    cdp.on('Log.entryAdded', ({ entry }) => console.push(`${entry.level}: ${entry.text}`));
    await cdp.send('Log.enable');
  });
  after(async () => {
    await chromium?.close();
    await shop?.close();
  });

  it('opens the pages, follows an event, retries a delivery and replays the event', async () => {
    await shop.send(stripeEvent('evt_browser_ok', 'checkout.session.completed'));
    shop.ledgerDown = true;
    await shop.send(
      stripeEvent('evt_browser', 'charge.succeeded', { description: '<script>alert(1)</script>' }),
    );

    await page.goto(`${shop.server.origin}${BASE}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.match(/^Overview/);
    expect(await page.locator('.card.bad .value').textContent()).to.equal('1');
    expect(await page.locator('svg[role="img"] g.bar').count()).to.equal(24);
    // The stylesheet applied (the CSP allows it by its hash): the header is dark.
    expect(
      await page
        .locator('header')
        .evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor),
    ).to.equal('rgb(36, 41, 47)');

    await page.getByRole('link', { name: 'Requests', exact: true }).click();
    await page.getByRole('heading', { name: /^Requests/ }).waitFor();
    expect(await page.locator('tbody tr').count()).to.equal(2);

    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/events\?.*status=failed/);
    await page.getByRole('link', { name: 'evt_browser', exact: true }).click();
    await page.getByRole('heading', { name: /^Event #\d+ evt_browser$/ }).waitFor();
    const ledger = page.locator('tr', { has: page.getByRole('cell', { name: 'ledger.book' }) });
    expect(await ledger.locator('.badge').textContent()).to.equal('failed');
    expect(await page.locator('pre.payload').textContent()).to.include(
      '"description": "<script>alert(1)</script>"',
    );

    shop.ledgerDown = false;
    await page.getByRole('button', { name: 'Retry ledger.book now' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).to.match(
      /^Retried delivery #\d+ of event #\d+: ledger\.book succeeded\.$/,
    );
    expect(await ledger.locator('.badge').textContent()).to.equal('succeeded');
    expect(await ledger.locator('td.num').textContent()).to.equal('2');
    expect(await page.locator('dd .badge').first().textContent()).to.equal('processed');
    expect(shop.runs.ledger).to.deep.equal(['evt_browser', 'evt_browser']);

    await page.getByLabel('Re-run').selectOption('all');
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByText(/^Replayed event #\d+ \(evt_browser\), now processed/).waitFor();
    expect(await ledger.locator('td.num').textContent()).to.equal('3');
    expect(shop.runs.ledger).to.have.length(3);
    expect(shop.runs.audit.filter((id) => id === 'evt_browser')).to.have.length(2);

    await page.getByRole('link', { name: 'Failed & dead' }).click();
    await page.getByRole('heading', { name: 'Failed and dead deliveries' }).waitFor();
    expect(await page.getByText('No failed or dead deliveries.').count()).to.equal(1);

    expect(
      console.filter((line) => /Content Security Policy|Refused to/i.test(line)),
    ).to.deep.equal([]);
  });
});
