import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  ConfigurationError,
  createRegistry,
  payments,
  SignatureVerificationError,
} from '../../../src/index.js';
import { standardSignatureHeader } from '../../../src/providers/standard/scheme.js';
import { standard as standardProvider } from '../../../src/providers/standard/verify.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import {
  configurationErrorOf,
  reasonOf,
  servedForEach,
  verifySync,
  webhookRequest,
} from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = `whsec_${Buffer.from('koa-payments standard webhooks test key!').toString('base64')}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const context = {
  variant: 'standard',
  webhookUrl: () => 'https://shop.test/payments/process/standard/',
};

// The vector the standardwebhooks library publishes in its own tests.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1_614_265_330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function message(overrides: Record<string, unknown> = {}) {
  return {
    type: 'invoice.paid',
    timestamp: '2022-11-03T20:26:10.344522Z',
    data: { id: 'inv_123', amount: 2000, currency: 'EUR' },
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

function signed(
  body: string,
  options: { secret?: string; id?: string; timestamp?: number; svix?: boolean } = {},
): Record<string, string> {
  return signWebhook('standard', {
    payload: body,
    secret: options.secret ?? SECRET,
    id: options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    timestamp: options.timestamp,
    options: { svix: options.svix === true },
  }).headers;
}

const FAMILIES = [
  { name: 'webhook-*', prefix: 'webhook', svix: false },
  { name: 'svix-*', prefix: 'svix', svix: true },
] as const;

describe('standard provider', () => {
  const provider = standardProvider({ secret: SECRET }, context);
  // Read when each test starts, not when mocha loads the file: the whole suite can take longer
  // than the 300 s tolerance.
  let now = 0;
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
  });

  describe('published vector', () => {
    const vectorProvider = standardProvider({ secret: VECTOR.secret }, context);
    const at = new Date(VECTOR.timestamp * 1000);

    it('signs the standardwebhooks test vector byte for byte', () => {
      expect(
        standardSignatureHeader(VECTOR.body, VECTOR.secret, VECTOR.id, VECTOR.timestamp),
      ).to.equal(VECTOR.signature);
    });

    it('accepts the vector signature and then refuses its body for having no type', () => {
      const headers = {
        'webhook-id': VECTOR.id,
        'webhook-timestamp': String(VECTOR.timestamp),
        'webhook-signature': VECTOR.signature,
      };
      // The vector's body has no `type`, so a genuine signature ends at invalid_payload...
      expect(
        reasonOf(() => verifySync(vectorProvider, request(VECTOR.body, headers, at))),
      ).to.equal('invalid_payload');
      // ...whereas one flipped character in the signature is refused as a forgery.
      const forged = { ...headers, 'webhook-signature': VECTOR.signature.replace('g0h', 'g0i') };
      expect(reasonOf(() => verifySync(vectorProvider, request(VECTOR.body, forged, at)))).to.equal(
        'no_matching_signature',
      );
    });

    it('verifies a typed body signed with the vector key, id and timestamp', () => {
      const body = JSON.stringify(message());
      const sdk = new StandardWebhook(VECTOR.secret).sign(VECTOR.id, at, body);
      const headers = {
        'webhook-id': VECTOR.id,
        'webhook-timestamp': String(VECTOR.timestamp),
        'webhook-signature': sdk,
      };
      const event = verifySync(vectorProvider, request(body, headers, at));
      expect(event).to.include({ id: VECTOR.id, type: 'invoice.paid' });
    });
  });

  describe('official SDKs', () => {
    it('accepts what the standardwebhooks library signs', () => {
      const body = JSON.stringify(message());
      const id = 'msg_fromStandardWebhooks';
      const signature = new StandardWebhook(SECRET).sign(id, new Date(now * 1000), body);
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(now),
        'webhook-signature': signature,
      };
      const event = verifySync(provider, request(body, headers));
      expect(event).to.include({ id, type: 'invoice.paid' });
      expect(event.data).to.deep.equal(message().data);
    });

    it('accepts what the svix library signs, under the svix-* header names', () => {
      const body = JSON.stringify(message());
      const id = 'msg_fromSvix';
      const signature = new SvixWebhook(SECRET).sign(id, new Date(now * 1000), body);
      const headers = { 'svix-id': id, 'svix-timestamp': String(now), 'svix-signature': signature };
      expect(verifySync(provider, request(body, headers))).to.include({ id, type: 'invoice.paid' });
    });

    it('signs test webhooks that the standardwebhooks library verifies', () => {
      const body = JSON.stringify(message());
      const headers = signed(body);
      expect(new StandardWebhook(SECRET).verify(body, headers)).to.deep.equal(message());
    });

    it('signs test webhooks that the svix library verifies, with either header family', () => {
      const body = JSON.stringify(message());
      for (const svix of [false, true]) {
        const headers = signed(body, { svix });
        expect(Object.keys(headers).some((name) => name.startsWith(svix ? 'svix-' : 'webhook-'))).to
          .be.true;
        expect(new SvixWebhook(SECRET).verify(body, headers)).to.deep.equal(message());
      }
    });

    it('matches the library signature for the same message', () => {
      const body = JSON.stringify(message());
      const sdk = new StandardWebhook(SECRET).sign('msg_same', new Date(1_700_000_000_000), body);
      expect(standardSignatureHeader(body, SECRET, 'msg_same', 1_700_000_000)).to.equal(sdk);
    });
  });

  it('takes the id from webhook-id, type and data from the body, createdAt from its timestamp', () => {
    const body = JSON.stringify(message());
    const event = verifySync(provider, request(body, signed(body, { id: 'msg_abc' })));
    expect(event.id).to.equal('msg_abc');
    expect(event.type).to.equal('invoice.paid');
    expect(event.data).to.deep.equal({ id: 'inv_123', amount: 2000, currency: 'EUR' });
    expect(event.payload).to.deep.equal(message());
    expect(event.createdAt?.toISOString()).to.equal('2022-11-03T20:26:10.344Z');
    expect(provider.dataOf?.(message())).to.deep.equal(event.data);
  });

  it('leaves createdAt unset when the body timestamp is not an ISO date, and data null without data', () => {
    for (const timestamp of [1_700_000_000, 'yesterday', '2022-11-03']) {
      const body = JSON.stringify({ type: 'ping', timestamp });
      const event = verifySync(provider, request(body, signed(body)));
      expect(event.createdAt).to.equal(undefined);
      expect(event.data).to.equal(null);
    }
  });

  it('generates a msg_ id when the signer is given none', () => {
    const body = JSON.stringify(message());
    const { headers } = signWebhook('standard', { payload: body, secret: SECRET });
    expect(headers['webhook-id']).to.match(/^msg_[0-9a-f]{32}$/);
    expect(verifySync(provider, request(body, headers)).id).to.equal(headers['webhook-id']);
  });

  it('accepts one matching v1 signature among several, ignoring other versions', () => {
    const body = JSON.stringify(message());
    const headers = signed(body);
    const good = headers['webhook-signature']!;
    const list = `v1a,${'A'.repeat(86)}== v1,${Buffer.alloc(32).toString('base64')}  ${good} v2,xyz`;
    const event = verifySync(provider, request(body, { ...headers, 'webhook-signature': list }));
    expect(event.type).to.equal('invoice.paid');
  });

  it('accepts a rotated secret list and verifies with either', () => {
    const rotating = standardProvider({ secret: [OTHER_SECRET, SECRET] }, context);
    const body = JSON.stringify(message());
    for (const secret of [OTHER_SECRET, SECRET]) {
      expect(verifySync(rotating, request(body, signed(body, { secret }))).type).to.equal(
        'invoice.paid',
      );
    }
    expect(
      reasonOf(() => verifySync(provider, request(body, signed(body, { secret: OTHER_SECRET })))),
    ).to.equal('no_matching_signature');
  });

  it('accepts a secret given without the whsec_ prefix', () => {
    const bare = standardProvider({ secret: SECRET.slice('whsec_'.length) }, context);
    const body = JSON.stringify(message());
    expect(verifySync(bare, request(body, signed(body))).type).to.equal('invoice.paid');
  });

  for (const family of FAMILIES) {
    describe(`with the ${family.name} headers`, () => {
      const body = JSON.stringify(message());

      it('verifies a signed message', () => {
        const headers = signed(body, { svix: family.svix });
        expect(Object.keys(headers)).to.include(`${family.prefix}-signature`);
        expect(verifySync(provider, request(body, headers)).type).to.equal('invoice.paid');
      });

      for (const missing of ['id', 'timestamp', 'signature']) {
        it(`rejects a request without ${family.prefix}-${missing} with missing_signature, naming it`, () => {
          const headers = signed(body, { svix: family.svix });
          delete headers[`${family.prefix}-${missing}`];
          try {
            verifySync(provider, request(body, headers));
            expect.fail('should have thrown');
          } catch (error) {
            expect(error).to.be.instanceOf(SignatureVerificationError);
            expect((error as SignatureVerificationError).reason).to.equal('missing_signature');
            expect((error as Error).message).to.contain(`${family.prefix}-${missing} header`);
          }
        });
      }

      it('rejects a timestamp that is not an integer with malformed_signature', () => {
        for (const timestamp of ['abc', '12.5', `${now}abc`, '-1614265330', '1e9']) {
          const headers = { ...signed(body, { svix: family.svix }) };
          headers[`${family.prefix}-timestamp`] = timestamp;
          expect(
            reasonOf(() => verifySync(provider, request(body, headers))),
            timestamp,
          ).to.equal('malformed_signature');
        }
      });

      it('rejects a signature list without v1 entries with malformed_signature', () => {
        for (const value of ['garbage', 'v1a,abcd', 'v2,abcd v0,efgh', 'v1,', 'v1 abcd']) {
          const headers = { ...signed(body, { svix: family.svix }) };
          headers[`${family.prefix}-signature`] = value;
          expect(
            reasonOf(() => verifySync(provider, request(body, headers))),
            value,
          ).to.equal('malformed_signature');
        }
      });

      it('rejects a wrong secret, a tampered body, id or timestamp with no_matching_signature', () => {
        const wrong = signed(body, { secret: OTHER_SECRET, svix: family.svix });
        expect(reasonOf(() => verifySync(provider, request(body, wrong)))).to.equal(
          'no_matching_signature',
        );
        const right = signed(body, { svix: family.svix });
        expect(
          reasonOf(() => verifySync(provider, request(body.replace('2000', '1'), right))),
        ).to.equal('no_matching_signature');
        for (const [name, value] of [
          ['id', 'msg_other'],
          ['timestamp', String(now - 1)],
        ] as const) {
          const tampered = { ...right, [`${family.prefix}-${name}`]: value };
          expect(
            reasonOf(() => verifySync(provider, request(body, tampered))),
            name,
          ).to.equal('no_matching_signature');
        }
      });

      it('rejects a timestamp older than the tolerance', () => {
        const headers = signed(body, { svix: family.svix, timestamp: now - 301 });
        const at = new Date(now * 1000);
        expect(reasonOf(() => verifySync(provider, request(body, headers, at)))).to.equal(
          'timestamp_out_of_tolerance',
        );
      });

      it('rejects a timestamp further in the future than the tolerance', () => {
        const headers = signed(body, { svix: family.svix, timestamp: now + 301 });
        const at = new Date(now * 1000);
        expect(reasonOf(() => verifySync(provider, request(body, headers, at)))).to.equal(
          'timestamp_out_of_tolerance',
        );
      });

      it('rejects a signed body that is not JSON, not an object, or has no type, with invalid_payload', () => {
        for (const bad of ['not json', '[1,2]', JSON.stringify({ data: {} }), '{"type":""}']) {
          const headers = signed(bad, { svix: family.svix });
          expect(
            reasonOf(() => verifySync(provider, request(bad, headers))),
            bad,
          ).to.equal('invalid_payload');
        }
      });
    });
  }

  it('accepts timestamps just inside the tolerance either way, measured on receivedAt', () => {
    const body = JSON.stringify(message());
    const at = new Date(1_600_000_000 * 1000);
    for (const timestamp of [1_600_000_000 - 300, 1_600_000_000 + 300]) {
      const headers = signed(body, { timestamp });
      expect(verifySync(provider, request(body, headers, at)).type).to.equal('invoice.paid');
    }
  });

  it('honours a custom tolerance, and 0 disables the check', () => {
    const body = JSON.stringify(message());
    const strict = standardProvider({ secret: SECRET, tolerance: 10 }, context);
    const at = new Date(now * 1000);
    expect(
      reasonOf(() => verifySync(strict, request(body, signed(body, { timestamp: now - 11 }), at))),
    ).to.equal('timestamp_out_of_tolerance');
    const off = standardProvider({ secret: SECRET, tolerance: 0 }, context);
    expect(verifySync(off, request(body, signed(body, { timestamp: 1000 }))).type).to.equal(
      'invoice.paid',
    );
  });

  it('explains the raw-body mistake without echoing the secret', () => {
    const body = JSON.stringify(message());
    const reparsed = JSON.stringify(JSON.parse(body), null, 2);
    try {
      verifySync(provider, request(reparsed, signed(body)));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/raw request body/);
      expect((error as Error).message).not.to.contain(SECRET.slice('whsec_'.length));
    }
  });

  it('refuses a secret that decodes to fewer than 24 bytes, naming variants.<v>.secret', () => {
    const short = `whsec_${randomBytes(23).toString('base64')}`;
    for (const secret of [short, [SECRET, short], 'whsec_', `whsec_${'AAAA'.repeat(7)}`]) {
      const error = configurationErrorOf(() => standardProvider({ secret }, context));
      expect(error.option).to.equal('variants.standard.secret');
      expect(error.message).to.contain('fewer than 24 bytes');
      expect(error.message).not.to.contain(short);
    }
    // Exactly 24 bytes is the minimum the specification allows.
    expect(() => standardProvider({ secret: VECTOR.secret }, context)).not.to.throw();
  });

  it('refuses a secret that is not base64, a missing secret and a bad tolerance at construction', () => {
    for (const secret of ['whsec_test_secret_for_koa_payments', 'whsec_%%%%', `${SECRET}=`]) {
      const error = configurationErrorOf(() => standardProvider({ secret }, context));
      expect(error.option).to.equal('variants.standard.secret');
      expect(error.message).to.contain('base64');
    }
    expect(configurationErrorOf(() => standardProvider({ secret: [] }, context)).message).to.match(
      /is required/,
    );
    expect(
      configurationErrorOf(() => standardProvider({ secret: `${SECRET} ` }, context)).message,
    ).to.match(/whitespace/);
    expect(
      configurationErrorOf(() => standardProvider({ secret: SECRET, tolerance: -1 }, context))
        .option,
    ).to.equal('variants.standard.tolerance');
  });

  it('is refused by payments() with the variant named when its secret is too short', () => {
    expect(() =>
      payments({
        host: 'shop.test',
        database: ':memory:',
        registry: createRegistry(),
        variants: { svix: { provider: 'standard', secret: 'whsec_c2hvcnQ=' } },
      }),
    ).to.throw(ConfigurationError, /variants\.svix\.secret/);
  });
});

for (const dialect of DIALECTS)
  describe(`standard provider over HTTP on ${dialect}`, () => {
    const received: unknown[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('invoice.paid', async function record({ data }) {
        received.push(data);
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { hooks: { provider: 'standard', secret: SECRET } },
      };
    });

    const url = () => served.url('hooks');

    for (const family of FAMILIES) {
      it(`stores a valid event sent with ${family.name} headers, runs its receiver with data and answers 200`, async () => {
        const { body, headers } = signWebhook('standard', {
          payload: message(),
          secret: SECRET,
          id: 'msg_http_1',
          options: { svix: family.svix },
        });
        const res = await post(url(), body, headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: 'msg_http_1', duplicate: false });
        expect(received).to.deep.equal([message().data]);
        const rows = await served.pay.knex('payments_events').select();
        expect(rows).to.have.length(1);
        expect(rows[0]).to.include({
          variant: 'hooks',
          provider: 'standard',
          event_id: 'msg_http_1',
          type: 'invoice.paid',
          status: 'processed',
        });
        expect(JSON.parse(rows[0].payload)).to.deep.equal(message());
      });
    }

    it('answers a redelivery with the same webhook-id as a duplicate without running the receiver again', async () => {
      const first = signWebhook('standard', {
        payload: message(),
        secret: SECRET,
        id: 'msg_again',
      });
      expect((await post(url(), first.body, first.headers)).body.duplicate).to.equal(false);
      // A retry carries the same id with a fresh timestamp and signature.
      const retry = signWebhook('standard', {
        payload: message(),
        secret: SECRET,
        id: 'msg_again',
        timestamp: Math.floor(Date.now() / 1000) + 5,
      });
      expect(retry.headers['webhook-signature']).not.to.equal(first.headers['webhook-signature']);
      const res = await post(url(), retry.body, retry.headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: 'msg_again', duplicate: true });
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const body = JSON.stringify(message());
      const now = Math.floor(Date.now() / 1000);
      const good = signed(body);
      const { 'webhook-signature': _dropped, ...unsigned } = good;
      const cases: [string, Record<string, string>, string][] = [
        ['missing_signature', unsigned, body],
        ['malformed_signature', { ...good, 'webhook-timestamp': 'soon' }, body],
        ['malformed_signature', { ...good, 'webhook-signature': 'v1a,abcd' }, body],
        ['no_matching_signature', signed(body, { secret: OTHER_SECRET }), body],
        ['timestamp_out_of_tolerance', signed(body, { timestamp: now - 1000 }), body],
        ['timestamp_out_of_tolerance', signed(body, { timestamp: now + 1000 }), body],
        ['invalid_payload', signed('nope'), 'nope'],
        ['invalid_payload', signed('{"data":{}}'), '{"data":{}}'],
      ];
      for (const [reason, headers, b] of cases) {
        const res = await post(url(), b, headers);
        expect(res.status, reason).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(SECRET.slice('whsec_'.length));
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });
  });
