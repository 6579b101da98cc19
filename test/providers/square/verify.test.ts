import { expect } from 'chai';
import { WebhooksHelper } from 'square';
import { ConfigurationError, createRegistry, type Payments, payments } from '../../../src/index.js';
import { squareSignature } from '../../../src/providers/square/scheme.js';
import { square as squareProvider } from '../../../src/providers/square/verify.js';
import type { ProviderContext, WebhookRequest } from '../../../src/providers/types.js';
import type { StoredEvent } from '../../../src/store/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../../helpers/databases.js';
import { reasonOf, verifySync, webhookRequest } from '../../helpers/provider.js';
import { appWith, listen, post, type TestServer } from '../../helpers/server.js';

const KEY = 'sq-signature-key-for-koa-payments';
const WEBHOOK_URL = 'https://shop.test/payments/process/square/';
const context: ProviderContext = { variant: 'square', webhookUrl: () => WEBHOOK_URL };
const EVENT_ID = '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc';

/** The Square SDKs' test vector: its body byte for byte, key, URL and signature. */
const VECTOR = {
  body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
  key: 'Ibxx_5AKakO-3qeNVR61Dw',
  url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
  signature: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
};

/** A payment.updated event, shaped as Square's docs show it (object trimmed). */
function squareEvent(overrides: Record<string, unknown> = {}) {
  return {
    merchant_id: '6SSW7HV8K2ST5',
    type: 'payment.updated',
    event_id: EVENT_ID,
    created_at: '2024-02-01T16:21:48.412Z',
    data: {
      type: 'payment',
      id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
      object: {
        payment: {
          id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
          amount_money: { amount: 2500, currency: 'USD' },
          status: 'COMPLETED',
          order_id: 'i0ElBqRuAbVBTaGhA3iqsP5B8ZeZY',
        },
      },
    },
    ...overrides,
  };
}

function request(body: string, headers: Record<string, string>): WebhookRequest {
  return webhookRequest(body, headers, { url: 'http://10.0.0.7:3000/payments/process/square/' });
}

function signed(body: string, key = KEY, url = WEBHOOK_URL) {
  return signWebhook('square', { payload: body, secret: key, url }).headers;
}

describe('square provider', () => {
  const provider = squareProvider({ signatureKey: KEY }, context);

  it("reproduces and verifies the Square SDKs' webhooks.test_notification vector", () => {
    expect(squareSignature(VECTOR.url, VECTOR.body, VECTOR.key)).to.equal(VECTOR.signature);
    const vectors = squareProvider(
      { signatureKey: VECTOR.key, notificationUrl: VECTOR.url },
      context,
    );
    const event = verifySync(
      vectors,
      request(VECTOR.body, { 'x-square-hmacsha256-signature': VECTOR.signature }),
    );
    expect(event).to.include({
      id: 'ac3ac95b-f97d-458c-a6e6-18981597e05f',
      type: 'webhooks.test_notification',
    });
    expect(event.data).to.deep.equal({
      type: 'webhooks',
      id: 'bc368e64-01aa-407e-b46e-3231809b1129',
    });
    expect(event.createdAt?.toISOString()).to.equal('2022-07-13T20:30:59.037Z');
  });

  it("signs test webhooks that the square SDK's WebhooksHelper.verifySignature accepts", async () => {
    const body = JSON.stringify(squareEvent());
    const headers = signed(body);
    const check = (notificationUrl: string, signatureKey = KEY) =>
      WebhooksHelper.verifySignature({
        requestBody: body,
        signatureHeader: headers['x-square-hmacsha256-signature']!,
        signatureKey,
        notificationUrl,
      });
    expect(await check(WEBHOOK_URL)).to.equal(true);
    expect(await check(WEBHOOK_URL, 'another-key')).to.equal(false);
    expect(await check(WEBHOOK_URL.slice(0, -1))).to.equal(false);
    expect(
      await WebhooksHelper.verifySignature({
        requestBody: VECTOR.body,
        signatureHeader: VECTOR.signature,
        signatureKey: VECTOR.key,
        notificationUrl: VECTOR.url,
      }),
    ).to.equal(true);
  });

  it("verifies against the variant's webhookUrl by default, not the URL the request hit", () => {
    const body = JSON.stringify(squareEvent());
    const event = verifySync(provider, request(body, signed(body)));
    expect(event).to.include({ id: EVENT_ID, type: 'payment.updated' });
    expect(event.data).to.deep.equal(squareEvent().data);
    expect(event.payload).to.deep.equal(squareEvent());
    expect(event.createdAt?.toISOString()).to.equal('2024-02-01T16:21:48.412Z');
    expect(provider.dataOf?.(event.payload)).to.deep.equal(event.data);
    const overRequestUrl = signed(body, KEY, 'http://10.0.0.7:3000/payments/process/square/');
    expect(reasonOf(() => verifySync(provider, request(body, overRequestUrl)))).to.equal(
      'no_matching_signature',
    );
  });

  it('resolves the default URL on every request, so a host function is followed', () => {
    let host = 'old.shop.test';
    const dynamic = squareProvider(
      { signatureKey: KEY },
      { variant: 'square', webhookUrl: () => `https://${host}/payments/process/square/` },
    );
    host = 'new.shop.test';
    const body = JSON.stringify(squareEvent());
    const headers = signed(body, KEY, 'https://new.shop.test/payments/process/square/');
    expect(verifySync(dynamic, request(body, headers)).id).to.equal(EVENT_ID);
  });

  it('verifies against an explicit notificationUrl instead of the default', () => {
    const registered = 'https://proxy.example.com/hooks/square';
    const explicit = squareProvider({ signatureKey: KEY, notificationUrl: registered }, context);
    const body = JSON.stringify(squareEvent());
    expect(verifySync(explicit, request(body, signed(body, KEY, registered))).id).to.equal(
      EVENT_ID,
    );
    expect(reasonOf(() => verifySync(explicit, request(body, signed(body))))).to.equal(
      'no_matching_signature',
    );
  });

  it('accepts a rotated key list and verifies with either', () => {
    const rotating = squareProvider({ signatureKey: ['new-key', KEY] }, context);
    const body = JSON.stringify(squareEvent());
    for (const key of ['new-key', KEY]) {
      expect(verifySync(rotating, request(body, signed(body, key))).id).to.equal(EVENT_ID);
    }
  });

  it('rejects a missing header with missing_signature', () => {
    const body = JSON.stringify(squareEvent());
    expect(reasonOf(() => verifySync(provider, request(body, {})))).to.equal('missing_signature');
  });

  it('rejects a header that is not a base64 SHA-256 with malformed_signature', () => {
    const body = JSON.stringify(squareEvent());
    const good = signed(body)['x-square-hmacsha256-signature']!;
    for (const value of ['garbage', good.slice(1), `${good}=`, 'a'.repeat(64), `sha256=${good}`]) {
      expect(
        reasonOf(() =>
          verifySync(provider, request(body, { 'x-square-hmacsha256-signature': value })),
        ),
        value,
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong key, a tampered body or another URL with no_matching_signature', () => {
    const body = JSON.stringify(squareEvent());
    for (const [b, headers] of [
      [body, signed(body, 'wrong-key')],
      [body.replace('2500', '1'), signed(body)],
      [body, signed(body, KEY, WEBHOOK_URL.slice(0, -1))],
    ] as const) {
      expect(reasonOf(() => verifySync(provider, request(b, headers)))).to.equal(
        'no_matching_signature',
      );
    }
  });

  it('names the signed URL when the signature does not match, never the key', () => {
    const body = JSON.stringify(squareEvent());
    try {
      verifySync(provider, request(body, signed(body, 'wrong-key')));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.contain(WEBHOOK_URL);
      expect((error as Error).message).to.match(/trailing slash/);
      expect((error as Error).message).not.to.contain(KEY);
    }
  });

  it('rejects a signed body that is not JSON, or lacks event_id or type, with invalid_payload', () => {
    for (const body of [
      'not json',
      '[1,2]',
      JSON.stringify(squareEvent({ event_id: undefined })),
      JSON.stringify(squareEvent({ type: 42 })),
    ]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, signed(body)))),
        body,
      ).to.equal('invalid_payload');
    }
  });

  it('refuses to start without notificationUrl when no host is configured', () => {
    const noHost: ProviderContext = {
      variant: 'sq',
      webhookUrl: () => {
        throw new ConfigurationError('host', 'webhookUrl() needs the public host');
      },
    };
    expect(() => squareProvider({ signatureKey: KEY }, noHost))
      .to.throw(ConfigurationError, /variants\.sq\.notificationUrl.*host/)
      .with.property('option', 'variants.sq.notificationUrl');
    expect(
      squareProvider({ signatureKey: KEY, notificationUrl: WEBHOOK_URL }, noHost).name,
    ).to.equal('square');
  });

  it('refuses a bad notificationUrl, an access token or no key at construction', () => {
    for (const notificationUrl of ['not a url', ` ${WEBHOOK_URL}`, 'ftp://shop.test/x', '']) {
      expect(() => squareProvider({ signatureKey: KEY, notificationUrl }, context), notificationUrl)
        .to.throw(ConfigurationError)
        .with.property('option', 'variants.square.notificationUrl');
    }
    expect(() =>
      squareProvider({ signatureKey: KEY, notificationUrl: 42 as unknown as string }, context),
    ).to.throw(/notificationUrl: must be a URL string, got a number/);
    const token = `EAAA${'l'.repeat(60)}`;
    expect(() => squareProvider({ signatureKey: token }, context)).to.throw(
      /variants\.square\.signatureKey.*access token/,
    );
    expect(() => squareProvider({ signatureKey: [] }, context)).to.throw(/is required/);
  });

  it('makes payments() refuse a square variant with neither host nor notificationUrl', () => {
    expect(() =>
      payments({
        registry: createRegistry(),
        database: ':memory:',
        variants: { square: { provider: 'square', signatureKey: KEY } },
      }),
    ).to.throw(ConfigurationError, /variants\.square\.notificationUrl/);
  });

  it('refuses to sign a test webhook without the notification URL', () => {
    expect(() => signWebhook('square', { payload: squareEvent(), secret: KEY })).to.throw(
      TypeError,
      /needs `url`/,
    );
  });
});

for (const dialect of DIALECTS)
  describe(`square provider over HTTP on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;
    const received: { data: unknown; event: StoredEvent }[] = [];

    async function start(
      variant: { notificationUrl?: string },
      settings: { host?: () => string; protocol?: 'http' },
    ) {
      const registry = createRegistry();
      registry.receiver('payment.updated', async function record({ data, event }) {
        received.push({ data, event });
      });
      pay = payments({
        database: db.setting,
        registry,
        variants: { square: { provider: 'square', signatureKey: KEY, ...variant } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      received.length = 0;
    });

    afterEach(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
    });

    describe('with the default notification URL, pay.webhookUrl(variant)', () => {
      // The port is known only once the server listens: host is a function read per request.
      let hostPort = 'not-listening-yet';

      beforeEach(async () => {
        await start({}, { host: () => hostPort, protocol: 'http' });
        hostPort = new URL(server.origin).host;
      });

      it('stores a valid event, runs its receiver with data and answers 200', async () => {
        const webhookUrl = pay.webhookUrl('square');
        expect(webhookUrl).to.equal(`${server.origin}/payments/process/square/`);
        const { body, headers } = signWebhook('square', {
          payload: squareEvent(),
          secret: KEY,
          url: webhookUrl,
        });
        const res = await post(webhookUrl, body, headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: EVENT_ID, duplicate: false });
        expect(received.map((r) => r.data)).to.deep.equal([squareEvent().data]);
        expect(received[0]!.event.createdAt?.toISOString()).to.equal('2024-02-01T16:21:48.412Z');
        const rows = await pay.knex('payments_events').select();
        expect(rows).to.have.length(1);
        expect(rows[0]).to.include({
          variant: 'square',
          provider: 'square',
          event_id: EVENT_ID,
          type: 'payment.updated',
          status: 'processed',
        });
      });

      it('answers a redelivery as a duplicate without running the receiver again', async () => {
        const url = pay.webhookUrl('square');
        const first = signWebhook('square', { payload: squareEvent(), secret: KEY, url });
        await post(url, first.body, first.headers);
        const res = await post(url, first.body, first.headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: EVENT_ID, duplicate: true });
        expect(received).to.have.length(1);
        expect(await count(pay.knex, 'payments_events')).to.equal(1);
      });

      it('answers each verification failure with 400 and its reason, storing nothing', async () => {
        const url = pay.webhookUrl('square');
        const body = JSON.stringify(squareEvent());
        const cases: [string, Record<string, string>, string][] = [
          ['missing_signature', {}, body],
          ['malformed_signature', { 'x-square-hmacsha256-signature': 'garbage' }, body],
          ['no_matching_signature', signed(body, 'wrong-key', url), body],
          ['no_matching_signature', signed(body, KEY, url.slice(0, -1)), body],
          ['invalid_payload', signed('nope', KEY, url), 'nope'],
        ];
        for (const [reason, headers, b] of cases) {
          const res = await post(url, b, headers);
          expect(res.status, reason).to.equal(400);
          expect(res.body.error).to.include({ code: 'invalid_signature', reason });
          expect(JSON.stringify(res.body)).not.to.contain(KEY);
        }
        expect(await count(pay.knex, 'payments_events')).to.equal(0);
        expect(received).to.have.length(0);
      });
    });

    describe('with an explicit notificationUrl and no host', () => {
      const registered = 'https://shop.example.com/payments/process/square';

      beforeEach(async () => {
        await start({ notificationUrl: registered }, {});
      });

      it('verifies against the registered URL, not the address it was posted to', async () => {
        const local = `${server.origin}/payments/process/square/`;
        const { body, headers } = signWebhook('square', {
          payload: squareEvent(),
          secret: KEY,
          url: registered,
        });
        const res = await post(local, body, headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: EVENT_ID, duplicate: false });
        expect(received.map((r) => r.data)).to.deep.equal([squareEvent().data]);

        const overLocal = signWebhook('square', {
          payload: squareEvent({ event_id: 'other' }),
          secret: KEY,
          url: local,
        });
        const refused = await post(local, overLocal.body, overLocal.headers);
        expect(refused.status).to.equal(400);
        expect(refused.body.error).to.include({ reason: 'no_matching_signature' });
        expect(await count(pay.knex, 'payments_events')).to.equal(1);
      });
    });
  });
