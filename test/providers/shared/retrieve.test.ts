/**
 * `validation: 'retrieve'` over HTTP, for each provider that has it, on SQLite and Postgres: a
 * real `payments()` server receives signed webhooks while a loopback fake plays the provider's
 * API.
 */
import { expect } from 'chai';
import { createRegistry, type VariantSettings } from '../../../src/index.js';
import { builtinProviders } from '../../../src/providers/index.js';
import type { ApiHttpOptions } from '../../../src/providers/shared/http.js';
import { samplePayload, signWebhook } from '../../../src/testing/index.js';
import { FlutterwaveApiFake } from '../../fakes/flutterwave-api.js';
import { PaystackApiFake } from '../../fakes/paystack-api.js';
import { fakeForEach, type LoopbackFake } from '../../fakes/server.js';
import { StripeApiFake } from '../../fakes/stripe-api.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { recordingLogger, servedForEach } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

type Json = Record<string, unknown>;

/** A signed webhook, and what the fake API holds for it. */
interface Webhook {
  body: string;
  headers: Record<string, string>;
  /** The event id koa-payments answers and stores. */
  id: string;
  /** The payload the store must hold: the API's copy. */
  stored: Json;
  /** The data the receiver must get. */
  data: unknown;
  /** The API path the confirmation calls. */
  apiPath: string;
}

/** One provider of the retrieve mode. */
interface Case {
  provider: 'stripe' | 'paystack' | 'flutterwave';
  /** The API key (Paystack: the secret key). */
  key: string;
  fake(): LoopbackFake;
  /** Variant options pointing at the fake. */
  options(origin: string): Json;
  /** Seeds the fake with the API's copy (`known`) and signs the webhook. */
  webhook(fake: LoopbackFake, known: boolean): Webhook;
}

const STRIPE_KEY = 'sk_test_51RetrieveModeKey';
const STRIPE_SECRET = 'whsec_retrieve_mode';
const PAYSTACK_KEY = 'sk_test_retrieve_mode_paystack';
const FLW_KEY = 'FLWSECK_TEST-retrievemodekey0123456789-X';
const FLW_HASH = 'retrieve-mode-secret-hash';

const cases: Case[] = [
  {
    provider: 'stripe',
    key: STRIPE_KEY,
    fake: () => new StripeApiFake(STRIPE_KEY),
    options: (origin) => ({ endpointSecret: STRIPE_SECRET, apiKey: STRIPE_KEY, apiBase: origin }),
    webhook(fake, known) {
      const sent = samplePayload('stripe', 'charge.succeeded');
      // Stripe's copy has moved on since the webhook was sent.
      const object = { ...(sent.data as { object: Json }).object, description: 'from the API' };
      const copy = { ...sent, pending_webhooks: 0, data: { object } };
      if (known) (fake as StripeApiFake).addEvent(copy);
      const { body, headers } = signWebhook('stripe', { payload: sent, secret: STRIPE_SECRET });
      const id = String(sent.id);
      return { body, headers, id, stored: copy, data: object, apiPath: `/v1/events/${id}` };
    },
  },
  {
    provider: 'paystack',
    key: PAYSTACK_KEY,
    fake: () => new PaystackApiFake(PAYSTACK_KEY),
    options: (origin) => ({ secretKey: PAYSTACK_KEY, apiBase: origin }),
    webhook(fake, known) {
      const sent = samplePayload('paystack', 'charge.success');
      const data = sent.data as Json;
      // The verify endpoint returns more than the webhook carries.
      const copy = { ...data, log: { attempts: 1, success: true }, transaction_date: data.paid_at };
      if (known) (fake as PaystackApiFake).addTransaction(copy);
      const { body, headers } = signWebhook('paystack', { payload: sent, secret: PAYSTACK_KEY });
      return {
        body,
        headers,
        id: `charge.success:${data.id}`,
        stored: { event: 'charge.success', data: copy },
        data: copy,
        apiPath: `/transaction/verify/${data.reference}`,
      };
    },
  },
  {
    provider: 'flutterwave',
    key: FLW_KEY,
    fake: () => new FlutterwaveApiFake(FLW_KEY),
    options: (origin) => ({ secretHash: FLW_HASH, apiKey: FLW_KEY, apiBase: origin }),
    webhook(fake, known) {
      const sent = samplePayload('flutterwave', 'charge.completed');
      const data = sent.data as Json;
      const copy = { ...data, amount_settled: 4930 };
      if (known) (fake as FlutterwaveApiFake).addTransaction(copy);
      const { body, headers } = signWebhook('flutterwave', { payload: sent, secret: FLW_HASH });
      return {
        body,
        headers,
        id: `charge.completed:${data.id}:successful`,
        stored: { ...sent, data: copy },
        data: copy,
        apiPath: `/v3/transactions/${data.id}/verify`,
      };
    },
  },
];

for (const c of cases)
  for (const dialect of DIALECTS)
    describe(`${c.provider} validation: 'retrieve' over HTTP on ${dialect}`, () => {
      const api = fakeForEach(() => c.fake());
      const received: unknown[] = [];
      const slept: number[] = [];
      const { lines, logger } = recordingLogger();
      let fake: LoopbackFake;

      beforeEach(() => {
        fake = api.current;
        received.length = 0;
        slept.length = 0;
        lines.length = 0;
      });

      /**
       * Two variants: `direct`, configured as users do, and `tuned`, the same provider built with
       * an injected sleep and a short timeout, for the retry paths.
       */
      const served = servedForEach(dialect, (db) => {
        const registry = createRegistry();
        registry.receiver('*', async function record({ data }) {
          received.push(data);
        });
        const options = { ...c.options(fake.origin), validation: 'retrieve' };
        const http: ApiHttpOptions = {
          timeoutMs: 100,
          sleep: async (ms) => {
            slept.push(ms);
          },
        };
        const tuned = builtinProviders[c.provider].create(options as never, {
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
            direct: { provider: c.provider, ...options } as VariantSettings,
            tuned: { provider: tuned },
          },
        };
      });

      /** The request-log lines, oldest first. */
      const requestLog = () => served.pay.knex('payments_requests').orderBy('id');

      /** Everything the key must never reach: answers, stored rows, log lines. */
      async function expectNoKey(answers: unknown[]): Promise<void> {
        const rows = [...(await served.pay.knex('payments_events')), ...(await requestLog())];
        const text = JSON.stringify([answers, rows, lines]);
        expect(text).not.to.contain(c.key);
      }

      it('stores the copy fetched from the API, gives it to the receivers, logs the body received', async () => {
        const webhook = c.webhook(fake, true);
        const res = await post(served.url('direct'), webhook.body, webhook.headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: webhook.id, duplicate: false });
        expect(fake.requests.map((request) => request.path)).to.deep.equal([webhook.apiPath]);
        const [row] = await served.pay.knex('payments_events');
        expect(row).to.include({ variant: 'direct', provider: c.provider, event_id: webhook.id });
        expect(JSON.parse(row.payload)).to.deep.equal(webhook.stored);
        expect(received).to.deep.equal([webhook.data]);
        const [line] = await requestLog();
        expect(line).to.include({ status_code: 200, event: row.id, body: webhook.body });
        expect(Boolean(line.valid)).to.equal(true);
        await expectNoKey([res.body]);
      });

      it('confirms a redelivery again (one API call per webhook) and answers it as a duplicate', async () => {
        const webhook = c.webhook(fake, true);
        await post(served.url('direct'), webhook.body, webhook.headers);
        const again = await post(served.url('direct'), webhook.body, webhook.headers);
        expect(again.body).to.deep.equal({ received: true, event: webhook.id, duplicate: true });
        expect(fake.requests).to.have.length(2);
        expect(received).to.have.length(1);
        expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
      });

      it('answers 400 not_found_at_provider when the API does not know it, storing nothing', async () => {
        const webhook = c.webhook(fake, false);
        const res = await post(served.url('direct'), webhook.body, webhook.headers);
        expect(res.status).to.equal(400);
        expect(res.body.error.code).to.equal('not_found_at_provider');
        expect(res.body.error.message).to.contain(webhook.apiPath);
        expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
        expect(received).to.deep.equal([]);
        const [line] = await requestLog();
        expect(line).to.include({ status_code: 400, error: 'not_found_at_provider', event: null });
        expect(Boolean(line.valid)).to.equal(false);
        expect(lines.find((l) => l.level === 'warn')?.fields).to.include({
          variant: 'direct',
          code: 'not_found_at_provider',
          providerStatus: c.provider === 'stripe' ? 404 : c.provider === 'paystack' ? 404 : 400,
        });
        await expectNoKey([res.body]);
      });

      const unavailable: [string, () => void, number[]][] = [
        [
          '5xx after the retries',
          () => fake.script('/', { status: 500 }, { status: 502 }, { status: 503 }),
          [],
        ],
        [
          '429 after the retries, waiting its Retry-After',
          () => {
            const limited = { status: 429, headers: { 'retry-after': '1' } };
            fake.script('/', limited, limited, limited);
          },
          [1000, 1000],
        ],
        ['a hung socket (timeout)', () => fake.script('/', 'hang', 'hang', 'hang'), []],
      ];
      for (const [what, script, sleeps] of unavailable) {
        it(`answers 503 provider_unavailable on ${what}, storing nothing`, async () => {
          const webhook = c.webhook(fake, true);
          script();
          const res = await post(served.url('tuned'), webhook.body, webhook.headers);
          expect(res.status).to.equal(503);
          expect(res.body.error.code).to.equal('provider_unavailable');
          expect(res.body.error.message).to.contain(webhook.apiPath);
          expect(fake.requests).to.have.length(3);
          if (sleeps.length > 0) expect(slept).to.deep.equal(sleeps);
          expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
          expect(received).to.deep.equal([]);
          const [line] = await requestLog();
          expect(line).to.include({ status_code: 503, error: 'provider_unavailable', event: null });
          await expectNoKey([res.body]);
          // Once the API answers again, the provider's redelivery is stored.
          const retried = await post(served.url('tuned'), webhook.body, webhook.headers);
          expect(retried.body).to.deep.equal({
            received: true,
            event: webhook.id,
            duplicate: false,
          });
        });
      }

      it('refuses a forged webhook before any API call', async () => {
        const webhook = c.webhook(fake, true);
        const forged = webhook.body.replace(/"amount":\s*\d+/, '"amount":1');
        expect(forged).not.to.equal(webhook.body);
        const res = await post(served.url('direct'), forged, webhook.headers);
        expect(res.status).to.equal(400);
        expect(res.body.error).to.include({
          code: 'invalid_signature',
          reason: 'no_matching_signature',
        });
        expect(fake.requests).to.deep.equal([]);
        expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      });
    });
