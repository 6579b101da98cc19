import { expect } from 'chai';
import { createRegistry, payments, SignatureVerificationError } from '../../../src/index.js';
import { trustedCertUrl } from '../../../src/providers/paypal/certificates.js';
import { paypalSignedContent } from '../../../src/providers/paypal/scheme.js';
import type { PayPalSignals } from '../../../src/providers/paypal/signals.js';
import { type PayPalOptions, paypal } from '../../../src/providers/paypal/verify.js';
import { ProviderUnavailableError } from '../../../src/providers/shared/api-errors.js';
import type { ApiHttpOptions } from '../../../src/providers/shared/http.js';
import type { Provider, VerifiedEvent, WebhookRequest } from '../../../src/providers/types.js';
import {
  type PayPalTestCertificate,
  paypalTestCertificate,
  samplePayload,
  signWebhook,
} from '../../../src/testing/index.js';
import { PayPalApiFake } from '../../fakes/paypal-api.js';
import { fakeForEach } from '../../fakes/server.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import {
  configurationErrorOf,
  recordingLogger,
  rejection,
  servedForEach,
  webhookRequest,
} from '../../helpers/provider.js';
import { post, tempDir } from '../../helpers/server.js';

const WEBHOOK_ID = '1JE4291016473214C';
const CERT_PATH = '/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77';
const context = {
  variant: 'paypal',
  webhookUrl: () => 'https://shop.test/payments/process/paypal/',
};
const noWait: ApiHttpOptions = { sleep: async () => {} };

/** A provider whose verify() always returns a promise (PayPal's does). */
function asyncOf(provider: Provider): { verify(request: WebhookRequest): Promise<VerifiedEvent> } {
  return {
    async verify(request) {
      // PayPal returns one event; Provider.verify may return several (Verified).
      const verified = await provider.verify(request);
      if (Array.isArray(verified)) throw new Error('expected one PayPal event');
      return verified as VerifiedEvent;
    },
  };
}

const DAY = 86_400_000;
// Keys are made when the tests start, not when mocha loads the file: loading stays quick for the
// files whose tests run later.
let KEY: PayPalTestCertificate;
let OTHER: PayPalTestCertificate;
let EXPIRED: PayPalTestCertificate;
let FUTURE: PayPalTestCertificate;
let FORGED_NAME: PayPalTestCertificate;
function makeKeys(): void {
  if (KEY !== undefined) return; // made once, for both describes
  KEY = paypalTestCertificate();
  OTHER = paypalTestCertificate();
  EXPIRED = paypalTestCertificate({
    privateKey: KEY.privateKey,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  FUTURE = paypalTestCertificate({
    privateKey: KEY.privateKey,
    notBefore: new Date(Date.now() + DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
  });
  FORGED_NAME = paypalTestCertificate({ privateKey: KEY.privateKey, commonName: 'evil.example' });
}

/** Signs `payload` as PayPal does, with `KEY` unless told, the certificate at `certUrl`. */
function signed(
  payload: unknown,
  certUrl: string,
  options: { webhookId?: string; privateKey?: string; timestamp?: number } = {},
) {
  return signWebhook('paypal', {
    payload,
    secret: options.webhookId ?? WEBHOOK_ID,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    options: { privateKey: options.privateKey ?? KEY.privateKey, certUrl },
  });
}

describe('paypal provider', () => {
  before(makeKeys);
  const fake = fakeForEach(() => new PayPalApiFake().addCertificate(CERT_PATH, KEY.certificate));
  const certUrl = () => fake.current.url(CERT_PATH);

  /** The provider, its verify() as a promise; `mode` is the variant's common option. */
  function provider(
    options: Partial<PayPalOptions> = {},
    http: ApiHttpOptions = noWait,
    mode: 'live' | 'test' | 'any' = 'live',
  ): { verify(request: WebhookRequest): Promise<VerifiedEvent> } {
    return asyncOf(
      paypal(
        { webhookId: WEBHOOK_ID, apiBase: fake.current.origin, ...options },
        { ...context, http, mode },
      ),
    );
  }

  async function reasonOf(promise: Promise<unknown>): Promise<string> {
    const error = await rejection(promise);
    expect(error).to.be.instanceOf(SignatureVerificationError);
    return (error as SignatureVerificationError).reason;
  }

  describe('certificate verification', () => {
    it('accepts a signed event: PayPal id, event_type, resource as data, create_time, mode', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const { body, headers } = signed(payload, certUrl());
      const event = await provider().verify(webhookRequest(body, headers));
      expect(event).to.deep.include({
        id: payload.id,
        type: 'PAYMENT.CAPTURE.COMPLETED',
        data: payload.resource,
        payload,
        livemode: true,
      });
      expect(event.createdAt?.toISOString()).to.equal(payload.create_time);
      // On apiBase (a test fake) the host says nothing: the variant's mode does, if it is not 'any'.
      const sandbox = await provider({}, noWait, 'test').verify(webhookRequest(body, headers));
      expect(sandbox.livemode).to.equal(false);
      const any = await provider({}, noWait, 'any').verify(webhookRequest(body, headers));
      expect(any).not.to.have.property('livemode');
    });

    it('signs what PayPal documents: id|time|webhook id|unsigned decimal CRC-32 of the body', () => {
      const content = paypalSignedContent(
        {
          transmissionId: '69cd13f0-d67a-11e5-baa3-778b53f4ae55',
          transmissionTime: '2016-02-18T20:01:35Z',
          webhookId: WEBHOOK_ID,
        },
        '123456789',
      );
      expect(content).to.equal(
        `69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|${WEBHOOK_ID}|3421780262`,
      );
    });

    it('accepts any of several webhook ids, and the simulator id WEBHOOK_ID', async () => {
      const payload = samplePayload('paypal', 'CHECKOUT.ORDER.APPROVED');
      const verifier = provider({ webhookId: [WEBHOOK_ID, 'WEBHOOK_ID'] });
      for (const webhookId of [WEBHOOK_ID, 'WEBHOOK_ID']) {
        const { body, headers } = signed(payload, certUrl(), { webhookId });
        expect((await verifier.verify(webhookRequest(body, headers))).id).to.equal(payload.id);
      }
    });

    it('refuses another webhook id, a changed body and another key with no_matching_signature', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const good = signed(payload, certUrl());
      const cases = [
        signed(payload, certUrl(), { webhookId: 'OTHERWEBHOOK1' }),
        { body: good.body.replace('10.99', '99.99'), headers: good.headers },
        { body: `${good.body} `, headers: good.headers },
        signed(payload, certUrl(), { privateKey: OTHER.privateKey }),
      ];
      for (const { body, headers } of cases) {
        expect(await reasonOf(provider().verify(webhookRequest(body, headers)))).to.equal(
          'no_matching_signature',
        );
      }
    });

    it('names the missing headers, and refuses malformed ones before any download', async () => {
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.DENIED'),
        certUrl(),
      );
      const without = { ...headers } as Record<string, string>;
      delete without['paypal-transmission-sig'];
      delete without['paypal-cert-url'];
      const error = await rejection(provider().verify(webhookRequest(body, without)));
      expect(error).to.include({ reason: 'missing_signature' });
      expect(error.message).to.contain('paypal-transmission-sig, paypal-cert-url headers');
      const malformed: Record<string, string>[] = [
        { 'paypal-auth-algo': 'SHA1withRSA' },
        { 'paypal-transmission-time': 'yesterday' },
        { 'paypal-transmission-sig': 'not base64!' },
        { 'paypal-cert-url': 'not a url' },
      ];
      for (const change of malformed) {
        const reason = await reasonOf(
          provider().verify(webhookRequest(body, { ...headers, ...change })),
        );
        expect(reason, JSON.stringify(change)).to.equal('malformed_signature');
      }
      expect(fake.current.requests).to.deep.equal([]);
    });

    it('trusts certificates only on PayPal’s hosts of the mode, over https, under the certs path', () => {
      type Env = 'live' | 'sandbox';
      const trusted = (url: string, mode: Env | 'any', base?: string) =>
        trustedCertUrl(
          url,
          mode === 'any' ? ['live', 'sandbox'] : [mode],
          base === undefined ? undefined : new URL(base),
        );
      const ok = (url: string, mode: Env | 'any', base?: string) =>
        trusted(url, mode, base).url.href;
      const refused = (url: string, mode: Env | 'any', base?: string) => {
        try {
          ok(url, mode, base);
        } catch (error) {
          expect(error).to.be.instanceOf(SignatureVerificationError);
          return (error as Error).message;
        }
        throw new Error(`accepted ${url}`);
      };
      const path = '/v1/notifications/certs/CERT-360caa42-fca2a594-5edc0ebc';
      expect(ok(`https://api.paypal.com${path}`, 'live')).to.equal(`https://api.paypal.com${path}`);
      expect(ok(`https://api-m.paypal.com${path}`, 'live')).to.be.a('string');
      expect(ok(`https://api.sandbox.paypal.com${path}`, 'sandbox')).to.be.a('string');
      expect(ok(`https://api-m.sandbox.paypal.com${path}`, 'sandbox')).to.be.a('string');
      expect(refused(`https://api.sandbox.paypal.com${path}`, 'live')).to.contain(
        "PayPal's sandbox host, and this variant's mode accepts live only",
      );
      expect(refused(`https://api.paypal.com${path}`, 'sandbox')).to.contain('live host');
      // mode 'any' trusts both, and the host tells the event's mode.
      expect(trusted(`https://api.paypal.com${path}`, 'any').livemode).to.equal(true);
      expect(trusted(`https://api-m.sandbox.paypal.com${path}`, 'any').livemode).to.equal(false);
      expect(trusted(`http://127.0.0.1:9${path}`, 'any', 'http://127.0.0.1:9').livemode).to.equal(
        undefined,
      );
      for (const url of [
        `http://api.paypal.com${path}`,
        `https://api.paypal.com:8443${path}`,
        `https://user:pw@api.paypal.com${path}`,
        `https://api.paypal.com${path}?x=1`,
        `https://api.paypal.com/v1/oauth2/token`,
        `https://api.paypal.com.evil.example${path}`,
        `https://evil.example${path}`,
        `https://paypal.com${path}`,
      ]) {
        expect(refused(url, 'live'), url).to.contain("not one of PayPal's certificate URLs");
      }
      // apiBase's origin (a proxy, a test fake), under its own path prefix.
      expect(ok(`http://127.0.0.1:9${path}`, 'live', 'http://127.0.0.1:9')).to.be.a('string');
      expect(ok(`https://proxy.test/pp${path}`, 'live', 'https://proxy.test/pp/')).to.be.a(
        'string',
      );
      expect(refused(`http://127.0.0.1:10${path}`, 'live', 'http://127.0.0.1:9')).to.be.a('string');
      expect(refused(`http://127.0.0.1:9${path}`, 'live')).to.be.a('string');
    });

    it('refuses a certificate URL outside the allowed hosts without downloading it', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const elsewhere = `http://localhost:${new URL(fake.current.origin).port}${CERT_PATH}`;
      const { body, headers } = signed(payload, elsewhere);
      expect(await reasonOf(provider().verify(webhookRequest(body, headers)))).to.equal(
        'no_matching_signature',
      );
      expect(fake.current.requests).to.deep.equal([]);
    });

    it('downloads a certificate once and keeps it for later webhooks', async () => {
      const verifier = provider();
      for (let i = 0; i < 3; i++) {
        const { body, headers } = signed(
          samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
          certUrl(),
        );
        await verifier.verify(webhookRequest(body, headers));
      }
      expect(fake.current.seen('/v1/notifications/certs/')).to.have.length(1);
      expect(fake.current.requests[0]?.headers.authorization).to.equal(undefined);
    });

    it('keeps a bounded number of certificates, dropping the least recently used', async () => {
      const verifier = provider();
      const paths = Array.from({ length: 17 }, (_, i) => `/v1/notifications/certs/CERT-${i}`);
      for (const path of paths) fake.current.addCertificate(path, KEY.certificate);
      for (const path of [...paths, paths[16] as string, paths[0] as string]) {
        const { body, headers } = signed(
          samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
          fake.current.url(path),
        );
        await verifier.verify(webhookRequest(body, headers));
      }
      // 17 downloads, the 17th evicted the first, which was downloaded again; 16 was kept.
      expect(fake.current.seen('/v1/notifications/certs/').map((r) => r.path)).to.deep.equal([
        ...paths,
        paths[0],
      ]);
    });

    it('refuses an expired, a not yet valid and a wrongly named certificate', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      for (const [name, cert, says] of [
        ['expired', EXPIRED, 'expired'],
        ['future', FUTURE, 'not yet valid'],
        ['named', FORGED_NAME, 'messageverificationcerts.paypal.com'],
      ] as const) {
        const path = `/v1/notifications/certs/CERT-${name}`;
        fake.current.addCertificate(path, cert.certificate);
        const { body, headers } = signed(payload, fake.current.url(path));
        const error = await rejection(provider().verify(webhookRequest(body, headers)));
        expect(error, name).to.include({ reason: 'no_matching_signature' });
        expect(error.message, name).to.contain(says);
      }
    });

    it('answers a certificate PayPal does not have (404) as no_matching_signature', async () => {
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
        fake.current.url('/v1/notifications/certs/CERT-unknown'),
      );
      const error = await rejection(provider().verify(webhookRequest(body, headers)));
      expect(error).to.include({ reason: 'no_matching_signature', status: 400 });
    });

    it('retries a 429 after its Retry-After and a 500, then verifies', async () => {
      const waits: number[] = [];
      fake.current.script(
        CERT_PATH,
        { status: 429, headers: { 'retry-after': '2' }, body: { name: 'RATE_LIMIT_REACHED' } },
        { status: 500, body: { name: 'INTERNAL_SERVER_ERROR' } },
      );
      const verifier = provider(
        {},
        { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
      );
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
        certUrl(),
      );
      expect((await verifier.verify(webhookRequest(body, headers))).type).to.equal(
        'PAYMENT.CAPTURE.COMPLETED',
      );
      expect(waits).to.deep.equal([2000, 500]);
      expect(fake.current.seen(CERT_PATH)).to.have.length(3);
    });

    it('answers 503 provider_unavailable when the certificate cannot be had, and tries again next time', async () => {
      const { logger, lines } = recordingLogger();
      const verifier = asyncOf(
        paypal(
          { webhookId: WEBHOOK_ID, apiBase: fake.current.origin },
          { ...context, logger, http: { ...noWait, maxRetries: 1, timeoutMs: 300 } },
        ),
      );
      const request = () => {
        const { body, headers } = signed(
          samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
          certUrl(),
        );
        return webhookRequest(body, headers);
      };
      fake.current.script(CERT_PATH, { status: 500 }, { status: 500 });
      const failed = await rejection(verifier.verify(request()));
      expect(failed).to.be.instanceOf(ProviderUnavailableError);
      expect(failed).to.include({
        status: 503,
        code: 'provider_unavailable',
        reason: 'server_error',
      });
      fake.current.script(CERT_PATH, 'hang', 'hang');
      expect(await rejection(verifier.verify(request()))).to.include({ reason: 'timeout' });
      fake.current.script(CERT_PATH, { status: 200, body: 'not a certificate' });
      expect(await rejection(verifier.verify(request()))).to.include({
        reason: 'invalid_response',
      });
      expect((await verifier.verify(request())).type).to.equal('PAYMENT.CAPTURE.COMPLETED');
      expect(lines.map((line) => [line.level, line.fields.reason])).to.deep.include.members([
        ['warn', 'server_error'],
        ['warn', 'timeout'],
      ]);
    });

    it('checks the transmission time after the signature, either way, unless tolerance is 0', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const now = Math.floor(Date.now() / 1000);
      for (const timestamp of [now - 301, now + 301]) {
        const { body, headers } = signed(payload, certUrl(), { timestamp });
        expect(await reasonOf(provider().verify(webhookRequest(body, headers)))).to.equal(
          'timestamp_out_of_tolerance',
        );
        expect(
          (await provider({ tolerance: 0 }).verify(webhookRequest(body, headers))).id,
        ).to.equal(payload.id);
        // A forged old request is refused for its signature, not its time.
        const forged = signed(payload, certUrl(), { timestamp, privateKey: OTHER.privateKey });
        expect(
          await reasonOf(provider().verify(webhookRequest(forged.body, forged.headers))),
        ).to.equal('no_matching_signature');
      }
    });

    it('refuses a signed body that is not a PayPal event with invalid_payload', async () => {
      for (const body of [
        'nope',
        '[]',
        '{"event_type":"X","resource":{}}',
        '{"id":"WH-1","event_type":"X"}',
      ]) {
        const { headers } = signed(body, certUrl());
        expect(await reasonOf(provider().verify(webhookRequest(body, headers))), body).to.equal(
          'invalid_payload',
        );
      }
    });
  });

  describe('api verification', () => {
    const api = (extra: Partial<PayPalOptions> = {}, http: ApiHttpOptions = noWait) =>
      provider(
        {
          verification: 'api',
          clientId: fake.current.clientId,
          clientSecret: fake.current.clientSecret,
          ...extra,
        },
        http,
      );

    it('asks verify-webhook-signature with a cached token, sending the event byte for byte', async () => {
      const verifier = api();
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      // Spacing JSON.stringify would not reproduce: re-serialising would break PayPal's CRC.
      const body = JSON.stringify(payload, null, 2);
      const { headers } = signed(body, certUrl());
      expect((await verifier.verify(webhookRequest(body, headers))).id).to.equal(payload.id);
      const again = signed(samplePayload('paypal', 'CHECKOUT.ORDER.APPROVED'), certUrl());
      await verifier.verify(webhookRequest(again.body, again.headers));
      expect(fake.current.seen('/v1/oauth2/token')).to.have.length(1);
      const asked = fake.current.seen('/v1/notifications/verify-webhook-signature');
      expect(asked).to.have.length(2);
      expect(JSON.parse(asked[0]?.body as string)).to.deep.equal({
        auth_algo: 'SHA256withRSA',
        cert_url: certUrl(),
        transmission_id: headers['paypal-transmission-id'],
        transmission_sig: headers['paypal-transmission-sig'],
        transmission_time: headers['paypal-transmission-time'],
        webhook_id: WEBHOOK_ID,
        webhook_event: payload,
      });
      expect(asked[0]?.body).to.contain(body);
      expect(fake.current.seen('/v1/notifications/certs/')).to.deep.equal([]);
    });

    it('refuses what PayPal reports as FAILURE with no_matching_signature', async () => {
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
        certUrl(),
        {
          webhookId: 'OTHERWEBHOOK1',
        },
      );
      expect(await reasonOf(api().verify(webhookRequest(body, headers)))).to.equal(
        'no_matching_signature',
      );
    });

    it('renews the token when it expires, and once when PayPal refuses it', async () => {
      let now = Date.now();
      const verifier = api({}, { ...noWait, now: () => now });
      const send = async () => {
        const { body, headers } = signed(
          samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
          certUrl(),
        );
        return verifier.verify(webhookRequest(body, headers));
      };
      await send();
      now += 32_400_000 - 30_000; // within a minute of expiry
      await send();
      fake.current.revokeTokens();
      await send();
      expect(fake.current.seen('/v1/oauth2/token')).to.have.length(3);
    });

    it('answers 503 on refused credentials (logged as an error, no secret) and on API failures', async () => {
      const { logger, lines } = recordingLogger();
      const verifier = asyncOf(
        paypal(
          {
            webhookId: WEBHOOK_ID,
            apiBase: fake.current.origin,
            verification: 'api',
            clientId: fake.current.clientId,
            clientSecret: 'wrong-secret',
          },
          { ...context, logger, http: noWait },
        ),
      );
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
        certUrl(),
      );
      const refused = await rejection(verifier.verify(webhookRequest(body, headers)));
      expect(refused).to.include({ status: 503, reason: 'unauthorized' });
      expect(lines[0]).to.deep.include({ level: 'error' });
      expect(JSON.stringify(lines) + refused.message).not.to.contain('wrong-secret');

      fake.current.script(
        '/v1/notifications/verify-webhook-signature',
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 429, headers: { 'retry-after': '1' } },
      );
      const limited = await rejection(api().verify(webhookRequest(body, headers)));
      expect(limited).to.include({ status: 503, reason: 'rate_limited', retryAfterMs: 1000 });
      fake.current.script('/v1/oauth2/token', { status: 500 }, { status: 500 }, { status: 500 });
      expect(await rejection(api().verify(webhookRequest(body, headers)))).to.include({
        reason: 'server_error',
      });
      fake.current.script('/v1/oauth2/token', 'hang');
      const hung = api({}, { ...noWait, maxRetries: 0, timeoutMs: 300 });
      expect(await rejection(hung.verify(webhookRequest(body, headers)))).to.include({
        reason: 'timeout',
      });
    });

    it('refuses a body that is not JSON before asking PayPal', async () => {
      const { headers } = signed('nope', certUrl());
      expect(await reasonOf(api().verify(webhookRequest('nope', headers)))).to.equal(
        'invalid_payload',
      );
      expect(fake.current.requests).to.deep.equal([]);
    });
  });

  describe('configuration', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => {
      tmp = tempDir();
    });
    afterEach(() => tmp.remove());

    const build = (variant: Record<string, unknown>) => () =>
      payments({
        host: 'shop.test',
        database: tmp.file(),
        registry: createRegistry(),
        variants: { pp: { provider: 'paypal', ...variant } as never },
      });

    it('requires a webhookId shaped like one, and names it', () => {
      for (const value of [undefined, '', [], 42, 'has space', 'x'.repeat(51)]) {
        const error = configurationErrorOf(build({ webhookId: value }));
        expect(error.option, String(value)).to.equal('variants.pp.webhookId');
        expect(error.variant).to.equal('pp');
      }
    });

    it('validates mode, verification and tolerance', () => {
      expect(configurationErrorOf(build({ webhookId: WEBHOOK_ID, mode: 'prod' })).option).to.equal(
        'variants.pp.mode',
      );
      // verify-webhook-signature is asked in one environment: the client id's.
      const anyMode = configurationErrorOf(
        build({ webhookId: WEBHOOK_ID, verification: 'api', clientId: 'A', clientSecret: 'E' }),
      );
      expect(anyMode.option).to.equal('variants.pp.mode');
      expect(
        configurationErrorOf(build({ webhookId: WEBHOOK_ID, verification: 'signature' })).option,
      ).to.equal('variants.pp.verification');
      expect(configurationErrorOf(build({ webhookId: WEBHOOK_ID, tolerance: -1 })).option).to.equal(
        'variants.pp.tolerance',
      );
    });

    it("needs clientId and clientSecret for verification: 'api', without echoing them", () => {
      expect(
        configurationErrorOf(build({ webhookId: WEBHOOK_ID, mode: 'live', verification: 'api' }))
          .option,
      ).to.equal('variants.pp.clientId');
      expect(
        configurationErrorOf(
          build({ webhookId: WEBHOOK_ID, mode: 'live', verification: 'api', clientId: 'AbC-123' }),
        ).option,
      ).to.equal('variants.pp.clientSecret');
      const error = configurationErrorOf(
        build({ webhookId: WEBHOOK_ID, clientId: 'AbC', clientSecret: ' s3cret ' }),
      );
      expect(error.option).to.equal('variants.pp.clientSecret');
      expect(error.message).not.to.contain('s3cret');
    });

    it('refuses an unknown option and accepts a full configuration', async () => {
      expect(configurationErrorOf(build({ webhookId: WEBHOOK_ID, secret: 'x' })).option).to.equal(
        'variants.pp.secret',
      );
      const pay = build({
        webhookId: [WEBHOOK_ID, 'WEBHOOK_ID'],
        mode: 'sandbox',
        verification: 'api',
        clientId: 'AbC-123_x',
        clientSecret: 'EFg-456_y',
        tolerance: 600,
      })();
      expect(pay.variants).to.deep.equal(['pp']);
      await pay.close();
    });
  });
});

for (const dialect of DIALECTS)
  describe(`paypal provider over HTTP on ${dialect}`, () => {
    before(makeKeys);
    const received: PayPalSignals['PAYMENT.CAPTURE.COMPLETED'][] = [];
    const fake = fakeForEach(() => new PayPalApiFake().addCertificate(CERT_PATH, KEY.certificate));
    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry<PayPalSignals>();
      registry.receiver('PAYMENT.CAPTURE.COMPLETED', async function recordCapture({ data }) {
        received.push(data);
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: {
          paypal: { provider: 'paypal', webhookId: WEBHOOK_ID, apiBase: fake.current.origin },
        },
      };
    });
    const url = () => served.url('paypal');
    const certUrl = () => fake.current.url(CERT_PATH);

    it('stores a signed event, runs its receiver with the resource and answers 200', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const { body, headers } = signed(payload, certUrl());
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: payload.id, duplicate: false });
      expect(received).to.deep.equal([payload.resource]);
      const rows = await served.pay.knex('payments_events').select();
      expect(rows[0]).to.include({
        variant: 'paypal',
        provider: 'paypal',
        event_id: payload.id,
        type: 'PAYMENT.CAPTURE.COMPLETED',
        status: 'processed',
      });
      expect(JSON.parse(rows[0].payload)).to.deep.equal(payload);
    });

    it('answers a redelivery (a new transmission of the same event) as a duplicate', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const first = signed(payload, certUrl());
      expect((await post(url(), first.body, first.headers)).body.duplicate).to.equal(false);
      const again = signed(payload, certUrl());
      const res = await post(url(), again.body, again.headers);
      expect(res.body).to.deep.equal({ received: true, event: payload.id, duplicate: true });
      expect(received).to.have.length(1);
      expect(fake.current.seen('/v1/notifications/certs/')).to.have.length(1);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const payload = samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED');
      const good = signed(payload, certUrl());
      const cases: [string, string, Record<string, string>][] = [
        ['missing_signature', good.body, {}],
        ['malformed_signature', good.body, { ...good.headers, 'paypal-auth-algo': 'MD5' }],
        ['no_matching_signature', good.body.replace('COMPLETED', 'DENIED'), good.headers],
        ['no_matching_signature', good.body, signed(payload, 'https://evil.example/cert').headers],
        [
          'timestamp_out_of_tolerance',
          good.body,
          signed(payload, certUrl(), { timestamp: Math.floor(Date.now() / 1000) - 3600 }).headers,
        ],
        ['invalid_payload', 'nope', signed('nope', certUrl()).headers],
      ];
      for (const [reason, body, headers] of cases) {
        const res = await post(url(), body, headers);
        expect(res.status, reason).to.equal(400);
        expect(res.body.error, reason).to.include({ code: 'invalid_signature', reason });
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });

    it('answers 503 provider_unavailable while the certificate cannot be downloaded', async () => {
      fake.current.script(CERT_PATH, { status: 503 }, { status: 503 }, { status: 503 });
      const { body, headers } = signed(
        samplePayload('paypal', 'PAYMENT.CAPTURE.COMPLETED'),
        certUrl(),
      );
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(503);
      expect(res.body.error).to.include({ code: 'provider_unavailable' });
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
    });
  });
