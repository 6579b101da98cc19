import { expect } from 'chai';
import Stripe from 'stripe';
import { createRegistry } from '../../../src/index.js';
import { installedStripeApiVersion } from '../../../src/providers/stripe/api-version.js';
import { STRIPE_SAMPLE_API_VERSION } from '../../../src/providers/stripe/samples.js';
import { stripe as stripeProvider } from '../../../src/providers/stripe/verify.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import {
  samplePayload,
  sampleTypes,
  signWebhook,
  stripeSignatureHeader,
} from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { reasonOf, servedForEach, verifySync, webhookRequest } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = 'whsec_test_secret_for_koa_payments';
const stripeSdk = new Stripe('sk_test_not_used_for_network');
const context = {
  variant: 'stripe',
  webhookUrl: () => 'https://shop.test/payments/process/stripe/',
};

function stripeEvent(overrides: Record<string, unknown> = {}) {
  return {
    id: 'evt_1PzX2aKoaPayments',
    object: 'event',
    api_version: '2024-06-20',
    created: 1_700_000_000,
    livemode: false,
    type: 'charge.succeeded',
    data: { object: { id: 'ch_123', object: 'charge', amount: 2000, currency: 'eur' } },
    ...overrides,
  };
}

function request(
  body: string,
  headers: Record<string, string>,
  receivedAt = new Date(),
): WebhookRequest {
  return webhookRequest(body, headers, { receivedAt, url: context.webhookUrl() });
}

describe('stripe provider', () => {
  const provider = stripeProvider({ endpointSecret: SECRET }, context);
  // Read when each test starts, not when mocha loads the file: the whole suite can take longer
  // than the 300 s tolerance.
  let now = 0;
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
  });

  it('accepts a signature made by the official stripe SDK', () => {
    const body = JSON.stringify(stripeEvent());
    const header = stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
    const event = verifySync(provider, request(body, { 'stripe-signature': header }));
    expect(event).to.include({
      id: 'evt_1PzX2aKoaPayments',
      type: 'charge.succeeded',
      livemode: false,
    });
    expect(event.data).to.deep.equal(stripeEvent().data.object);
    expect((event as { createdAt?: Date }).createdAt?.toISOString()).to.equal(
      '2023-11-14T22:13:20.000Z',
    );
  });

  it('signs test webhooks that the official SDK constructEvent accepts', () => {
    const body = JSON.stringify(stripeEvent());
    const { headers } = signWebhook('stripe', { payload: body, secret: SECRET });
    const event = stripeSdk.webhooks.constructEvent(body, headers['stripe-signature']!, SECRET);
    expect(event.id).to.equal('evt_1PzX2aKoaPayments');
  });

  it('matches the SDK header byte for byte for a fixed timestamp', () => {
    const body = JSON.stringify(stripeEvent());
    const sdk = stripeSdk.webhooks.generateTestHeaderString({
      payload: body,
      secret: SECRET,
      timestamp: 1_700_000_000,
    });
    expect(stripeSignatureHeader(body, SECRET, 1_700_000_000)).to.equal(sdk);
  });

  it('accepts any one of several v1 signatures', () => {
    const body = JSON.stringify(stripeEvent());
    const good = stripeSignatureHeader(body, SECRET, now);
    const header = `t=${now},v1=${'0'.repeat(64)},${good.split(',')[1]},v0=abc`;
    expect(verifySync(provider, request(body, { 'stripe-signature': header })).id).to.equal(
      'evt_1PzX2aKoaPayments',
    );
  });

  it('accepts a rotated secret list and verifies with either', () => {
    const rotating = stripeProvider({ endpointSecret: ['whsec_new_one', SECRET] }, context);
    const body = JSON.stringify(stripeEvent());
    for (const secret of ['whsec_new_one', SECRET]) {
      const { headers } = signWebhook('stripe', { payload: body, secret });
      expect(verifySync(rotating, request(body, headers)).type).to.equal('charge.succeeded');
    }
  });

  it('rejects a missing header with missing_signature and points at the raw body', () => {
    const body = JSON.stringify(stripeEvent());
    expect(reasonOf(() => verifySync(provider, request(body, {})))).to.equal('missing_signature');
  });

  it('rejects a garbage header with malformed_signature', () => {
    const body = JSON.stringify(stripeEvent());
    for (const header of ['garbage', 't=abc,v1=00', `t=${now}`, 'v1=deadbeef']) {
      expect(
        reasonOf(() => verifySync(provider, request(body, { 'stripe-signature': header }))),
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong secret and a tampered body with no_matching_signature', () => {
    const body = JSON.stringify(stripeEvent());
    const wrong = signWebhook('stripe', { payload: body, secret: 'whsec_other' }).headers;
    expect(reasonOf(() => verifySync(provider, request(body, wrong)))).to.equal(
      'no_matching_signature',
    );
    const right = signWebhook('stripe', { payload: body, secret: SECRET }).headers;
    const tampered = body.replace('2000', '1');
    expect(reasonOf(() => verifySync(provider, request(tampered, right)))).to.equal(
      'no_matching_signature',
    );
  });

  it('explains the raw-body mistake when the signature does not match', () => {
    const body = JSON.stringify(stripeEvent());
    const reparsed = JSON.stringify(JSON.parse(body), null, 2);
    const { headers } = signWebhook('stripe', { payload: body, secret: SECRET });
    try {
      verifySync(provider, request(reparsed, headers));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/raw request body/);
      expect((error as Error).message).not.to.contain(SECRET);
    }
  });

  it('rejects a timestamp older than the tolerance', () => {
    const body = JSON.stringify(stripeEvent());
    const { headers } = signWebhook('stripe', {
      payload: body,
      secret: SECRET,
      timestamp: now - 301,
    });
    expect(
      reasonOf(() => verifySync(provider, request(body, headers, new Date(now * 1000)))),
    ).to.equal('timestamp_out_of_tolerance');
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    const body = JSON.stringify(stripeEvent());
    const { headers } = signWebhook('stripe', {
      payload: body,
      secret: SECRET,
      timestamp: now + 301,
    });
    expect(
      reasonOf(() => verifySync(provider, request(body, headers, new Date(now * 1000)))),
    ).to.equal('timestamp_out_of_tolerance');
  });

  it('measures the tolerance against the injectable receivedAt clock', () => {
    const body = JSON.stringify(stripeEvent());
    const { headers } = signWebhook('stripe', {
      payload: body,
      secret: SECRET,
      timestamp: 1_600_000_000,
    });
    const at = new Date((1_600_000_000 + 299) * 1000);
    expect(verifySync(provider, request(body, headers, at)).id).to.equal('evt_1PzX2aKoaPayments');
  });

  it('rejects a signed body that is not JSON, or lacks id or type, with invalid_payload', () => {
    for (const body of [
      'not json',
      '[1,2]',
      JSON.stringify({ type: 'x' }),
      JSON.stringify({ id: 'evt_1' }),
    ]) {
      const { headers } = signWebhook('stripe', { payload: body, secret: SECRET });
      expect(reasonOf(() => verifySync(provider, request(body, headers)))).to.equal(
        'invalid_payload',
      );
    }
  });

  describe('API version', () => {
    function recordingLogger() {
      const warnings: { fields: Record<string, unknown>; message: string }[] = [];
      const ignore = () => {};
      return {
        warnings,
        logger: {
          debug: ignore,
          info: ignore,
          error: ignore,
          warn: (fields: Record<string, unknown>, message: string) =>
            warnings.push({ fields, message }),
        },
      };
    }
    const deliver = (provider: ReturnType<typeof stripeProvider>, apiVersion: string) => {
      const body = JSON.stringify(stripeEvent({ api_version: apiVersion }));
      return verifySync(provider, request(body, { 'stripe-signature': signed(body) }));
    };
    const signed = (body: string) => stripeSignatureHeader(body, SECRET, now);

    it('warns once per event API version that differs from the installed stripe types', async () => {
      const { warnings, logger } = recordingLogger();
      const watched = stripeProvider({ endpointSecret: SECRET }, { ...context, logger });
      deliver(watched, '2024-06-20');
      deliver(watched, '2024-06-20');
      deliver(watched, Stripe.API_VERSION);
      deliver(watched, '2025-03-31.basil');
      // The warnings are queued on this same promise, before this await.
      await installedStripeApiVersion();
      expect(warnings.map((w) => w.fields)).to.deep.equal([
        { variant: 'stripe', apiVersion: '2024-06-20', typesApiVersion: Stripe.API_VERSION },
        { variant: 'stripe', apiVersion: '2025-03-31.basil', typesApiVersion: Stripe.API_VERSION },
      ]);
      expect(warnings[0]?.message).to.match(/typed receivers may read fields that moved/);
    });

    it('shapes the samples after the API version of the installed stripe package', () => {
      expect(STRIPE_SAMPLE_API_VERSION).to.equal(Stripe.API_VERSION);
      for (const type of sampleTypes('stripe')) {
        expect(samplePayload('stripe', type).api_version, type).to.equal(Stripe.API_VERSION);
      }
    });
  });

  it('refuses an API key or a secret with whitespace at construction, naming the option', () => {
    expect(() => stripeProvider({ endpointSecret: 'sk_test_123' }, context)).to.throw(
      /variants\.stripe\.endpointSecret.*API key/,
    );
    expect(() => stripeProvider({ endpointSecret: `${SECRET}\n` }, context)).to.throw(/whitespace/);
    expect(() => stripeProvider({ endpointSecret: [] }, context)).to.throw(/is required/);
    expect(() => stripeProvider({ endpointSecret: SECRET, tolerance: -1 }, context)).to.throw(
      /tolerance/,
    );
  });
});

for (const dialect of DIALECTS)
  describe(`stripe provider over HTTP on ${dialect}`, () => {
    const received: unknown[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function record({ data }) {
        received.push(data);
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      };
    });

    const url = () => served.url('stripe');

    it('stores a valid event, runs its receiver with data.object and answers 200', async () => {
      const { body, headers } = signWebhook('stripe', { payload: stripeEvent(), secret: SECRET });
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        received: true,
        event: 'evt_1PzX2aKoaPayments',
        duplicate: false,
      });
      expect(received).to.deep.equal([stripeEvent().data.object]);
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'stripe',
        provider: 'stripe',
        event_id: 'evt_1PzX2aKoaPayments',
        status: 'processed',
      });
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const { body, headers } = signWebhook('stripe', { payload: stripeEvent(), secret: SECRET });
      await post(url(), body, headers);
      const again = signWebhook('stripe', { payload: stripeEvent(), secret: SECRET });
      const res = await post(url(), again.body, again.headers);
      expect(res.status).to.equal(200);
      expect(res.body.duplicate).to.equal(true);
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers every kind of bad input with a JSON 400 and its reason, storing nothing', async () => {
      const marker = 'ch_MARKER_7f3a9';
      const event = stripeEvent({ data: { object: { id: marker, amount: 2000 } } });
      const body = JSON.stringify(event);
      const now = Math.floor(Date.now() / 1000);
      const signed = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
        signWebhook('stripe', { payload, secret: options.secret ?? SECRET, ...options }).headers;
      const { id: _id, ...noId } = event;
      const { type: _type, ...noType } = event;
      const cases: {
        name: string;
        reason: string;
        body: string;
        headers: Record<string, string>;
      }[] = [
        { name: 'missing header', reason: 'missing_signature', body, headers: {} },
        {
          name: 'garbage header',
          reason: 'malformed_signature',
          body,
          headers: { 'stripe-signature': 'garbage' },
        },
        {
          name: 'wrong secret',
          reason: 'no_matching_signature',
          body,
          headers: signed(body, { secret: 'whsec_wrong' }),
        },
        {
          name: 'stale timestamp',
          reason: 'timestamp_out_of_tolerance',
          body,
          headers: signed(body, { timestamp: now - 1000 }),
        },
        {
          name: 'future timestamp',
          reason: 'timestamp_out_of_tolerance',
          body,
          headers: signed(body, { timestamp: now + 1000 }),
        },
        {
          name: 'tampered body',
          reason: 'no_matching_signature',
          body: body.replace('2000', '1'),
          headers: signed(body),
        },
        {
          name: 'signed non-JSON',
          reason: 'invalid_payload',
          body: `not json ${marker}`,
          headers: signed(`not json ${marker}`),
        },
        {
          name: 'JSON without id',
          reason: 'invalid_payload',
          body: JSON.stringify(noId),
          headers: signed(JSON.stringify(noId)),
        },
        {
          name: 'JSON without type',
          reason: 'invalid_payload',
          body: JSON.stringify(noType),
          headers: signed(JSON.stringify(noType)),
        },
        { name: 'empty body', reason: 'invalid_payload', body: '', headers: signed('') },
        { name: 'empty body, no header', reason: 'missing_signature', body: '', headers: {} },
      ];
      for (const c of cases) {
        const res = await post(url(), c.body, c.headers);
        expect(res.status, c.name).to.equal(400);
        expect(res.headers.get('content-type'), c.name).to.match(/^application\/json/);
        expect(res.body.error, c.name).to.include({ code: 'invalid_signature', reason: c.reason });
        const text = JSON.stringify(res.body);
        expect(text, c.name).not.to.contain(SECRET);
        expect(text, c.name).not.to.contain(marker);
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });
  });
