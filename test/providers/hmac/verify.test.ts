import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import { ConfigurationError, createRegistry, type Payments, payments } from '../../../src/index.js';
import { type HmacOptions, hmac } from '../../../src/providers/hmac/verify.js';
import type { ProviderContext, WebhookRequest } from '../../../src/providers/types.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../../helpers/databases.js';
import { reasonOf, verifySync, webhookRequest } from '../../helpers/provider.js';
import { appWith, listen, post, type TestServer } from '../../helpers/server.js';

const SECRET = 'generic_gateway_secret';
/** The clock of the unit tests: requests are received at this instant unless a test says otherwise. */
const NOW = 1_700_000_000;
const WEBHOOK_URL = 'https://shop.test/payments/process/acme/';
const context: ProviderContext = { variant: 'acme', webhookUrl: () => WEBHOOK_URL };

const event = {
  event: { id: 'evt_42', name: 'payment.succeeded' },
  data: { object: { id: 'pay_1', amount: 500, currency: 'eur' } },
};
const BODY = JSON.stringify(event);

/** The same HMAC computed with node:crypto directly, independently of the provider's helpers. */
function nodeHmac(
  content: string,
  { secret = SECRET, algorithm = 'sha256', encoding = 'hex' as 'hex' | 'base64' } = {},
): string {
  return createHmac(algorithm, secret).update(content).digest(encoding);
}

function provider(options: Partial<HmacOptions> = {}) {
  return hmac(
    { secret: SECRET, header: 'x-acme-signature', typePath: 'event.name', ...options },
    context,
  );
}

function request(
  body: string,
  headers: Record<string, string>,
  receivedAt = new Date(NOW * 1000),
): WebhookRequest {
  return webhookRequest(body, headers, {
    receivedAt,
    url: 'http://127.0.0.1:3000/behind/a/proxy/',
  });
}

describe('hmac provider', () => {
  describe('signature', () => {
    it("reproduces GitHub's documented X-Hub-Signature-256 example", () => {
      // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
      const github = { header: 'x-hub-signature-256', prefix: 'sha256=' };
      const { headers } = signWebhook('hmac', {
        payload: 'Hello, World!',
        secret: "It's a Secret to Everybody",
        options: github,
      });
      const documented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
      expect(headers['x-hub-signature-256']).to.equal(documented);
      // The signature passes; only then is the (non-JSON) body refused.
      const verifier = hmac(
        { secret: "It's a Secret to Everybody", ...github, typeHeader: 'x-github-event' },
        context,
      );
      const good = { 'x-hub-signature-256': documented };
      expect(reasonOf(() => verifySync(verifier, request('Hello, World!', good)))).to.equal(
        'invalid_payload',
      );
      const bad = { 'x-hub-signature-256': documented.replace('757107', '757108') };
      expect(reasonOf(() => verifySync(verifier, request('Hello, World!', bad)))).to.equal(
        'no_matching_signature',
      );
    });

    it('accepts a hex HMAC-SHA256 of the body computed with node:crypto (the defaults)', () => {
      const verified = verifySync(
        provider(),
        request(BODY, { 'x-acme-signature': nodeHmac(BODY) }),
      );
      expect(verified.type).to.equal('payment.succeeded');
      expect(verified.payload).to.deep.equal(event);
    });

    it('accepts hex in upper case', () => {
      const headers = { 'x-acme-signature': nodeHmac(BODY).toUpperCase() };
      expect(verifySync(provider(), request(BODY, headers)).type).to.equal('payment.succeeded');
    });

    it('verifies sha512 with base64, padded, unpadded or URL-safe', () => {
      const verifier = provider({ algorithm: 'sha512', encoding: 'base64' });
      const signature = nodeHmac(BODY, { algorithm: 'sha512', encoding: 'base64' });
      const variants = [
        signature,
        signature.replace(/=+$/, ''),
        signature.replace(/\+/g, '-').replace(/\//g, '_'),
      ];
      for (const value of variants) {
        expect(verifySync(verifier, request(BODY, { 'x-acme-signature': value })).type).to.equal(
          'payment.succeeded',
        );
      }
      const { headers } = signWebhook('hmac', {
        payload: BODY,
        secret: SECRET,
        options: { header: 'x-acme-signature', algorithm: 'sha512', encoding: 'base64' },
      });
      expect(headers['x-acme-signature']).to.equal(signature);
    });

    it('strips the prefix, and refuses a header without it as malformed_signature', () => {
      const verifier = provider({ prefix: 'sha256=' });
      const signature = nodeHmac(BODY);
      const ok = request(BODY, { 'x-acme-signature': `sha256=${signature}` });
      expect(verifySync(verifier, ok).type).to.equal('payment.succeeded');
      for (const value of [signature, `sha1=${signature}`, `SHA256=${signature}`]) {
        expect(
          reasonOf(() => verifySync(verifier, request(BODY, { 'x-acme-signature': value }))),
        ).to.equal('malformed_signature');
      }
    });

    it('refuses a signature of the wrong length or alphabet as malformed_signature', () => {
      const sha256 = nodeHmac(BODY);
      const cases: [Partial<HmacOptions>, string][] = [
        [{ algorithm: 'sha512' }, sha256],
        [{}, `${sha256}00`],
        [{}, sha256.slice(1)],
        [{}, 'not-hex!'],
        [{ encoding: 'base64' }, sha256],
        [{ encoding: 'base64' }, 'a b c'],
      ];
      for (const [options, value] of cases) {
        expect(
          reasonOf(() =>
            verifySync(provider(options), request(BODY, { 'x-acme-signature': value })),
          ),
          `${JSON.stringify(options)} ${value}`,
        ).to.equal('malformed_signature');
      }
    });

    it('rejects a missing signature header with missing_signature', () => {
      expect(reasonOf(() => verifySync(provider(), request(BODY, {})))).to.equal(
        'missing_signature',
      );
    });

    it('rejects the wrong secret and a tampered body with no_matching_signature, without the secret in the message', () => {
      const cases: [string, string][] = [
        [BODY, nodeHmac(BODY, { secret: 'other' })],
        [BODY.replace('500', '5'), nodeHmac(BODY)],
      ];
      for (const [body, signature] of cases) {
        try {
          verifySync(provider(), request(body, { 'x-acme-signature': signature }));
          expect.fail('should have thrown');
        } catch (error) {
          expect(
            reasonOf(() => {
              throw error;
            }),
          ).to.equal('no_matching_signature');
          expect((error as Error).message).to.match(/body parser/);
          expect((error as Error).message).not.to.contain(SECRET);
        }
      }
    });

    it('accepts a rotated secret list and verifies with either', () => {
      const verifier = provider({ secret: ['rotated_in', SECRET] });
      for (const secret of ['rotated_in', SECRET]) {
        const headers = { 'x-acme-signature': nodeHmac(BODY, { secret }) };
        expect(verifySync(verifier, request(BODY, headers)).type).to.equal('payment.succeeded');
      }
    });
  });

  describe('timestamp', () => {
    const options = { timestampHeader: 'x-acme-timestamp' };
    const signed = (timestamp: number, content = `${timestamp}.${BODY}`) => ({
      'x-acme-signature': nodeHmac(content),
      'x-acme-timestamp': String(timestamp),
    });

    it("signs '{timestamp}.{body}' by default with a timestamp header", () => {
      expect(verifySync(provider(options), request(BODY, signed(NOW))).type).to.equal(
        'payment.succeeded',
      );
      const { headers } = signWebhook('hmac', {
        payload: BODY,
        secret: SECRET,
        timestamp: NOW,
        options: { header: 'x-acme-signature', ...options },
      });
      expect(headers).to.deep.equal({
        'content-type': 'application/json; charset=utf-8',
        ...signed(NOW),
      });
    });

    it('follows a custom template with literal text', () => {
      const verifier = provider({ ...options, signedContent: 'v1:{timestamp}:{body}' });
      const headers = signed(NOW, `v1:${NOW}:${BODY}`);
      expect(verifySync(verifier, request(BODY, headers)).type).to.equal('payment.succeeded');
      expect(reasonOf(() => verifySync(verifier, request(BODY, signed(NOW))))).to.equal(
        'no_matching_signature',
      );
    });

    it('rejects a timestamp older than the tolerance', () => {
      expect(
        reasonOf(() => verifySync(provider(options), request(BODY, signed(NOW - 301)))),
      ).to.equal('timestamp_out_of_tolerance');
    });

    it('rejects a timestamp further in the future than the tolerance', () => {
      expect(
        reasonOf(() => verifySync(provider(options), request(BODY, signed(NOW + 301)))),
      ).to.equal('timestamp_out_of_tolerance');
    });

    it('measures a custom tolerance against the injectable receivedAt clock, both ways', () => {
      const verifier = provider({ ...options, tolerance: 60 });
      const at = (seconds: number) => new Date(seconds * 1000);
      const headers = signed(1_600_000_000);
      expect(verifySync(verifier, request(BODY, headers, at(1_600_000_060))).type).to.equal(
        'payment.succeeded',
      );
      expect(verifySync(verifier, request(BODY, headers, at(1_599_999_940))).type).to.equal(
        'payment.succeeded',
      );
      for (const seconds of [1_600_000_061, 1_599_999_939]) {
        expect(reasonOf(() => verifySync(verifier, request(BODY, headers, at(seconds))))).to.equal(
          'timestamp_out_of_tolerance',
        );
      }
      const off = provider({ ...options, tolerance: 0 });
      expect(verifySync(off, request(BODY, headers)).type).to.equal('payment.succeeded');
    });

    it('rejects a rewritten timestamp with no_matching_signature, before looking at its age', () => {
      const headers = { ...signed(NOW - 10_000), 'x-acme-timestamp': String(NOW) };
      expect(reasonOf(() => verifySync(provider(options), request(BODY, headers)))).to.equal(
        'no_matching_signature',
      );
    });

    it('rejects a missing or non-numeric timestamp header with malformed_signature', () => {
      const { 'x-acme-timestamp': _, ...withoutTimestamp } = signed(NOW);
      for (const headers of [
        withoutTimestamp,
        { ...signed(NOW), 'x-acme-timestamp': '2024-01-01T00:00:00Z' },
        { ...signed(NOW), 'x-acme-timestamp': '1.5' },
      ]) {
        expect(reasonOf(() => verifySync(provider(options), request(BODY, headers)))).to.equal(
          'malformed_signature',
        );
      }
    });
  });

  describe('id, type and data', () => {
    const sign = (body: string) => ({ 'x-acme-signature': nodeHmac(body) });

    it('takes the id from idPath, and accepts a number there', () => {
      expect(verifySync(provider({ idPath: 'event.id' }), request(BODY, sign(BODY))).id).to.equal(
        'evt_42',
      );
      const body = JSON.stringify({ seq: 1234, kind: 'ping' });
      const verifier = provider({ idPath: 'seq', typePath: 'kind' });
      expect(verifySync(verifier, request(body, sign(body))).id).to.equal('1234');
    });

    it('takes the id from idHeader when idPath is unset or finds nothing, and prefers idPath', () => {
      const headers = { ...sign(BODY), 'x-acme-delivery': 'dlv_9' };
      expect(
        verifySync(provider({ idHeader: 'x-acme-delivery' }), request(BODY, headers)).id,
      ).to.equal('dlv_9');
      const both = provider({ idHeader: 'x-acme-delivery', idPath: 'event.id' });
      expect(verifySync(both, request(BODY, headers)).id).to.equal('evt_42');
      const missingPath = provider({ idHeader: 'x-acme-delivery', idPath: 'event.nope' });
      expect(verifySync(missingPath, request(BODY, headers)).id).to.equal('dlv_9');
    });

    it('derives the id as the SHA-256 of the body when nothing yields one', () => {
      const expected = createHash('sha256').update(BODY).digest('hex');
      expect(verifySync(provider(), request(BODY, sign(BODY))).id).to.equal(expected);
      const verifier = provider({ idPath: 'event.missing', idHeader: 'x-acme-delivery' });
      expect(verifySync(verifier, request(BODY, sign(BODY))).id).to.equal(expected);
    });

    it('signs {id} from the id header, and needs that header then', () => {
      const options = {
        idHeader: 'webhook-id',
        timestampHeader: 'webhook-timestamp',
        signedContent: '{id}.{timestamp}.{body}',
      };
      const headers = {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(NOW),
        'x-acme-signature': nodeHmac(`msg_1.${NOW}.${BODY}`),
      };
      expect(verifySync(provider(options), request(BODY, headers)).id).to.equal('msg_1');
      const { headers: signed } = signWebhook('hmac', {
        payload: BODY,
        secret: SECRET,
        id: 'msg_1',
        timestamp: NOW,
        options: { header: 'x-acme-signature', ...options },
      });
      expect(signed).to.include(headers);
      const { 'webhook-id': _, ...withoutId } = headers;
      expect(reasonOf(() => verifySync(provider(options), request(BODY, withoutId)))).to.equal(
        'malformed_signature',
      );
      const rewritten = { ...headers, 'webhook-id': 'msg_2' };
      expect(reasonOf(() => verifySync(provider(options), request(BODY, rewritten)))).to.equal(
        'no_matching_signature',
      );
    });

    it('signs {url} as the webhook URL by default, or the url option', () => {
      const byDefault = provider({ signedContent: '{url}{body}' });
      const headers = { 'x-acme-signature': nodeHmac(`${WEBHOOK_URL}${BODY}`) };
      expect(verifySync(byDefault, request(BODY, headers)).type).to.equal('payment.succeeded');
      const registered = 'https://hooks.example.com/acme';
      const explicit = provider({ signedContent: '{url}{body}', url: registered });
      const other = { 'x-acme-signature': nodeHmac(`${registered}${BODY}`) };
      expect(verifySync(explicit, request(BODY, other)).type).to.equal('payment.succeeded');
      const { headers: signed } = signWebhook('hmac', {
        payload: BODY,
        secret: SECRET,
        url: registered,
        options: { header: 'x-acme-signature', signedContent: '{url}{body}' },
      });
      expect(signed['x-acme-signature']).to.equal(other['x-acme-signature']);
    });

    it('reads the type from typePath, else from typeHeader, and refuses a webhook with neither', () => {
      const headers = { ...sign(BODY), 'x-acme-topic': 'from.header' };
      expect(
        verifySync(provider({ typeHeader: 'x-acme-topic' }), request(BODY, headers)).type,
      ).to.equal('payment.succeeded');
      const headerOnly = hmac(
        { secret: SECRET, header: 'x-acme-signature', typeHeader: 'x-acme-topic' },
        context,
      );
      expect(verifySync(headerOnly, request(BODY, headers)).type).to.equal('from.header');
      const fallback = provider({ typePath: 'event.kind', typeHeader: 'x-acme-topic' });
      expect(verifySync(fallback, request(BODY, headers)).type).to.equal('from.header');
      expect(reasonOf(() => verifySync(headerOnly, request(BODY, sign(BODY))))).to.equal(
        'invalid_payload',
      );
      expect(
        reasonOf(() => verifySync(provider({ typePath: 'event.kind' }), request(BODY, sign(BODY)))),
      ).to.equal('invalid_payload');
    });

    it('reads only own properties along a path', () => {
      const body = JSON.stringify({ items: [{ kind: 'first' }] });
      expect(
        verifySync(provider({ typePath: 'items.0.kind' }), request(body, sign(body))).type,
      ).to.equal('first');
      expect(
        reasonOf(() =>
          verifySync(provider({ typePath: 'constructor.name' }), request(body, sign(body))),
        ),
      ).to.equal('invalid_payload');
    });

    it('gives receivers the whole body by default, or what dataPath points at (null when absent)', () => {
      expect(verifySync(provider(), request(BODY, sign(BODY))).data).to.deep.equal(event);
      const verifier = provider({ dataPath: 'data.object' });
      expect(verifySync(verifier, request(BODY, sign(BODY))).data).to.deep.equal(event.data.object);
      expect(verifier.dataOf?.(event)).to.deep.equal(event.data.object);
      expect(
        verifySync(provider({ dataPath: 'data.nothing' }), request(BODY, sign(BODY))).data,
      ).to.equal(null);
    });

    it('rejects a signed body that is not a JSON object with invalid_payload', () => {
      for (const body of ['not json', '[1]', '"text"']) {
        expect(reasonOf(() => verifySync(provider(), request(body, sign(body))))).to.equal(
          'invalid_payload',
        );
      }
    });

    it('rejects an id or type too long to store with invalid_payload', () => {
      const body = JSON.stringify({ id: 'x'.repeat(256), event: { name: 'ok' } });
      expect(
        reasonOf(() => verifySync(provider({ idPath: 'id' }), request(body, sign(body)))),
      ).to.equal('invalid_payload');
      const longType = JSON.stringify({ event: { name: 't'.repeat(256) } });
      expect(reasonOf(() => verifySync(provider(), request(longType, sign(longType))))).to.equal(
        'invalid_payload',
      );
    });
  });

  describe('construction', () => {
    const cases: [string, Partial<HmacOptions> | Record<string, unknown>, RegExp][] = [
      ['no secret', { secret: [] }, /variants\.acme\.secret: is required/],
      ['no header', { header: undefined }, /variants\.acme\.header: must be an HTTP header name/],
      ['a header with a space', { header: 'x signature' }, /variants\.acme\.header/],
      ['sha1', { algorithm: 'sha1' }, /variants\.acme\.algorithm: must be 'sha256' or 'sha512'/],
      ['base32', { encoding: 'base32' }, /variants\.acme\.encoding: must be 'hex' or 'base64'/],
      ['an empty prefix', { prefix: '' }, /variants\.acme\.prefix/],
      [
        'tolerance without a timestamp header',
        { tolerance: 60 },
        /variants\.acme\.tolerance: needs timestampHeader/,
      ],
      [
        'a negative tolerance',
        { timestampHeader: 'x-ts', tolerance: -1 },
        /variants\.acme\.tolerance: must be a non-negative/,
      ],
      [
        'an unknown placeholder',
        { signedContent: '{nonce}.{body}' },
        /variants\.acme\.signedContent: has an unknown placeholder \{nonce\}/,
      ],
      [
        'a template without the body',
        { signedContent: 'static' },
        /variants\.acme\.signedContent: must contain \{body\}/,
      ],
      [
        'an empty template',
        { signedContent: '' },
        /variants\.acme\.signedContent: must be a non-empty template/,
      ],
      [
        '{timestamp} without its header',
        { signedContent: '{timestamp}.{body}' },
        /signedContent: uses \{timestamp\}, which needs timestampHeader/,
      ],
      [
        'a timestamp header left unsigned',
        { timestampHeader: 'x-ts', signedContent: '{body}' },
        /signedContent: must contain \{timestamp\}/,
      ],
      [
        '{id} without its header',
        { signedContent: '{id}.{body}' },
        /signedContent: uses \{id\}, which needs idHeader/,
      ],
      [
        'neither typePath nor typeHeader',
        { typePath: undefined },
        /variants\.acme\.typePath: is required \(or typeHeader\)/,
      ],
      [
        'an empty path segment',
        { idPath: 'event..id' },
        /variants\.acme\.idPath: must be a dot path/,
      ],
      [
        'a dataPath that is not a string',
        { dataPath: 3 },
        /variants\.acme\.dataPath: must be a dot path/,
      ],
      [
        'a url without {url}',
        { url: 'https://x.test/' },
        /variants\.acme\.url: is only used by a signedContent containing \{url\}/,
      ],
      [
        'a relative url',
        { signedContent: '{url}{body}', url: '/hooks' },
        /variants\.acme\.url: must be the absolute/,
      ],
    ];
    for (const [label, options, message] of cases) {
      it(`refuses ${label}, naming the option`, () => {
        expect(() => provider(options as Partial<HmacOptions>)).to.throw(
          ConfigurationError,
          message,
        );
      });
    }

    it('refuses {url} when webhookUrl() has no host to build it from', () => {
      const noHost: ProviderContext = {
        variant: 'acme',
        webhookUrl: () => {
          throw new ConfigurationError('host', 'webhookUrl() needs the public host');
        },
      };
      expect(() =>
        hmac(
          { secret: SECRET, header: 'x-sig', typePath: 'type', signedContent: '{url}{body}' },
          noHost,
        ),
      ).to.throw(ConfigurationError, /variants\.acme\.url: is needed by the \{url\}/);
    });

    it('has a test signer that refuses incomplete options', () => {
      const sign =
        (options: Record<string, unknown>, extra = {}) =>
        () =>
          signWebhook('hmac', { payload: BODY, secret: SECRET, options, ...extra });
      expect(sign({})).to.throw(TypeError, /options\.header/);
      expect(sign({ header: 'x-sig', algorithm: 'md5' })).to.throw(TypeError, /algorithm/);
      expect(sign({ header: 'x-sig', signedContent: '{foo}{body}' })).to.throw(
        TypeError,
        /unknown placeholder/,
      );
      expect(sign({ header: 'x-sig', idHeader: 'x-id', signedContent: '{id}.{body}' })).to.throw(
        TypeError,
        /pass id/,
      );
      expect(sign({ header: 'x-sig', signedContent: '{url}{body}' })).to.throw(
        TypeError,
        /pass url/,
      );
    });
  });
});

for (const dialect of DIALECTS)
  describe(`hmac provider over HTTP on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;
    const received: { variant: string; type: string; data: unknown }[] = [];
    // A GitHub-shaped gateway (body-only signature with a prefix, type and id in headers) and a
    // Stripe-shaped one (signed timestamp, id and type in the body, data nested).
    const github = {
      header: 'x-hub-signature-256',
      prefix: 'sha256=',
      typeHeader: 'x-github-event',
      idHeader: 'x-github-delivery',
    };
    const acme = {
      header: 'x-acme-signature',
      algorithm: 'sha512' as const,
      encoding: 'base64' as const,
      timestampHeader: 'x-acme-timestamp',
      idPath: 'event.id',
      typePath: 'event.name',
      dataPath: 'data.object',
    };

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('*', async function record({ variant, type, data }) {
        received.push({ variant, type, data });
      });
      pay = payments({
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: {
          github: { provider: 'hmac', secret: SECRET, ...github },
          acme: { provider: 'hmac', secret: SECRET, ...acme },
        },
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    });

    afterEach(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
    });

    const url = (variant: string) => `${server.origin}/payments/process/${variant}/`;
    const signAcme = (payload: unknown = event, timestamp?: number) =>
      signWebhook('hmac', {
        payload,
        secret: SECRET,
        options: acme,
        ...(timestamp === undefined ? {} : { timestamp }),
      });

    it('stores a GitHub-shaped webhook with its delivery id and runs the receiver with the body', async () => {
      const payload = { action: 'opened', issue: { number: 1347 } };
      const { body, headers } = signWebhook('hmac', {
        payload,
        secret: SECRET,
        id: 'd-1',
        options: github,
      });
      const res = await post(url('github'), body, { ...headers, 'x-github-event': 'issues' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: 'd-1', duplicate: false });
      expect(received).to.deep.equal([{ variant: 'github', type: 'issues', data: payload }]);
      const rows = await pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'github',
        provider: 'hmac',
        event_id: 'd-1',
        type: 'issues',
        status: 'processed',
      });
    });

    it('stores a timestamped webhook with the id, type and data its paths point at', async () => {
      const { body, headers } = signAcme();
      const res = await post(url('acme'), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: 'evt_42', duplicate: false });
      expect(received).to.deep.equal([
        { variant: 'acme', type: 'payment.succeeded', data: event.data.object },
      ]);
      const rows = await pay.knex('payments_events').select();
      expect(rows[0]).to.include({
        variant: 'acme',
        provider: 'hmac',
        event_id: 'evt_42',
        type: 'payment.succeeded',
      });
      expect(JSON.parse(rows[0].payload)).to.deep.equal(event);
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const first = signAcme();
      await post(url('acme'), first.body, first.headers);
      const again = signAcme(event, Math.floor(Date.now() / 1000) + 1);
      const res = await post(url('acme'), again.body, again.headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: 'evt_42', duplicate: true });
      expect(received).to.have.length(1);
      expect(await count(pay.knex, 'payments_events')).to.equal(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const now = Math.floor(Date.now() / 1000);
      const good = signAcme();
      const cases: [string, string, Record<string, string>][] = [
        ['missing_signature', good.body, { 'x-acme-timestamp': String(now) }],
        ['malformed_signature', good.body, { ...good.headers, 'x-acme-signature': 'not base64!' }],
        [
          'no_matching_signature',
          good.body,
          signWebhook('hmac', { payload: event, secret: 'wrong', options: acme }).headers,
        ],
        ['timestamp_out_of_tolerance', good.body, signAcme(event, now - 1000).headers],
        ['invalid_payload', 'nope', signAcme('nope').headers],
      ];
      for (const [reason, body, headers] of cases) {
        const res = await post(url('acme'), body, {
          'content-type': 'application/json',
          ...headers,
        });
        expect(res.status, reason).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(SECRET);
      }
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });

    it('refuses a mistyped option and a bad option value at construction, naming them', () => {
      const build = (variant: Record<string, unknown>) => () =>
        payments({
          host: 'shop.test',
          database: ':memory:',
          registry: createRegistry(),
          variants: {
            gw: { provider: 'hmac', secret: SECRET, header: 'x-sig', ...variant } as never,
          },
        });
      expect(build({ typePath: 'type', signature: 'x-sig' })).to.throw(
        ConfigurationError,
        /variants\.gw\.signature: unknown option for the hmac provider/,
      );
      expect(build({})).to.throw(ConfigurationError, /variants\.gw\.typePath: is required/);
    });
  });
