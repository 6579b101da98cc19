import { createRequire } from 'node:module';
import braintreeSdk from 'braintree';
import { expect } from 'chai';
import { braintreeHmac, braintreeSignature } from '../../../src/providers/braintree/scheme.js';
import {
  BRAINTREE_DEFAULT_TOLERANCE,
  braintreeEventId,
  braintree as braintreeProvider,
} from '../../../src/providers/braintree/verify.js';
import { parseNotificationXml } from '../../../src/providers/braintree/xml.js';
import { MAX_PAYLOAD_DEPTH } from '../../../src/providers/shared/signature.js';
import type { WebhookRequest } from '../../../src/providers/types.js';
import { notificationXml, samplePayload, signWebhook } from '../../../src/testing/index.js';
import {
  configurationErrorOf,
  reasonOf,
  verifySync,
  webhookRequest,
} from '../../helpers/provider.js';

const PUBLIC_KEY = 'kp4xq2zb7m9w3d6t';
const PRIVATE_KEY = '3f8a1c9e5b7d2f4a6c8e0b1d3f5a7c9e';
const context = {
  variant: 'braintree',
  webhookUrl: () => 'https://shop.test/payments/process/braintree/',
};

const gateway = new braintreeSdk.BraintreeGateway({
  environment: braintreeSdk.Environment.Sandbox,
  merchantId: 'koa_payments_test',
  publicKey: PUBLIC_KEY,
  privateKey: PRIVATE_KEY,
});

// The SDK's own reading of notification XML (xml2js, then convertNodeToObject), for the parser
// cross-check: the same plain object, before the SDK wraps it in its classes.
const require = createRequire(import.meta.url);
const xml2js = require('xml2js') as {
  parseStringPromise(xml: string, options: Record<string, unknown>): Promise<unknown>;
};
const { Util } = require('braintree/lib/braintree/util') as {
  Util: { convertNodeToObject(node: unknown): { notification: unknown } };
};

async function sdkReading(xml: string): Promise<unknown> {
  const node = await xml2js.parseStringPromise(xml, {
    attrkey: '@',
    charkey: '#',
    explicitArray: false,
  });
  return Util.convertNodeToObject(node).notification;
}

/** The form a test posts: the fields form-encoded, as Braintree sends them. */
function form(fields: { bt_signature?: string; bt_payload?: string }): string {
  return new URLSearchParams(fields).toString();
}

function request(body: string, options: { receivedAt?: Date } = {}): WebhookRequest {
  return webhookRequest(
    body,
    { 'content-type': 'application/x-www-form-urlencoded' },
    { url: context.webhookUrl(), ...options },
  );
}

/** A payload signed with our key pair, as the form fields. */
function signedFields(payload: string, privateKey = PRIVATE_KEY) {
  return { bt_signature: braintreeSignature(PUBLIC_KEY, privateKey, payload), bt_payload: payload };
}

function base64(xml: string): string {
  return `${Buffer.from(xml, 'utf8').toString('base64')}\n`;
}

function xmlAt(timestamp: string, kind: string, subject: string): string {
  return `<notification><timestamp type="datetime">${timestamp}</timestamp><kind>${kind}</kind><subject>${subject}</subject></notification>`;
}

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('braintree provider', () => {
  const provider = braintreeProvider({ publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY }, context);

  describe('against the official braintree package', () => {
    const kinds = Object.values(braintreeSdk.WebhookNotification.Kind);

    it('accepts the sample notification of every kind the SDK knows, reading it as the SDK does', async () => {
      expect(kinds.length).to.be.greaterThan(30);
      for (const kind of kinds) {
        const sample = await gateway.webhookTesting.sampleNotification(kind, 'subject_id_1');
        const event = verifySync(provider, request(form(sample)));
        expect(event.type, kind).to.equal(kind);
        const xml = Buffer.from(sample.bt_payload, 'base64').toString('utf8');
        expect(event.payload, kind).to.deep.equal(await sdkReading(xml));
        expect(
          JSON.parse(verifySync(provider, request(form(sample))).payloadText ?? ''),
        ).to.deep.equal(event.payload);
      }
    });

    it('keys a sample on its kind, subject id and timestamp, and gives it as data its subject', async () => {
      const sample = await gateway.webhookTesting.sampleNotification(
        'transaction_settled',
        'tx7p3k',
      );
      const event = verifySync(provider, request(form(sample)));
      const notification = event.payload as { timestamp: string; subject: unknown };
      expect(event.id).to.equal(`transaction_settled:tx7p3k:${notification.timestamp}`);
      expect(event.data).to.equal(notification.subject);
      expect((event.data as { transaction: Record<string, unknown> }).transaction).to.include({
        id: 'tx7p3k',
        status: 'settled',
        currencyIsoCode: 'USD',
        amount: '100',
      });
      expect(event.createdAt?.toISOString().replace('.000Z', 'Z')).to.equal(notification.timestamp);
      expect(provider.dataOf?.(event.payload)).to.deep.equal(event.data);
    });

    it('refuses an SDK sample signed with another key pair, as the SDK refuses ours', async () => {
      const other = new braintreeSdk.BraintreeGateway({
        environment: braintreeSdk.Environment.Sandbox,
        merchantId: 'koa_payments_test',
        publicKey: PUBLIC_KEY,
        privateKey: 'another-private-key',
      });
      const sample = await other.webhookTesting.sampleNotification('check', '');
      expect(reasonOf(() => verifySync(provider, request(form(sample))))).to.equal(
        'no_matching_signature',
      );
      const ours = signWebhook('braintree', {
        payload: samplePayload('braintree', 'dispute_opened'),
        secret: PRIVATE_KEY,
        options: { publicKey: PUBLIC_KEY },
      });
      const fields = new URLSearchParams(ours.body);
      let refused: unknown;
      await other.webhookNotification
        .parse(fields.get('bt_signature') as string, fields.get('bt_payload') as string)
        .catch((error: unknown) => {
          refused = error;
        });
      expect(refused).to.have.property('type', 'invalidSignatureError');
    });

    it("signs test webhooks that the SDK's webhookNotification.parse accepts, with the same reading", async () => {
      for (const kind of [
        'transaction_settled',
        'subscription_charged_successfully',
        'dispute_won',
      ]) {
        const payload = samplePayload('braintree', kind);
        const { body, headers } = signWebhook('braintree', {
          payload,
          secret: PRIVATE_KEY,
          options: { publicKey: PUBLIC_KEY },
        });
        expect(headers['content-type']).to.equal('application/x-www-form-urlencoded');
        const fields = new URLSearchParams(body);
        const parsed = await gateway.webhookNotification.parse(
          fields.get('bt_signature') as string,
          fields.get('bt_payload') as string,
        );
        expect(parsed.kind, kind).to.equal(kind);
        expect(parsed.subject, kind).to.deep.equal(JSON.parse(JSON.stringify(payload.subject)));
        expect(verifySync(provider, request(body)).payload, kind).to.deep.equal(
          JSON.parse(JSON.stringify(payload)),
        );
      }
    });

    it('accepts a payload whose trailing newline was stripped, as the SDK does', async () => {
      const sample = await gateway.webhookTesting.sampleNotification(
        'subscription_canceled',
        'sub1',
      );
      expect(sample.bt_payload.endsWith('\n')).to.equal(true);
      const stripped = { ...sample, bt_payload: sample.bt_payload.slice(0, -1) };
      expect(verifySync(provider, request(form(stripped))).type).to.equal('subscription_canceled');
      const parsed = await gateway.webhookNotification.parse(
        stripped.bt_signature,
        stripped.bt_payload,
      );
      expect(parsed.kind).to.equal('subscription_canceled');
      // Only one newline: a second one added is a modified payload, for both.
      const doubled = { ...sample, bt_payload: `${sample.bt_payload}\n` };
      expect(reasonOf(() => verifySync(provider, request(form(doubled))))).to.equal(
        'no_matching_signature',
      );
    });
  });

  it('computes the HMAC-SHA1 keyed by the SHA-1 digest of the private key', () => {
    // Independently: HMAC-SHA1(key = SHA1(private key) as raw bytes, message = the payload).
    const { createHash, createHmac } = require('node:crypto') as typeof import('node:crypto');
    const key = createHash('sha1').update(PRIVATE_KEY).digest();
    const payload = 'PG5vdGlmaWNhdGlvbj4=\n';
    expect(braintreeHmac(PRIVATE_KEY, payload)).to.equal(
      createHmac('sha1', key).update(payload).digest('hex'),
    );
    expect(braintreeSignature(PUBLIC_KEY, PRIVATE_KEY, payload)).to.match(
      new RegExp(`^${PUBLIC_KEY}\\|[0-9a-f]{40}$`),
    );
  });

  describe('bt_signature', () => {
    const payload = base64(xmlAt(nowIso(), 'check', '<check type="boolean">true</check>'));

    it('picks the pair whose public key is ours among several', () => {
      const ours = braintreeSignature(PUBLIC_KEY, PRIVATE_KEY, payload);
      const signature = `otherpublickey1|${'0'.repeat(40)}&${ours}&third|${'f'.repeat(40)}`;
      const event = verifySync(
        provider,
        request(form({ bt_signature: signature, bt_payload: payload })),
      );
      expect(event.type).to.equal('check');
    });

    it('refuses a signature with pairs for other public keys only, or a wrong hmac, as no_matching_signature', () => {
      const theirs = braintreeSignature('otherpublickey1', PRIVATE_KEY, payload);
      expect(
        reasonOf(() =>
          verifySync(provider, request(form({ bt_signature: theirs, bt_payload: payload }))),
        ),
      ).to.equal('no_matching_signature');
      const wrong = braintreeSignature(PUBLIC_KEY, 'not-the-private-key', payload);
      expect(
        reasonOf(() =>
          verifySync(provider, request(form({ bt_signature: wrong, bt_payload: payload }))),
        ),
      ).to.equal('no_matching_signature');
    });

    it('refuses a tampered payload with no_matching_signature', () => {
      const fields = signedFields(payload);
      const tampered = base64(xmlAt(nowIso(), 'check', '<check type="boolean">false</check>'));
      expect(
        reasonOf(() => verifySync(provider, request(form({ ...fields, bt_payload: tampered })))),
      ).to.equal('no_matching_signature');
    });

    it('refuses a signature without a pair, or whose hmac is not 40 hex digits, as malformed_signature', () => {
      const hmac = braintreeHmac(PRIVATE_KEY, payload);
      for (const signature of [
        hmac,
        `${PUBLIC_KEY}|${hmac.slice(1)}`,
        `${PUBLIC_KEY}|${'z'.repeat(40)}`,
      ]) {
        expect(
          reasonOf(() =>
            verifySync(provider, request(form({ bt_signature: signature, bt_payload: payload }))),
          ),
          signature,
        ).to.equal('malformed_signature');
      }
    });

    it('accepts an upper-case hmac', () => {
      const signature = `${PUBLIC_KEY}|${braintreeHmac(PRIVATE_KEY, payload).toUpperCase()}`;
      expect(
        verifySync(provider, request(form({ bt_signature: signature, bt_payload: payload }))).type,
      ).to.equal('check');
    });

    it('refuses a body without bt_signature (a JSON body, an empty one) with missing_signature', () => {
      for (const body of [
        '',
        JSON.stringify(signedFields(payload)),
        form({ bt_payload: payload }),
      ]) {
        expect(
          reasonOf(() => verifySync(provider, request(body))),
          body,
        ).to.equal('missing_signature');
      }
    });

    it('refuses a repeated field as malformed_signature', () => {
      const fields = signedFields(payload);
      const body = `${form(fields)}&${form({ bt_signature: fields.bt_signature })}`;
      expect(reasonOf(() => verifySync(provider, request(body)))).to.equal('malformed_signature');
    });

    it('explains the usual mistakes without echoing a key', () => {
      const wrong = braintreeSignature(PUBLIC_KEY, 'not-the-private-key', payload);
      try {
        verifySync(provider, request(form({ bt_signature: wrong, bt_payload: payload })));
        expect.fail('should have thrown');
      } catch (error) {
        const message = (error as Error).message;
        expect(message).to.match(/raw request body/);
        expect(message).to.match(/API key pair/);
        expect(message).not.to.contain(PRIVATE_KEY);
      }
    });
  });

  describe('bt_payload', () => {
    function reasonFor(xml: string | undefined, raw?: string): string {
      const payload = raw ?? base64(xml as string);
      return reasonOf(() => verifySync(provider, request(form(signedFields(payload)))));
    }

    it('refuses a signed payload that is missing or holds other characters than base64 lines', () => {
      expect(
        reasonOf(() =>
          verifySync(provider, request(form({ bt_signature: `${PUBLIC_KEY}|${'0'.repeat(40)}` }))),
        ),
      ).to.equal('invalid_payload');
      const xml = xmlAt(nowIso(), 'check', '<check type="boolean">true</check>');
      expect(reasonFor(undefined, base64(xml).replace('\n', '\r\n'))).to.equal('invalid_payload');
      expect(reasonFor(undefined, `${base64(xml)} `)).to.equal('invalid_payload');
    });

    it('refuses signed XML that is not a notification, or lacks its kind or a valid timestamp', () => {
      const cases = [
        'not xml at all',
        '<notification><kind>check</kind>',
        `<transaction><id>1</id></transaction>`,
        '<notification></notification>',
        `<notification><timestamp>${nowIso()}</timestamp><subject/></notification>`,
        '<notification><timestamp>yesterday</timestamp><kind>check</kind></notification>',
        '<notification><kind>check</kind></notification>',
        `<notification><timestamp>${nowIso()}</timestamp><kind>check</kind></notification><notification/>`,
      ];
      for (const xml of cases) expect(reasonFor(xml), xml).to.equal('invalid_payload');
    });

    it('expands no entity: a DOCTYPE, an entity bomb and an unknown entity are invalid_payload', () => {
      const bomb = `<?xml version="1.0"?><!DOCTYPE notification [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${xmlAt(nowIso(), '&b;', '')}`;
      const external = `<!DOCTYPE notification [<!ENTITY x SYSTEM "file:///etc/passwd">]>${xmlAt(nowIso(), '&x;', '')}`;
      const unknown = xmlAt(nowIso(), 'check&nbsp;', '');
      for (const xml of [bomb, external, unknown])
        expect(reasonFor(xml), xml).to.equal('invalid_payload');
    });

    it('reads XML escapes and character references', () => {
      const xml = xmlAt(nowIso(), 'check', '<note>a &amp; b &lt;c&gt; &#233;&#x263A;</note>');
      const event = verifySync(provider, request(form(signedFields(base64(xml)))));
      expect(event.data).to.deep.equal({ note: 'a & b <c> é☺' });
    });

    it(`accepts ${MAX_PAYLOAD_DEPTH} levels and refuses one more as invalid_payload, without recursing`, () => {
      const nested = (depth: number) =>
        xmlAt(nowIso(), 'check', `${'<a>'.repeat(depth - 3)}x${'</a>'.repeat(depth - 3)}`);
      // notification > subject > a... : the notification is level 1, subject level 2.
      expect(
        verifySync(provider, request(form(signedFields(base64(nested(MAX_PAYLOAD_DEPTH + 1)))))),
      ).to.have.property('type', 'check');
      expect(reasonFor(nested(MAX_PAYLOAD_DEPTH + 2))).to.equal('invalid_payload');
      expect(reasonFor(nested(100_000))).to.equal('invalid_payload');
    });

    it('keeps elements named after Object.prototype members as data, never touching a prototype', async () => {
      const subject =
        '<__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor><to-string>t</to-string>';
      const xml = xmlAt(nowIso(), 'check', subject);
      const event = verifySync(provider, request(form(signedFields(base64(xml)))));
      const data = event.data as Record<string, unknown>;
      // camelCase turns __proto__ into _Proto__, as the SDK's toCamelCase does.
      expect(data).to.deep.equal({
        _Proto__: { polluted: 'yes' },
        constructor: 'c',
        toString: 't',
      });
      expect(Object.getPrototypeOf(data)).to.equal(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(event.payload).to.deep.equal(await sdkReading(xml));
    });
  });

  describe('the XML reading', () => {
    it('types integers, booleans, nil and arrays, camel-cases names and makes repeated elements arrays', () => {
      const xml = `<notification>
        <kind>x</kind>
        <subject>
          <merchant-account><current-billing-cycle type="integer">3</current-billing-cycle>
          <add_ons type="array"><add-on><id>a</id></add-on><add-on><id>b</id></add-on></add_ons>
          <empty type="array"/><gone nil="true"/><ok type="boolean">true</ok><no type="boolean">false</no>
          <amount>10.00</amount><blank></blank><tag>one</tag><tag>two</tag><tag>three</tag>
          <big type="integer">123456789012345678901</big></merchant-account>
        </subject>
      </notification>`;
      expect(parseNotificationXml(xml).subject).to.deep.equal({
        merchantAccount: {
          currentBillingCycle: 3,
          addOns: [{ id: 'a' }, { id: 'b' }],
          empty: [],
          gone: null,
          ok: true,
          no: false,
          amount: '10.00',
          blank: '',
          tag: ['one', 'two', 'three'],
          big: '123456789012345678901',
        },
      });
    });

    it('builds, with the testing kit, the XML it reads back', () => {
      const notification = samplePayload('braintree', 'subscription_charged_successfully');
      const xml = notificationXml(notification, 1_735_689_600);
      expect(parseNotificationXml(xml)).to.deep.equal(JSON.parse(JSON.stringify(notification)));
      expect(parseNotificationXml(notificationXml({ kind: 'check' }, 1_735_689_600))).to.deep.equal(
        {
          timestamp: '2025-01-01T00:00:00Z',
          kind: 'check',
        },
      );
    });
  });

  describe('the timestamp', () => {
    const at = (iso: string) =>
      form(signedFields(base64(xmlAt(iso, 'check', '<check type="boolean">true</check>'))));

    it(`accepts a notification up to ${BRAINTREE_DEFAULT_TOLERANCE / 3600} hours old or ahead, refusing one older`, () => {
      const receivedAt = new Date('2025-03-04T12:00:00Z');
      expect(
        verifySync(provider, request(at('2025-03-01T12:00:00Z'), { receivedAt })).type,
      ).to.equal('check');
      expect(
        verifySync(provider, request(at('2025-03-07T12:00:00Z'), { receivedAt })).type,
      ).to.equal('check');
      expect(
        reasonOf(() => verifySync(provider, request(at('2025-03-01T11:59:59Z'), { receivedAt }))),
      ).to.equal('timestamp_out_of_tolerance');
      expect(
        reasonOf(() => verifySync(provider, request(at('2025-03-07T12:00:01Z'), { receivedAt }))),
      ).to.equal('timestamp_out_of_tolerance');
    });

    it('takes a tolerance in seconds, 0 turning the check off', () => {
      const receivedAt = new Date('2025-03-04T12:00:00Z');
      const strict = braintreeProvider(
        { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, tolerance: 60 },
        context,
      );
      expect(
        reasonOf(() => verifySync(strict, request(at('2025-03-04T11:58:00Z'), { receivedAt }))),
      ).to.equal('timestamp_out_of_tolerance');
      const off = braintreeProvider(
        { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, tolerance: 0 },
        context,
      );
      expect(verifySync(off, request(at('2015-03-04T11:58:00Z'), { receivedAt })).type).to.equal(
        'check',
      );
    });

    it('is checked only after the signature', () => {
      const old = base64(xmlAt('2015-01-01T00:00:00Z', 'check', ''));
      const forged = form({ bt_signature: `${PUBLIC_KEY}|${'0'.repeat(40)}`, bt_payload: old });
      expect(reasonOf(() => verifySync(provider, request(forged)))).to.equal(
        'no_matching_signature',
      );
    });
  });

  describe('the derived id', () => {
    it('is the same for a redelivery and differs with the kind, the subject and the time', () => {
      const xml = xmlAt(
        '2025-03-04T12:00:00Z',
        'dispute_opened',
        '<dispute><id>dp1</id></dispute>',
      );
      const first = verifySync(
        provider,
        request(form(signedFields(base64(xml))), { receivedAt: new Date('2025-03-04T12:00:00Z') }),
      );
      const again = verifySync(
        provider,
        request(form(signedFields(base64(xml).trimEnd())), {
          receivedAt: new Date('2025-03-04T13:00:00Z'),
        }),
      );
      expect(first.id).to.equal('dispute_opened:dp1:2025-03-04T12:00:00Z');
      expect(again.id).to.equal(first.id);
      expect(braintreeEventId('dispute_won', '2025-03-04T12:00:00Z', 'dp1')).not.to.equal(first.id);
      expect(braintreeEventId('dispute_opened', '2025-03-04T12:00:01Z', 'dp1')).not.to.equal(
        first.id,
      );
      expect(braintreeEventId('check', '2025-03-04T12:00:00Z')).to.equal(
        'check:2025-03-04T12:00:00Z',
      );
    });

    it('hashes an id too long for the event_id column', () => {
      const id = braintreeEventId('transaction_settled', '2025-03-04T12:00:00Z', 'x'.repeat(300));
      expect(id).to.match(/^transaction_settled:[0-9a-f]{64}$/);
      expect(
        braintreeEventId('transaction_settled', '2025-03-04T12:00:00Z', 'y'.repeat(300)),
      ).not.to.equal(id);
    });
  });

  describe('rotation', () => {
    it('verifies with any of several key pairs, each public key with its own private key', () => {
      const rotating = braintreeProvider(
        {
          publicKey: ['newpublickey0001', PUBLIC_KEY],
          privateKey: ['new-private-key', PRIVATE_KEY],
        },
        context,
      );
      const payload = base64(xmlAt(nowIso(), 'check', ''));
      for (const [publicKey, privateKey] of [
        ['newpublickey0001', 'new-private-key'],
        [PUBLIC_KEY, PRIVATE_KEY],
      ] as const) {
        const fields = {
          bt_signature: braintreeSignature(publicKey, privateKey, payload),
          bt_payload: payload,
        };
        expect(verifySync(rotating, request(form(fields))).type).to.equal('check');
      }
      // A public key with another pair's private key is no match.
      const crossed = {
        bt_signature: braintreeSignature('newpublickey0001', PRIVATE_KEY, payload),
        bt_payload: payload,
      };
      expect(reasonOf(() => verifySync(rotating, request(form(crossed))))).to.equal(
        'no_matching_signature',
      );
    });
  });

  describe('options', () => {
    const build = (options: Record<string, unknown>) => () =>
      braintreeProvider(options as never, context);

    it('requires both keys, naming the option', () => {
      expect(configurationErrorOf(build({ publicKey: PUBLIC_KEY })).message).to.match(
        /variants\.braintree\.privateKey.*required/,
      );
      expect(configurationErrorOf(build({ privateKey: PRIVATE_KEY })).message).to.match(
        /variants\.braintree\.publicKey.*required/,
      );
    });

    it('refuses whitespace, the public key given as the private one, and unpaired arrays', () => {
      expect(
        configurationErrorOf(build({ publicKey: PUBLIC_KEY, privateKey: ` ${PRIVATE_KEY}` }))
          .message,
      ).to.match(/whitespace/);
      expect(
        configurationErrorOf(build({ publicKey: PUBLIC_KEY, privateKey: PUBLIC_KEY })).message,
      ).to.match(/same as publicKey/);
      expect(
        configurationErrorOf(build({ publicKey: [PUBLIC_KEY, 'b'], privateKey: [PRIVATE_KEY] }))
          .message,
      ).to.match(/one private key per public key/);
      expect(
        configurationErrorOf(build({ publicKey: [PUBLIC_KEY], privateKey: PRIVATE_KEY })).message,
      ).to.match(/both arrays/);
      expect(
        configurationErrorOf(build({ publicKey: `${PUBLIC_KEY}|x`, privateKey: PRIVATE_KEY }))
          .message,
      ).to.match(/cannot contain/);
    });

    it('refuses a negative tolerance', () => {
      expect(
        configurationErrorOf(
          build({ publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, tolerance: -1 }),
        ).message,
      ).to.match(/variants\.braintree\.tolerance/);
    });
  });
});
