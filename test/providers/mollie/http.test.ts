/**
 * Mollie over HTTP on SQLite and Postgres: a real `payments()` server receives classic webhooks
 * (`id=tr_…`) while a loopback fake plays the Mollie API, and signed next-gen ones.
 */
import { expect } from 'chai';
import { createRegistry } from '../../../src/index.js';
import { builtinProviders } from '../../../src/providers/index.js';
import type { ApiHttpOptions } from '../../../src/providers/shared/http.js';
import { samplePayload, sendWebhook, signWebhook } from '../../../src/testing/index.js';
import { MollieApiFake } from '../../fakes/mollie-api.js';
import { fakeForEach } from '../../fakes/server.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { recordingLogger, servedForEach } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const KEY = 'test_httpHttpHttpHttpHttpHttpHttp';
const SECRET = 'mollie-http-signing-secret';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

for (const dialect of DIALECTS)
  describe(`mollie over HTTP on ${dialect}`, () => {
    const api = fakeForEach(() => new MollieApiFake(KEY));
    const received: { type: string; data: unknown }[] = [];
    const payments: unknown[] = [];
    const slept: number[] = [];
    const { lines, logger } = recordingLogger();

    beforeEach(() => {
      received.length = 0;
      payments.length = 0;
      slept.length = 0;
      lines.length = 0;
    });

    /** `mollie` as users configure it; `tuned`, the same built with a short timeout and no sleeps. */
    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('*', async function record({ type, data }) {
        received.push({ type, data });
      });
      registry.receiver('payment:*', async function normalized({ type, data }) {
        payments.push({ type, ...(data as object) });
      });
      const http: ApiHttpOptions = {
        timeoutMs: 100,
        sleep: async (ms) => {
          slept.push(ms);
        },
      };
      const options = { apiKey: KEY, apiBase: api.current.origin };
      const tuned = builtinProviders.mollie.create(options, {
        variant: 'tuned',
        webhookUrl: () => '',
        logger,
        http,
      });
      return {
        database: db.setting,
        registry,
        logger,
        variants: {
          mollie: { provider: 'mollie', ...options },
          signed: { provider: 'mollie', ...options, signingSecret: SECRET },
          tuned: { provider: tuned },
        },
      };
    });

    const events = () => served.pay.knex('payments_events').orderBy('id');
    const requestLog = () => served.pay.knex('payments_requests').orderBy('id');

    async function expectNoKey(answers: unknown[]): Promise<void> {
      const text = JSON.stringify([answers, await events(), await requestLog(), lines]);
      expect(text).not.to.contain(KEY);
      expect(text).not.to.contain(SECRET);
    }

    it('stores the payment fetched from the API as the event of its status, once per status', async () => {
      const payment = samplePayload('mollie', 'payment.open');
      api.current.setPayment(payment);
      const body = `id=${payment.id}`;
      const first = await post(served.url('mollie'), body, FORM);
      expect(first.body).to.deep.equal({
        received: true,
        event: `${payment.id}:open`,
        duplicate: false,
      });
      // Mollie calls again without a change: a duplicate, no receiver runs again.
      const again = await post(served.url('mollie'), body, FORM);
      expect(again.body).to.include({ duplicate: true });
      const paid = { ...samplePayload('mollie', 'payment.paid'), id: payment.id };
      api.current.setPayment(paid);
      const third = await post(served.url('mollie'), body, FORM);
      expect(third.body).to.deep.equal({
        received: true,
        event: `${payment.id}:paid`,
        duplicate: false,
      });
      const rows = await events();
      expect(rows.map((row) => [row.event_id, row.type, Boolean(row.livemode)])).to.deep.equal([
        [`${payment.id}:open`, 'payment.open', false],
        [`${payment.id}:paid`, 'payment.paid', false],
      ]);
      expect(JSON.parse(rows[1].payload)).to.deep.equal(paid);
      expect(received.map((r) => r.type)).to.deep.equal(['payment.open', 'payment.paid']);
      expect(received[1]?.data).to.deep.equal(paid);
      expect(payments).to.have.length(1);
      expect(payments[0]).to.include({ type: 'payment:succeeded', amount: 1000, currency: 'EUR' });
      expect(api.current.requests).to.have.length(3);
      const [line] = await requestLog();
      expect(line).to.include({ status_code: 200, body });
      await expectNoKey([first.body, again.body, third.body]);
    });

    it('stores a refund made later as payment.refunded and emits payment:refunded for its total', async () => {
      const paid = samplePayload('mollie', 'payment.paid');
      api.current.setPayment(paid);
      await post(served.url('mollie'), `id=${paid.id}`, FORM);
      api.current.setPayment({ ...paid, amountRefunded: { value: '4.00', currency: 'EUR' } });
      const res = await post(served.url('mollie'), `id=${paid.id}`, FORM);
      expect(res.body.event).to.equal(`${paid.id}:paid:refunded:4.00`);
      expect(
        payments.map((p) => [(p as { type: string }).type, (p as { amount: number }).amount]),
      ).to.deep.equal([
        ['payment:succeeded', 1000],
        ['payment:refunded', 400],
      ]);
    });

    it('answers 400 not_found_at_provider for an id Mollie does not know, storing nothing', async () => {
      const res = await post(served.url('mollie'), 'id=tr_unknown123', FORM);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('not_found_at_provider');
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.deep.equal([]);
      const [line] = await requestLog();
      expect(line).to.include({ status_code: 400, error: 'not_found_at_provider', event: null });
      expect(lines.find((l) => l.level === 'warn')?.fields).to.include({
        variant: 'mollie',
        code: 'not_found_at_provider',
        providerStatus: 404,
      });
      await expectNoKey([res.body]);
    });

    it('refuses a malformed id with 400 invalid_payload, without calling the API', async () => {
      const res = await post(served.url('mollie'), 'id=cst_8wmqcHMN4U', FORM);
      expect(res.status).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_signature', reason: 'invalid_payload' });
      expect(api.current.requests).to.deep.equal([]);
    });

    it('answers 413 to a body over 1 KB before reading it, without calling the API', async () => {
      const res = await post(served.url('mollie'), `id=tr_abc&x=${'y'.repeat(2000)}`, FORM);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
      expect(res.body.error.message).to.contain("the mollie provider's limit");
      expect(api.current.requests).to.deep.equal([]);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
    });

    const unavailable: [string, () => void, number[]][] = [
      [
        '5xx after the retries',
        () => api.current.script('/', { status: 500 }, { status: 502 }, { status: 503 }),
        [],
      ],
      [
        '429 after the retries, waiting its Retry-After',
        () => {
          const limited = { status: 429, headers: { 'retry-after': '2' } };
          api.current.script('/', limited, limited, limited);
        },
        [2000, 2000],
      ],
      ['a hung socket (timeout)', () => api.current.script('/', 'hang', 'hang', 'hang'), []],
    ];
    for (const [what, script, sleeps] of unavailable) {
      it(`answers 503 provider_unavailable on ${what}, storing nothing; the redelivery is stored`, async () => {
        const payment = samplePayload('mollie', 'payment.paid');
        api.current.setPayment(payment);
        script();
        const res = await post(served.url('tuned'), `id=${payment.id}`, FORM);
        expect(res.status).to.equal(503);
        expect(res.body.error.code).to.equal('provider_unavailable');
        expect(api.current.requests).to.have.length(3);
        if (sleeps.length > 0) expect(slept).to.deep.equal(sleeps);
        expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
        await expectNoKey([res.body]);
        const retried = await post(served.url('tuned'), `id=${payment.id}`, FORM);
        expect(retried.body).to.deep.equal({
          received: true,
          event: `${payment.id}:paid`,
          duplicate: false,
        });
      });
    }

    it('stores a signed next-gen webhook without an API call; the classic call of the same change is a duplicate', async () => {
      const payment = samplePayload('mollie', 'payment.paid');
      const { body, headers } = signWebhook('mollie', { payload: payment, secret: SECRET });
      const res = await post(served.url('signed'), body, headers);
      expect(res.body).to.deep.equal({
        received: true,
        event: `${payment.id}:paid`,
        duplicate: false,
      });
      expect(api.current.requests).to.deep.equal([]);
      const [row] = await events();
      expect(JSON.parse(row.payload)).to.deep.equal(payment);
      api.current.setPayment(payment);
      const classic = await post(served.url('signed'), `id=${payment.id}`, FORM);
      expect(classic.body).to.include({ duplicate: true });
      const forged = await post(served.url('signed'), body.replace('10.00', '99.00'), headers);
      expect(forged.body.error).to.include({
        code: 'invalid_signature',
        reason: 'no_matching_signature',
      });
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
      await expectNoKey([res.body, classic.body, forged.body]);
    });

    it('is reached by sendWebhook: a classic form built from the payment the fake holds', async () => {
      const payment = samplePayload('mollie', 'payment.failed');
      api.current.setPayment(payment);
      const sent = await sendWebhook(served.pay, 'mollie', payment, {
        settings: { provider: 'mollie', apiKey: KEY },
      });
      expect(sent.request.body).to.equal(`id=${payment.id}`);
      expect(sent.status).to.equal(200);
      expect(payments[0]).to.include({ type: 'payment:failed', status: 'failed' });
    });
  });
