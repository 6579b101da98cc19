import { Paddle } from '@paddle/paddle-node-sdk';
import { expect } from 'chai';
import { createRegistry } from '../../../src/index.js';
import { paddleSignatureHeader } from '../../../src/providers/paddle/scheme.js';
import {
  PADDLE_DEFAULT_TOLERANCE,
  paddle as paddleProvider,
} from '../../../src/providers/paddle/verify.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import type { StoredEvent } from '../../../src/store/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { reasonOf, servedForEach, verifySync, webhookRequest } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const EVENT_ID = 'evt_01hv8x2acma2gz2tpy2tvbwtrz';
const context = {
  variant: 'paddle',
  webhookUrl: () => 'https://shop.test/payments/process/paddle/',
};
const paddleSdk = new Paddle('pdl_sdbx_apikey_not_used_for_network');

/** A transaction.completed event, shaped as Paddle's docs show it (data trimmed). */
function paddleEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_id: EVENT_ID,
    event_type: 'transaction.completed',
    occurred_at: '2024-04-12T10:18:49.621022Z',
    notification_id: 'ntf_01hv8x2af4g7pqgn0q1bg3kfmb',
    data: {
      id: 'txn_01hv8wptq8987qeep44cyrewp9',
      status: 'completed',
      customer_id: 'ctm_01hv8wt8nffez4p2t6tnpbq2tn',
      currency_code: 'USD',
      details: { totals: { total: '5000', currency_code: 'USD' } },
    },
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

const at = (seconds: number) => new Date(seconds * 1000);

describe('paddle provider', () => {
  const provider = paddleProvider({ secretKey: SECRET }, context);
  // Read when each test starts, not when mocha loads the file: the whole suite can take longer
  // than the 300 s tolerance.
  let now = 0;
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
  });

  describe("with the Paddle SDK's own test vectors", () => {
    const vectors = paddleProvider({ secretKey: 'VALID_SECRET' }, context);
    const TS = 1_698_796_800;

    it('reproduces the h1 of the valid-signature vector', () => {
      expect(paddleSignatureHeader('{"data": ["1", "2"]}', 'VALID_SECRET', TS)).to.equal(
        'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9',
      );
    });

    it('accepts the vector signatures at their timestamp (then refuses the id-less bodies)', () => {
      // The vector bodies carry no event_id, so a passing signature ends in invalid_payload.
      const cases: [string, string][] = [
        [
          '{"data": ["1", "2"]}',
          'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9',
        ],
        [
          '{"data": "value"}',
          'ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;' +
            'h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH',
        ],
      ];
      for (const [body, header] of cases) {
        const req = request(body, { 'paddle-signature': header }, at(TS));
        expect(reasonOf(() => verifySync(vectors, req))).to.equal('invalid_payload');
      }
    });

    it('refuses the vectors signed with another secret, timestamp or spacing', () => {
      const h1 = 'h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9';
      const other = paddleProvider({ secretKey: 'INVALID_VALID_SECRET' }, context);
      const header = { 'paddle-signature': `ts=1698796800;${h1}` };
      expect(
        reasonOf(() => verifySync(other, request('{"data": ["1", "2"]}', header, at(TS)))),
      ).to.equal('no_matching_signature');
      const otherTs = { 'paddle-signature': `ts=9876;${h1}` };
      expect(
        reasonOf(() => verifySync(vectors, request('{"data": ["1", "2"]}', otherTs, at(9876)))),
      ).to.equal('no_matching_signature');
      expect(
        reasonOf(() => verifySync(vectors, request('{ "data": [ "1", "2" ]}', header, at(TS)))),
      ).to.equal('no_matching_signature');
    });
  });

  it("signs test webhooks that the Paddle SDK's webhooks.unmarshal accepts", async () => {
    // The SDK allows 5 s, measured on the real clock: sign with the current time.
    const body = JSON.stringify({
      event_id: EVENT_ID,
      event_type: 'customer.created',
      occurred_at: '2024-04-12T10:18:49.621022Z',
      notification_id: 'ntf_01hv8x2af4g7pqgn0q1bg3kfmb',
      data: { id: 'ctm_01hv8wt8nffez4p2t6tnpbq2tn', email: 'ada@example.com', status: 'active' },
    });
    const { headers } = signWebhook('paddle', { payload: body, secret: SECRET });
    const event = await paddleSdk.webhooks.unmarshal(body, SECRET, headers['paddle-signature']!);
    expect(event.eventId).to.equal(EVENT_ID);
    expect(event.eventType).to.equal('customer.created');
    expect(
      await paddleSdk.webhooks.isSignatureValid(
        body,
        'another-secret',
        headers['paddle-signature']!,
      ),
    ).to.equal(false);
    expect(verifySync(provider, request(body, headers)).id).to.equal(EVENT_ID);
  });

  it("accepts a delivery older than the SDK's 5 s that the SDK itself refuses", async () => {
    const body = JSON.stringify(paddleEvent());
    const { headers } = signWebhook('paddle', {
      payload: body,
      secret: SECRET,
      timestamp: now - 60,
    });
    expect(
      await paddleSdk.webhooks.isSignatureValid(body, SECRET, headers['paddle-signature']!),
    ).to.equal(false);
    expect(verifySync(provider, request(body, headers, at(now))).id).to.equal(EVENT_ID);
  });

  it('verifies an event and returns its id, type, data and occurred_at', () => {
    const body = JSON.stringify(paddleEvent());
    const { headers } = signWebhook('paddle', { payload: body, secret: SECRET });
    const event = verifySync(provider, request(body, headers));
    expect(event).to.include({ id: EVENT_ID, type: 'transaction.completed' });
    expect(event.data).to.deep.equal(paddleEvent().data);
    expect(event.payload).to.deep.equal(paddleEvent());
    expect(event.createdAt?.toISOString()).to.equal('2024-04-12T10:18:49.621Z');
    expect(provider.dataOf?.(event.payload)).to.deep.equal(event.data);
  });

  it('accepts any one of several h1 signatures, ignoring other schemes', () => {
    const body = JSON.stringify(paddleEvent());
    const good = paddleSignatureHeader(body, SECRET, now).split(';')[1];
    const header = `ts=${now};h1=${'0'.repeat(64)};${good};h2=RANDOM_HASH`;
    expect(verifySync(provider, request(body, { 'paddle-signature': header })).id).to.equal(
      EVENT_ID,
    );
  });

  it('accepts a rotated secret list and verifies with either', () => {
    const rotating = paddleProvider({ secretKey: ['pdl_ntfset_new', SECRET] }, context);
    const body = JSON.stringify(paddleEvent());
    for (const secret of ['pdl_ntfset_new', SECRET]) {
      const { headers } = signWebhook('paddle', { payload: body, secret });
      expect(verifySync(rotating, request(body, headers)).type).to.equal('transaction.completed');
    }
  });

  it('rejects a missing header with missing_signature', () => {
    const body = JSON.stringify(paddleEvent());
    expect(reasonOf(() => verifySync(provider, request(body, {})))).to.equal('missing_signature');
  });

  it('rejects a header without a ts or an h1 with malformed_signature', () => {
    const body = JSON.stringify(paddleEvent());
    for (const header of ['garbage', 'ts=abc;h1=00', `ts=${now}`, `ts=${now};h1=`, 'h1=deadbeef']) {
      expect(
        reasonOf(() => verifySync(provider, request(body, { 'paddle-signature': header }))),
        header,
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong secret and a tampered body with no_matching_signature', () => {
    const body = JSON.stringify(paddleEvent());
    const wrong = signWebhook('paddle', { payload: body, secret: 'pdl_ntfset_other' }).headers;
    expect(reasonOf(() => verifySync(provider, request(body, wrong)))).to.equal(
      'no_matching_signature',
    );
    const right = signWebhook('paddle', { payload: body, secret: SECRET }).headers;
    expect(
      reasonOf(() => verifySync(provider, request(body.replace('5000', '1'), right))),
    ).to.equal('no_matching_signature');
  });

  it('explains the raw-body mistake without echoing the secret', () => {
    const body = JSON.stringify(paddleEvent());
    const { headers } = signWebhook('paddle', { payload: body, secret: SECRET });
    try {
      verifySync(provider, request(JSON.stringify(JSON.parse(body), null, 2), headers));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/raw request body/);
      expect((error as Error).message).not.to.contain(SECRET);
    }
  });

  describe('timestamp tolerance', () => {
    const body = JSON.stringify(paddleEvent());
    const TS = 1_700_000_000;
    const headers = { 'paddle-signature': paddleSignatureHeader(body, SECRET, TS) };

    it(`defaults to ${PADDLE_DEFAULT_TOLERANCE} s either way, measured on receivedAt`, () => {
      expect(PADDLE_DEFAULT_TOLERANCE).to.equal(300);
      expect(verifySync(provider, request(body, headers, at(TS + 300))).id).to.equal(EVENT_ID);
      expect(verifySync(provider, request(body, headers, at(TS - 300))).id).to.equal(EVENT_ID);
    });

    it('rejects a timestamp older than the tolerance', () => {
      expect(reasonOf(() => verifySync(provider, request(body, headers, at(TS + 301))))).to.equal(
        'timestamp_out_of_tolerance',
      );
    });

    it('rejects a timestamp further in the future than the tolerance', () => {
      expect(reasonOf(() => verifySync(provider, request(body, headers, at(TS - 301))))).to.equal(
        'timestamp_out_of_tolerance',
      );
    });

    it("honours a custom tolerance, such as the SDK's 5 s, and 0 to disable it", () => {
      const strict = paddleProvider({ secretKey: SECRET, tolerance: 5 }, context);
      expect(verifySync(strict, request(body, headers, at(TS + 5))).id).to.equal(EVENT_ID);
      expect(reasonOf(() => verifySync(strict, request(body, headers, at(TS + 6))))).to.equal(
        'timestamp_out_of_tolerance',
      );
      expect(reasonOf(() => verifySync(strict, request(body, headers, at(TS - 6))))).to.equal(
        'timestamp_out_of_tolerance',
      );
      const off = paddleProvider({ secretKey: SECRET, tolerance: 0 }, context);
      expect(verifySync(off, request(body, headers, at(TS + 86_400 * 365))).id).to.equal(EVENT_ID);
    });

    it('checks the signature before the timestamp', () => {
      const forged = { 'paddle-signature': `ts=${TS};h1=${'0'.repeat(64)}` };
      expect(reasonOf(() => verifySync(provider, request(body, forged, at(TS + 10_000))))).to.equal(
        'no_matching_signature',
      );
    });
  });

  it('rejects a signed body that is not JSON, or lacks event_id or event_type, with invalid_payload', () => {
    for (const body of [
      'not json',
      '[1,2]',
      JSON.stringify(paddleEvent({ event_id: undefined })),
      JSON.stringify(paddleEvent({ event_type: '' })),
    ]) {
      const { headers } = signWebhook('paddle', { payload: body, secret: SECRET });
      expect(
        reasonOf(() => verifySync(provider, request(body, headers))),
        body,
      ).to.equal('invalid_payload');
    }
  });

  it('refuses an API key, whitespace, no secret or a bad tolerance at construction', () => {
    expect(() => paddleProvider({ secretKey: 'pdl_live_apikey_01abc' }, context)).to.throw(
      /variants\.paddle\.secretKey.*API key/,
    );
    expect(() => paddleProvider({ secretKey: `${SECRET}\n` }, context)).to.throw(/whitespace/);
    expect(() => paddleProvider({ secretKey: [] }, context)).to.throw(
      /variants\.paddle\.secretKey.*is required/,
    );
    expect(() => paddleProvider({ secretKey: SECRET, tolerance: -1 }, context)).to.throw(
      /variants\.paddle\.tolerance/,
    );
  });
});

for (const dialect of DIALECTS)
  describe(`paddle provider over HTTP on ${dialect}`, () => {
    const received: { data: unknown; event: StoredEvent }[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('transaction.completed', async function record({ data, event }) {
        received.push({ data, event });
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { paddle: { provider: 'paddle', secretKey: SECRET } },
      };
    });

    const url = () => served.url('paddle');

    it('stores a valid event, runs its receiver with data and answers 200', async () => {
      const { body, headers } = signWebhook('paddle', { payload: paddleEvent(), secret: SECRET });
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: EVENT_ID, duplicate: false });
      expect(received.map((r) => r.data)).to.deep.equal([paddleEvent().data]);
      expect(received[0]!.event.createdAt?.toISOString()).to.equal('2024-04-12T10:18:49.621Z');
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'paddle',
        provider: 'paddle',
        event_id: EVENT_ID,
        type: 'transaction.completed',
        status: 'processed',
      });
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const first = signWebhook('paddle', { payload: paddleEvent(), secret: SECRET });
      await post(url(), first.body, first.headers);
      const again = signWebhook('paddle', {
        payload: paddleEvent({ notification_id: 'ntf_retry' }),
        secret: SECRET,
      });
      const res = await post(url(), again.body, again.headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: EVENT_ID, duplicate: true });
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const body = JSON.stringify(paddleEvent());
      const now = Math.floor(Date.now() / 1000);
      const sign = (payload: string, secret: string, timestamp = now) =>
        signWebhook('paddle', { payload, secret, timestamp }).headers;
      const cases: [string, Record<string, string>, string][] = [
        ['missing_signature', {}, body],
        ['malformed_signature', { 'paddle-signature': 'garbage' }, body],
        ['no_matching_signature', sign(body, 'pdl_ntfset_wrong'), body],
        ['timestamp_out_of_tolerance', sign(body, SECRET, now - 1000), body],
        ['timestamp_out_of_tolerance', sign(body, SECRET, now + 1000), body],
        ['invalid_payload', sign('nope', SECRET), 'nope'],
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
