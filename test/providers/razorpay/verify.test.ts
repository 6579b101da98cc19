import { expect } from 'chai';
import Razorpay from 'razorpay';
import { createRegistry } from '../../../src/index.js';
import { razorpaySignature } from '../../../src/providers/razorpay/scheme.js';
import {
  deriveRazorpayEventId,
  razorpay as razorpayProvider,
} from '../../../src/providers/razorpay/verify.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import type { StoredEvent } from '../../../src/store/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { reasonOf, servedForEach, verifySync, webhookRequest } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = 'rzp-webhook-secret-for-koa-payments';
/** The X-Razorpay-Event-Id Razorpay sends; unsigned, so never the stored id. */
const EVENT_ID = 'KN1wTU7gXCw8oH';
const context = {
  variant: 'razorpay',
  webhookUrl: () => 'https://shop.test/payments/process/razorpay/',
};

/** A payment.captured event, shaped as Razorpay's docs show it. */
function razorpayEvent(overrides: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: 'payment.captured',
    contains: ['payment'],
    payload: {
      payment: {
        entity: {
          id: 'pay_DESlfW9H8K9uqM',
          entity: 'payment',
          amount: 50000,
          currency: 'INR',
          status: 'captured',
          order_id: 'order_DESlLckIVRkHWj',
          method: 'upi',
        },
      },
    },
    created_at: 1_567_674_606,
    ...overrides,
  };
}

function request(body: string, headers: Record<string, string>): WebhookRequest {
  return webhookRequest(body, headers, { url: context.webhookUrl() });
}

/** Signs `body`; `id: null` leaves the event id to the signer. */
function signed(body: string, secret = SECRET, id: string | null = EVENT_ID) {
  return signWebhook('razorpay', { payload: body, secret, id: id ?? undefined }).headers;
}

describe('razorpay provider', () => {
  const provider = razorpayProvider({ webhookSecret: SECRET }, context);

  it("reproduces the signature of Razorpay's SDK test vector", () => {
    const body = '{"a":1,"b":2,"c":{"d":3}}';
    const vector = '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc';
    expect(razorpaySignature(body, '123456')).to.equal(vector);
    const vectorProvider = razorpayProvider({ webhookSecret: '123456' }, context);
    // The signature passes; the body has no "event", so it is then refused as a payload.
    const headers = { 'x-razorpay-signature': vector, 'x-razorpay-event-id': EVENT_ID };
    expect(reasonOf(() => verifySync(vectorProvider, request(body, headers)))).to.equal(
      'invalid_payload',
    );
    const flipped = { ...headers, 'x-razorpay-signature': `${vector.slice(0, -1)}d` };
    expect(reasonOf(() => verifySync(vectorProvider, request(body, flipped)))).to.equal(
      'no_matching_signature',
    );
  });

  it("signs test webhooks that the razorpay SDK's validateWebhookSignature accepts", () => {
    const body = JSON.stringify(razorpayEvent());
    const headers = signed(body);
    expect(
      Razorpay.validateWebhookSignature(body, headers['x-razorpay-signature']!, SECRET),
    ).to.equal(true);
    expect(
      Razorpay.validateWebhookSignature(body, headers['x-razorpay-signature']!, 'another-secret'),
    ).to.equal(false);
  });

  it('verifies an event and returns its id, type, payload as data, and created_at', () => {
    const body = JSON.stringify(razorpayEvent());
    const event = verifySync(provider, request(body, signed(body)));
    expect(event).to.include({
      id: deriveRazorpayEventId(razorpayEvent()),
      type: 'payment.captured',
    });
    expect(event.id).to.match(/^derived_[0-9a-f]{40}$/);
    expect(event.data).to.deep.equal(razorpayEvent().payload);
    expect(event.payload).to.deep.equal(razorpayEvent());
    expect(event.createdAt?.toISOString()).to.equal('2019-09-05T09:10:06.000Z');
    expect(provider.dataOf?.(event.payload)).to.deep.equal(event.data);
  });

  it('accepts an upper-case hex signature', () => {
    const body = JSON.stringify(razorpayEvent());
    const headers = signed(body);
    headers['x-razorpay-signature'] = headers['x-razorpay-signature']!.toUpperCase();
    expect(verifySync(provider, request(body, headers)).type).to.equal('payment.captured');
  });

  it('accepts a rotated secret list and verifies with either', () => {
    const rotating = razorpayProvider({ webhookSecret: ['new-secret', SECRET] }, context);
    const body = JSON.stringify(razorpayEvent());
    for (const secret of ['new-secret', SECRET]) {
      expect(verifySync(rotating, request(body, signed(body, secret))).type).to.equal(
        'payment.captured',
      );
    }
    expect(reasonOf(() => verifySync(rotating, request(body, signed(body, 'old'))))).to.equal(
      'no_matching_signature',
    );
  });

  it('rejects a missing signature header with missing_signature', () => {
    const body = JSON.stringify(razorpayEvent());
    const headers = { 'x-razorpay-event-id': EVENT_ID };
    expect(reasonOf(() => verifySync(provider, request(body, headers)))).to.equal(
      'missing_signature',
    );
    expect(
      reasonOf(() =>
        verifySync(provider, request(body, { ...headers, 'x-razorpay-signature': ' ' })),
      ),
    ).to.equal('missing_signature');
  });

  it('rejects a signature that is not 64 hex characters with malformed_signature', () => {
    const body = JSON.stringify(razorpayEvent());
    const good = signed(body)['x-razorpay-signature']!;
    for (const signature of [
      'garbage',
      good.slice(1),
      `${good}00`,
      `sha256=${good}`,
      'z'.repeat(64),
    ]) {
      const headers = { 'x-razorpay-signature': signature, 'x-razorpay-event-id': EVENT_ID };
      expect(
        reasonOf(() => verifySync(provider, request(body, headers))),
        signature,
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong secret and a tampered body with no_matching_signature', () => {
    const body = JSON.stringify(razorpayEvent());
    expect(reasonOf(() => verifySync(provider, request(body, signed(body, 'wrong'))))).to.equal(
      'no_matching_signature',
    );
    const tampered = body.replace('50000', '1');
    expect(reasonOf(() => verifySync(provider, request(tampered, signed(body))))).to.equal(
      'no_matching_signature',
    );
  });

  it('explains the raw-body mistake without echoing the secret', () => {
    const body = JSON.stringify(razorpayEvent());
    const reparsed = JSON.stringify(JSON.parse(body), null, 2);
    try {
      verifySync(provider, request(reparsed, signed(body)));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/raw request body/);
      expect((error as Error).message).not.to.contain(SECRET);
    }
  });

  it('rejects a signed body that is not a JSON object or has no event with invalid_payload', () => {
    for (const body of ['not json', '[1,2]', JSON.stringify(razorpayEvent({ event: undefined }))]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, signed(body)))),
        body,
      ).to.equal('invalid_payload');
    }
  });

  it('keys the event on the signed body, whatever X-Razorpay-Event-Id says', () => {
    const body = JSON.stringify(razorpayEvent());
    const withHeaders = [EVENT_ID, 'evt_replayed_by_someone', 'x'.repeat(300), 'has space'].map(
      (id) => verifySync(provider, request(body, signed(body, SECRET, id))).id,
    );
    expect(new Set(withHeaders)).to.deep.equal(new Set([deriveRazorpayEventId(razorpayEvent())]));
  });

  describe('the derived id', () => {
    function unsignedId(body: string) {
      const headers = signed(body);
      delete headers['x-razorpay-event-id'];
      return headers;
    }

    it('is stable, from the signed event, created_at and entity ids, with or without the header', () => {
      const body = JSON.stringify(razorpayEvent());
      const first = verifySync(provider, request(body, unsignedId(body)));
      const again = verifySync(provider, request(body, signed(body)));
      expect(first.id).to.match(/^derived_[0-9a-f]{40}$/);
      expect(again.id).to.equal(first.id);
      expect(first.type).to.equal('payment.captured');
    });

    it('derives different ids for different events, and ignores entity order', () => {
      const base = razorpayEvent();
      const id = deriveRazorpayEventId(base);
      expect(deriveRazorpayEventId(razorpayEvent({ event: 'payment.failed' }))).not.to.equal(id);
      expect(deriveRazorpayEventId(razorpayEvent({ created_at: 1_567_674_607 }))).not.to.equal(id);
      expect(deriveRazorpayEventId(razorpayEvent({ account_id: 'acc_other' }))).not.to.equal(id);
      const otherPayment = razorpayEvent({
        payload: { payment: { entity: { ...base.payload.payment.entity, id: 'pay_other' } } },
      });
      expect(deriveRazorpayEventId(otherPayment)).not.to.equal(id);
      const order = { entity: { id: 'order_DESlLckIVRkHWj' } };
      const a = razorpayEvent({ payload: { payment: base.payload.payment, order } });
      const b = razorpayEvent({ payload: { order, payment: base.payload.payment } });
      expect(deriveRazorpayEventId(a)).to.equal(deriveRazorpayEventId(b));
    });

    it('refuses a body without created_at with invalid_payload, with or without the header', () => {
      const body = JSON.stringify(razorpayEvent({ created_at: undefined }));
      expect(reasonOf(() => verifySync(provider, request(body, unsignedId(body))))).to.equal(
        'invalid_payload',
      );
      expect(reasonOf(() => verifySync(provider, request(body, signed(body))))).to.equal(
        'invalid_payload',
      );
    });
  });

  it('sends the given event id, or one derived from the body, from the test signer', () => {
    const body = JSON.stringify(razorpayEvent());
    expect(signed(body, SECRET, 'evt_given')['x-razorpay-event-id']).to.equal('evt_given');
    const generated = signed(body, SECRET, null)['x-razorpay-event-id'];
    expect(generated).to.match(/^evt_test_[0-9a-f]{24}$/);
    expect(signed(body, SECRET, null)['x-razorpay-event-id']).to.equal(generated);
  });

  it('refuses an API key id, whitespace or no secret at construction, naming the option', () => {
    expect(() => razorpayProvider({ webhookSecret: 'rzp_test_1DP5mmOlF5G5ag' }, context)).to.throw(
      /variants\.razorpay\.webhookSecret.*API key/,
    );
    expect(() => razorpayProvider({ webhookSecret: ` ${SECRET}` }, context)).to.throw(/whitespace/);
    expect(() => razorpayProvider({ webhookSecret: [] }, context)).to.throw(
      /variants\.razorpay\.webhookSecret.*is required/,
    );
  });
});

for (const dialect of DIALECTS)
  describe(`razorpay provider over HTTP on ${dialect}`, () => {
    const received: { data: unknown; event: StoredEvent }[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('payment.captured', async function record({ data, event }) {
        received.push({ data, event });
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { rzp: { provider: 'razorpay', webhookSecret: SECRET } },
      };
    });

    const url = () => served.url('rzp');

    it('stores a valid event, runs its receiver with the payload and answers 200', async () => {
      const { body, headers } = signWebhook('razorpay', {
        payload: razorpayEvent(),
        secret: SECRET,
        id: EVENT_ID,
      });
      const res = await post(url(), body, headers);
      const id = deriveRazorpayEventId(razorpayEvent());
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: id, duplicate: false });
      expect(received.map((r) => r.data)).to.deep.equal([razorpayEvent().payload]);
      expect(received[0]!.event.createdAt?.toISOString()).to.equal('2019-09-05T09:10:06.000Z');
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'rzp',
        provider: 'razorpay',
        event_id: id,
        type: 'payment.captured',
        status: 'processed',
      });
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const first = signWebhook('razorpay', {
        payload: razorpayEvent(),
        secret: SECRET,
        id: EVENT_ID,
      });
      expect((await post(url(), first.body, first.headers)).body.duplicate).to.equal(false);
      const again = signWebhook('razorpay', {
        payload: razorpayEvent(),
        secret: SECRET,
        id: EVENT_ID,
      });
      const res = await post(url(), again.body, again.headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        received: true,
        event: deriveRazorpayEventId(razorpayEvent()),
        duplicate: true,
      });
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers a captured request re-sent under a new event id header as a duplicate', async () => {
      const genuine = signWebhook('razorpay', {
        payload: razorpayEvent(),
        secret: SECRET,
        id: EVENT_ID,
      });
      expect((await post(url(), genuine.body, genuine.headers)).body.duplicate).to.equal(false);
      const replayed = { ...genuine.headers, 'x-razorpay-event-id': 'evt_chosen_by_attacker' };
      const res = await post(url(), genuine.body, replayed);
      expect(res.status).to.equal(200);
      expect(res.body.duplicate).to.equal(true);
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('deduplicates redeliveries without the event id header by the derived id', async () => {
      const { body, headers } = signWebhook('razorpay', {
        payload: razorpayEvent(),
        secret: SECRET,
      });
      delete headers['x-razorpay-event-id'];
      const first = await post(url(), body, headers);
      const again = await post(url(), body, headers);
      expect(first.status).to.equal(200);
      expect(first.body.event).to.match(/^derived_/);
      expect(again.body).to.deep.equal({
        received: true,
        event: first.body.event,
        duplicate: true,
      });
      expect(received).to.have.length(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const body = JSON.stringify(razorpayEvent());
      const cases: [string, Record<string, string>, string][] = [
        ['missing_signature', { 'x-razorpay-event-id': EVENT_ID }, body],
        [
          'malformed_signature',
          { 'x-razorpay-signature': 'garbage', 'x-razorpay-event-id': EVENT_ID },
          body,
        ],
        ['no_matching_signature', signed(body, 'wrong-secret'), body],
        ['invalid_payload', signed('nope'), 'nope'],
      ];
      for (const [reason, headers, b] of cases) {
        const res = await post(url(), b, headers);
        expect(res.status, reason).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(SECRET);
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });
  });
