import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { ConfigurationError, createRegistry, payments } from '../../../src/index.js';
import { lemonSqueezyEventId, lemonsqueezy } from '../../../src/providers/lemonsqueezy/verify.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { reasonOf, servedForEach, verifySync, webhookRequest } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = 'ls_signing_secret_42';
const context = {
  variant: 'lemonsqueezy',
  webhookUrl: () => 'https://shop.test/payments/process/lemonsqueezy/',
};

/**
 * The `order_created` example of Lemon Squeezy's webhook docs
 * (https://docs.lemonsqueezy.com/help/webhooks/webhook-requests, "Example payload"), shortened.
 */
function orderCreated() {
  return {
    meta: { event_name: 'order_created', test_mode: true, custom_data: { customer_id: 25 } },
    data: {
      type: 'orders',
      id: '1',
      attributes: {
        store_id: 1,
        identifier: '636f855c-1fb9-4c07-b75c-3a10afef010a',
        order_number: 1,
        user_name: 'Darlene Daugherty',
        user_email: 'gernser@yahoo.com',
        currency: 'USD',
        subtotal: 999,
        tax: 200,
        total: 1199,
        status: 'paid',
        refunded: false,
        created_at: '2021-08-17T09:45:53.000000Z',
        updated_at: '2021-08-17T09:45:53.000000Z',
      },
    },
  };
}

/** A `subscription_updated` event as the developer guide shows them, with its signed links. */
function subscriptionUpdated(updatedAt: string, expires = 1_666_869_343) {
  return {
    meta: { event_name: 'subscription_updated', test_mode: false },
    data: {
      type: 'subscriptions',
      id: '1',
      attributes: {
        store_id: 2,
        customer_id: 2,
        status: 'active',
        cancelled: false,
        renews_at: '2023-02-24T12:43:48.000000Z',
        urls: {
          update_payment_method: `https://my-store.lemonsqueezy.com/subscription/1/payment-details?expires=${expires}&signature=9985e3bf9007840aeb3951412be475ab`,
        },
        created_at: '2023-01-17T12:43:51.000000Z',
        updated_at: updatedAt,
      },
    },
  };
}

/** The signature as Lemon Squeezy's docs compute it, independently of our code. */
function nodeSignature(body: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function request(body: string, headers: Record<string, string>): WebhookRequest {
  return webhookRequest(body, headers, { url: context.webhookUrl() });
}

describe('lemonsqueezy provider', () => {
  const provider = lemonsqueezy({ signingSecret: SECRET }, context);

  it('accepts the docs example signed independently with node:crypto', () => {
    // Lemon Squeezy publishes no (secret, body, signature) vector and its official SDK,
    // @lemonsqueezy/lemonsqueezy.js, has no webhook verifier (only webhook CRUD), so the
    // reference is the documented algorithm: hex HMAC-SHA256 of the raw body.
    const body = JSON.stringify(orderCreated());
    const event = verifySync(provider, request(body, { 'x-signature': nodeSignature(body) }));
    expect(event.type).to.equal('order_created');
    expect(event.data).to.deep.equal(orderCreated().data);
    expect(event.payload).to.deep.equal(orderCreated());
    expect(event.livemode).to.equal(false);
    expect(event.id).to.match(/^order_created:orders:1:[0-9a-f]{32}$/);
  });

  it('signs test webhooks exactly as node:crypto does, with X-Event-Name from the body', () => {
    const body = JSON.stringify(orderCreated());
    const { headers } = signWebhook('lemonsqueezy', { payload: body, secret: SECRET });
    expect(headers['x-signature']).to.equal(nodeSignature(body));
    expect(headers['x-event-name']).to.equal('order_created');
    const bare = signWebhook('lemonsqueezy', { payload: '{"data":{}}', secret: SECRET }).headers;
    expect(bare).not.to.have.property('x-event-name');
  });

  it('accepts a signature in upper-case hex', () => {
    const body = JSON.stringify(orderCreated());
    const headers = { 'x-signature': nodeSignature(body).toUpperCase() };
    expect(verifySync(provider, request(body, headers)).type).to.equal('order_created');
  });

  it('accepts a rotated secret list and verifies with either', () => {
    const rotating = lemonsqueezy({ signingSecret: ['new_secret_1', SECRET] }, context);
    const body = JSON.stringify(orderCreated());
    for (const secret of ['new_secret_1', SECRET]) {
      const { headers } = signWebhook('lemonsqueezy', { payload: body, secret });
      expect(verifySync(rotating, request(body, headers)).type).to.equal('order_created');
    }
  });

  it('rejects a missing X-Signature with missing_signature', () => {
    const body = JSON.stringify(orderCreated());
    const reason = reasonOf(() =>
      verifySync(provider, request(body, { 'x-event-name': 'order_created' })),
    );
    expect(reason).to.equal('missing_signature');
  });

  it('rejects an X-Signature that is not 64 hex digits with malformed_signature', () => {
    const body = JSON.stringify(orderCreated());
    const good = nodeSignature(body);
    for (const value of ['garbage', `sha256=${good}`, good.slice(1), `${good}00`, 'z'.repeat(64)]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, { 'x-signature': value }))),
        value,
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong secret, a tampered and a re-serialised body with no_matching_signature', () => {
    const body = JSON.stringify(orderCreated());
    const cases: [string, string][] = [
      [body, nodeSignature(body, 'another_secret')],
      [body.replace('1199', '1'), nodeSignature(body)],
      [JSON.stringify(orderCreated(), null, 2), nodeSignature(body)],
    ];
    for (const [sent, signature] of cases) {
      expect(
        reasonOf(() => verifySync(provider, request(sent, { 'x-signature': signature }))),
      ).to.equal('no_matching_signature');
    }
  });

  it('never puts the secret in an error message', () => {
    const body = JSON.stringify(orderCreated());
    try {
      verifySync(provider, request(body, { 'x-signature': nodeSignature(body, 'other_secret') }));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/body parser/);
      expect((error as Error).message).not.to.contain(SECRET);
    }
  });

  it('rejects signed bodies without JSON, event name or data resource with invalid_payload', () => {
    for (const body of [
      'not json',
      '[1,2]',
      JSON.stringify({ data: orderCreated().data }),
      JSON.stringify({ meta: { event_name: 'order_created' } }),
      JSON.stringify({ meta: { event_name: 'order_created' }, data: [1] }),
      JSON.stringify({ meta: { event_name: 'order_created' }, data: { type: 'orders' } }),
      JSON.stringify({ meta: { event_name: 'order_created' }, data: { id: '1' } }),
    ]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, { 'x-signature': nodeSignature(body) }))),
        body,
      ).to.equal('invalid_payload');
    }
  });

  it('takes the type from X-Event-Name when the body has no meta.event_name', () => {
    const { data } = orderCreated();
    const body = JSON.stringify({ data });
    const headers = { 'x-signature': nodeSignature(body), 'x-event-name': 'order_created' };
    const event = verifySync(provider, request(body, headers));
    expect(event.type).to.equal('order_created');
    expect(event.livemode).to.equal(undefined);
  });

  it('prefers the signed meta.event_name over a different X-Event-Name header', () => {
    const body = JSON.stringify(orderCreated());
    const headers = { 'x-signature': nodeSignature(body), 'x-event-name': 'order_refunded' };
    expect(verifySync(provider, request(body, headers)).type).to.equal('order_created');
  });

  it('reads livemode from meta.test_mode, else from data.attributes.test_mode', () => {
    const live = JSON.stringify(subscriptionUpdated('2023-01-24T12:43:48.000000Z'));
    expect(
      verifySync(provider, request(live, { 'x-signature': nodeSignature(live) })).livemode,
    ).to.equal(true);
    const { data } = orderCreated();
    const fromAttributes = JSON.stringify({
      meta: { event_name: 'order_created' },
      data: { ...data, attributes: { ...data.attributes, test_mode: true } },
    });
    const headers = { 'x-signature': nodeSignature(fromAttributes) };
    expect(verifySync(provider, request(fromAttributes, headers)).livemode).to.equal(false);
  });

  it('derives the same id for a redelivery, even re-serialised with fresh signed links', () => {
    const id = (payload: unknown, space?: number) => {
      const body = JSON.stringify(payload, null, space);
      return verifySync(provider, request(body, { 'x-signature': nodeSignature(body) })).id;
    };
    const first = id(subscriptionUpdated('2023-01-24T12:43:48.000000Z'));
    expect(id(subscriptionUpdated('2023-01-24T12:43:48.000000Z'))).to.equal(first);
    expect(id(subscriptionUpdated('2023-01-24T12:43:48.000000Z'), 2)).to.equal(first);
    expect(id(subscriptionUpdated('2023-01-24T12:43:48.000000Z', 1_777_777_777))).to.equal(first);
    const { meta, data } = subscriptionUpdated('2023-01-24T12:43:48.000000Z');
    expect(id({ data, meta: { ...meta, webhook_id: 'another-delivery' } })).to.equal(first);
  });

  it('derives different ids for distinct events on the same resource', () => {
    const ids = new Set<string>();
    const add = (payload: unknown) => {
      const body = JSON.stringify(payload);
      ids.add(verifySync(provider, request(body, { 'x-signature': nodeSignature(body) })).id);
    };
    add(subscriptionUpdated('2023-01-24T12:43:48.000000Z'));
    add(subscriptionUpdated('2023-01-24T12:43:49.000000Z'));
    const sameSecond = subscriptionUpdated('2023-01-24T12:43:48.000000Z');
    sameSecond.data.attributes.status = 'past_due';
    add(sameSecond);
    add({
      ...subscriptionUpdated('2023-01-24T12:43:48.000000Z'),
      meta: { event_name: 'subscription_created' },
    });
    expect(ids.size).to.equal(4);
  });

  it('exports the id derivation, which ignores key order', () => {
    const a = lemonSqueezyEventId('order_created', {
      type: 'orders',
      id: '7',
      attributes: { a: 1, b: 2 },
    });
    const b = lemonSqueezyEventId('order_created', {
      id: '7',
      attributes: { b: 2, a: 1 },
      type: 'orders',
    });
    expect(a).to.equal(b);
    expect(a).to.match(/^order_created:orders:7:[0-9a-f]{32}$/);
  });

  it('accepts a numeric data.id', () => {
    const body = JSON.stringify({
      meta: { event_name: 'order_created' },
      data: { type: 'orders', id: 7 },
    });
    const event = verifySync(provider, request(body, { 'x-signature': nodeSignature(body) }));
    expect(event.id).to.match(/^order_created:orders:7:/);
  });

  it('finds in a stored payload the same data verify() returned', () => {
    const body = JSON.stringify(orderCreated());
    const event = verifySync(provider, request(body, { 'x-signature': nodeSignature(body) }));
    expect(provider.dataOf?.(JSON.parse(body))).to.deep.equal(event.data);
  });

  it('refuses a missing, blank-padded or API-key signing secret at construction, naming the option', () => {
    expect(() => lemonsqueezy({ signingSecret: [] }, context)).to.throw(
      ConfigurationError,
      /variants\.lemonsqueezy\.signingSecret.*is required/,
    );
    expect(() => lemonsqueezy({ signingSecret: `${SECRET} ` }, context)).to.throw(/whitespace/);
    const jwt = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${'a'.repeat(120)}`;
    expect(() => lemonsqueezy({ signingSecret: jwt }, context)).to.throw(/API key/);
  });
});

for (const dialect of DIALECTS)
  describe(`lemonsqueezy provider over HTTP on ${dialect}`, () => {
    const received: { type: string; data: unknown }[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('*', async function record({ type, data }) {
        received.push({ type, data });
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { lemonsqueezy: { provider: 'lemonsqueezy', signingSecret: SECRET } },
      };
    });

    const url = () => served.url('lemonsqueezy');

    it('stores a valid event, runs its receiver with data and answers 200', async () => {
      const { body, headers } = signWebhook('lemonsqueezy', {
        payload: orderCreated(),
        secret: SECRET,
      });
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ received: true, duplicate: false });
      expect(res.body.event).to.match(/^order_created:orders:1:[0-9a-f]{32}$/);
      expect(received).to.deep.equal([{ type: 'order_created', data: orderCreated().data }]);
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'lemonsqueezy',
        provider: 'lemonsqueezy',
        event_id: res.body.event,
        type: 'order_created',
        status: 'processed',
      });
      expect(JSON.parse(rows[0].payload)).to.deep.equal(orderCreated());
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const first = signWebhook('lemonsqueezy', { payload: orderCreated(), secret: SECRET });
      const one = await post(url(), first.body, first.headers);
      const again = signWebhook('lemonsqueezy', { payload: orderCreated(), secret: SECRET });
      const two = await post(url(), again.body, again.headers);
      expect(two.status).to.equal(200);
      expect(two.body).to.deep.equal({ received: true, event: one.body.event, duplicate: true });
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('stores two updates of one subscription as two events', async () => {
      for (const at of ['2023-01-24T12:43:48.000000Z', '2023-01-24T12:43:49.000000Z']) {
        const { body, headers } = signWebhook('lemonsqueezy', {
          payload: subscriptionUpdated(at),
          secret: SECRET,
        });
        expect((await post(url(), body, headers)).body.duplicate).to.equal(false);
      }
      expect(received.map((r) => r.type)).to.deep.equal([
        'subscription_updated',
        'subscription_updated',
      ]);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(2);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const body = JSON.stringify(orderCreated());
      const cases: [string, string, Record<string, string>][] = [
        ['missing_signature', body, { 'x-event-name': 'order_created' }],
        ['malformed_signature', body, { 'x-signature': 'garbage' }],
        [
          'no_matching_signature',
          body,
          signWebhook('lemonsqueezy', { payload: body, secret: 'wrong_secret' }).headers,
        ],
        [
          'invalid_payload',
          'nope',
          signWebhook('lemonsqueezy', { payload: 'nope', secret: SECRET }).headers,
        ],
      ];
      for (const [reason, sent, headers] of cases) {
        const res = await post(url(), sent, { 'content-type': 'application/json', ...headers });
        expect(res.status, reason).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(SECRET);
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });

    it('refuses an option the provider does not know, naming it', () => {
      expect(() =>
        payments({
          host: 'shop.test',
          database: ':memory:',
          registry: createRegistry(),
          variants: {
            ls: { provider: 'lemonsqueezy', signingSecret: SECRET, endpointSecret: 'x' } as never,
          },
        }),
      ).to.throw(ConfigurationError, /variants\.ls\.endpointSecret.*unknown option/);
    });
  });
