/**
 * The adyen provider: every notification item checked with its own hmacSignature (cross-checked
 * both ways with the official @adyen/api-library HmacValidator), optional Basic auth, one bad item
 * refusing the whole request, the event of each item, option validation.
 */
import { hmacValidator } from '@adyen/api-library';
import { expect } from 'chai';
import { SignatureVerificationError, WebhookUnauthorizedError } from '../../../src/index.js';
import { type AdyenOptions, adyenEventId } from '../../../src/providers/adyen/index.js';
import { adyenSignedData } from '../../../src/providers/adyen/scheme.js';
import { adyen } from '../../../src/providers/adyen/verify.js';
import { MAX_EVENTS_PER_REQUEST, type Provider } from '../../../src/providers/types.js';
import {
  adyenHmac,
  adyenSignedItem,
  samplePayload,
  signWebhook,
} from '../../../src/testing/index.js';
import {
  configurationErrorOf,
  reasonOf,
  verifyAllSync,
  webhookRequest,
} from '../../helpers/provider.js';

const KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const OLD_KEY = 'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00';
const context = { variant: 'adyen', webhookUrl: () => 'https://shop.test/payments/process/adyen/' };
const build = (options: Partial<AdyenOptions> = {}): Provider =>
  adyen({ hmacKey: KEY, ...options } as AdyenOptions, context);

/** A notification of `items`, each signed with `key`, as Adyen posts it. */
function notification(items: Record<string, unknown>[], key = KEY, live = 'false') {
  return {
    live,
    notificationItems: items.map((item) => ({
      NotificationRequestItem: adyenSignedItem(item, key),
    })),
  };
}

const request = (body: unknown, headers: Record<string, string> = {}) =>
  webhookRequest(typeof body === 'string' ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    ...headers,
  });

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The error `fn` throws. */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('adyen provider', () => {
  describe('signatures', () => {
    it('signs the eight documented fields, joined by colons, as Adyen publishes the vector', () => {
      const item = {
        pspReference: '7914073381342284',
        merchantAccountCode: 'TestMerchant',
        merchantReference: 'TestPayment-1407325143704',
        amount: { value: 1130, currency: 'EUR' },
        eventCode: 'AUTHORISATION',
        success: 'true',
      };
      expect(adyenSignedData(item)).to.equal(
        '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true',
      );
      // The vector of Adyen's own library tests (adyen-php-api-library HmacSignatureTest).
      expect(adyenHmac(OLD_KEY, item)).to.equal('Ny9gS2veKo5E4w8/OL6xz1/wvT/hYkAXy1xNc/QvO4I=');
    });

    it('accepts items signed by the official HmacValidator, and signs items it validates', () => {
      const validator = new hmacValidator();
      const samples = ['AUTHORISATION', 'CAPTURE', 'REFUND', 'CHARGEBACK', 'OFFER_CLOSED'].map(
        (type) => samplePayload('adyen', type),
      );
      // A colon and a backslash in a reference: signed as they are, by the SDK and by us.
      samples.push(samplePayload('adyen', 'AUTHORISATION', { merchantReference: 'a:b\\c' }));
      for (const sample of samples) {
        const sdkSigned = {
          ...sample,
          additionalData: {
            ...sample.additionalData,
            hmacSignature: validator.calculateHmac(sample as never, KEY),
          },
        };
        const body = { live: 'false', notificationItems: [{ NotificationRequestItem: sdkSigned }] };
        const [event] = verifyAllSync(build(), request(body));
        expect(event?.type, sample.eventCode).to.equal(sample.eventCode);
        expect(validator.validateHMAC(adyenSignedItem(sample, KEY) as never, KEY)).to.equal(true);
      }
    });

    it('refuses the whole request when one item of several is not signed by the key', () => {
      const good = samplePayload('adyen', 'AUTHORISATION');
      const other = samplePayload('adyen', 'REFUND');
      const body = notification([good, other]);
      body.notificationItems[1] = { NotificationRequestItem: adyenSignedItem(other, OLD_KEY) };
      expect(reasonOf(() => build().verify(request(body)))).to.equal('no_matching_signature');
      const changed = notification([good, other]);
      (changed.notificationItems[0]?.NotificationRequestItem as { amount: unknown }).amount = {
        value: 1,
        currency: 'EUR',
      };
      expect(reasonOf(() => build().verify(request(changed)))).to.equal('no_matching_signature');
    });

    it('says which reason: missing, malformed or not matching', () => {
      const item = samplePayload('adyen', 'AUTHORISATION');
      const unsigned = { live: 'false', notificationItems: [{ NotificationRequestItem: item }] };
      expect(reasonOf(() => build().verify(request(unsigned)))).to.equal('missing_signature');
      const malformed = notification([item]);
      const entry = malformed.notificationItems[0] as {
        NotificationRequestItem: { additionalData: Record<string, string> };
      };
      entry.NotificationRequestItem.additionalData.hmacSignature = 'not base64 at all';
      expect(reasonOf(() => build().verify(request(malformed)))).to.equal('malformed_signature');
      expect(reasonOf(() => build().verify(request(notification([item], OLD_KEY))))).to.equal(
        'no_matching_signature',
      );
    });

    it('accepts any key of a rotation, and none that is not listed', () => {
      const item = samplePayload('adyen', 'AUTHORISATION');
      const rotating = build({ hmacKey: [KEY, OLD_KEY] });
      expect(verifyAllSync(rotating, request(notification([item], OLD_KEY)))).to.have.length(1);
      expect(verifyAllSync(rotating, request(notification([item], KEY)))).to.have.length(1);
      const other = 'AB'.repeat(32);
      expect(reasonOf(() => rotating.verify(request(notification([item], other))))).to.equal(
        'no_matching_signature',
      );
    });

    it('refuses bodies that are not a notification', () => {
      const cases: unknown[] = [
        'not json',
        [],
        { live: 'false' },
        { live: 'false', notificationItems: [] },
        { live: 'false', notificationItems: [{ item: {} }] },
        `${'['.repeat(100)}${']'.repeat(100)}`,
      ];
      for (const body of cases) {
        expect(
          reasonOf(() => build().verify(request(body))),
          JSON.stringify(body),
        ).to.equal('invalid_payload');
      }
      const many = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () =>
        samplePayload('adyen', 'AUTHORISATION'),
      );
      expect(reasonOf(() => build().verify(request(notification(many))))).to.equal(
        'invalid_payload',
      );
    });

    it('refuses a signed item without a pspReference, an eventCode or a success of "true" or "false"', () => {
      for (const change of [{ pspReference: '' }, { eventCode: undefined }, { success: 'yes' }]) {
        const item = { ...samplePayload('adyen', 'AUTHORISATION'), ...change };
        expect(
          reasonOf(() => build().verify(request(notification([item])))),
          JSON.stringify(change),
        ).to.equal('invalid_payload');
      }
      const item = samplePayload('adyen', 'AUTHORISATION');
      const body = { ...notification([item]), live: 'maybe' };
      expect(reasonOf(() => build().verify(request(body)))).to.equal('invalid_payload');
    });
  });

  describe('Basic auth', () => {
    const withAuth = () =>
      build({ username: 'adyen-hooks', password: ['new-password', 'old-password'] });
    const body = () => notification([samplePayload('adyen', 'AUTHORISATION')]);

    it('accepts the configured username with any password of a rotation', () => {
      for (const password of ['new-password', 'old-password']) {
        const events = verifyAllSync(
          withAuth(),
          request(body(), { authorization: basic('adyen-hooks', password) }),
        );
        expect(events, password).to.have.length(1);
      }
    });

    it('refuses missing or wrong credentials with 401 unauthorized, before reading the body', () => {
      const cases: (string | undefined)[] = [
        undefined,
        'Bearer token',
        'Basic !!!',
        basic('adyen-hooks', 'wrong'),
        basic('someone', 'new-password'),
        `Basic ${Buffer.from('adyen-hooks').toString('base64')}`,
      ];
      for (const authorization of cases) {
        const headers: Record<string, string> =
          authorization === undefined ? {} : { authorization };
        const error = errorOf(() => withAuth().verify(request('not even json', headers)));
        expect(error, String(authorization)).to.be.instanceOf(WebhookUnauthorizedError);
        expect(error).to.include({ code: 'unauthorized', status: 401 });
        expect(error.message).not.to.contain('new-password');
      }
    });

    it('is not asked for without a username and password', () => {
      expect(verifyAllSync(build(), request(body()))).to.have.length(1);
    });
  });

  describe('events', () => {
    it('makes one event per item, in order, with its id, type, data, mode and date', () => {
      const authorised = samplePayload('adyen', 'AUTHORISATION', {
        eventDate: '2025-03-01T10:15:00+01:00',
      });
      const refunded = samplePayload('adyen', 'REFUND');
      const events = verifyAllSync(
        build(),
        request(notification([authorised, refunded], KEY, 'true')),
      );
      expect(events.map((e) => [e.id, e.type, e.livemode])).to.deep.equal([
        [`${authorised.pspReference}:AUTHORISATION:true`, 'AUTHORISATION', true],
        [`${refunded.pspReference}:REFUND:true`, 'REFUND', true],
      ]);
      expect(events[0]?.createdAt?.toISOString()).to.equal('2025-03-01T09:15:00.000Z');
      const signed = adyenSignedItem(authorised, KEY);
      expect(events[0]?.data).to.deep.equal(signed);
      expect(events[0]?.payload).to.deep.equal(signed);
      expect(JSON.parse(events[0]?.payloadText as string)).to.deep.equal(signed);
      expect(events[0]?.id).to.equal(
        adyenEventId(authorised.pspReference, 'AUTHORISATION', 'true'),
      );
    });

    it('tells a failed item from a successful one of the same code', () => {
      const failed = samplePayload('adyen', 'AUTHORISATION', {
        success: 'false',
        reason: 'Refused',
      });
      const [event] = verifyAllSync(build(), request(notification([failed])));
      expect(event?.id).to.equal(`${failed.pspReference}:AUTHORISATION:false`);
      expect(event?.livemode).to.equal(false);
    });

    it('answers [accepted] as text/plain', () => {
      expect(build().successAnswer).to.deep.equal({
        status: 200,
        contentType: 'text/plain',
        body: '[accepted]',
      });
    });

    it('signs with the testing kit what it verifies, Basic credentials included', () => {
      const { body, headers } = signWebhook('adyen', {
        payload: [samplePayload('adyen', 'AUTHORISATION'), samplePayload('adyen', 'CAPTURE')],
        secret: KEY,
        options: { username: 'u', password: 'p', live: true },
      });
      const events = verifyAllSync(build({ username: 'u', password: 'p' }), request(body, headers));
      expect(events.map((e) => [e.type, e.livemode])).to.deep.equal([
        ['AUTHORISATION', true],
        ['CAPTURE', true],
      ]);
      expect(headers['content-type']).to.equal('application/json');
    });
  });

  describe('options', () => {
    it('refuses an HMAC key that is not hex, or too short, naming the option', () => {
      for (const hmacKey of [
        '',
        'not-hex',
        'ABC',
        'AB'.repeat(8),
        `${KEY} `,
        ['AB'.repeat(32), 'xyz'],
      ]) {
        const error = configurationErrorOf(() => build({ hmacKey }));
        expect(error.option, JSON.stringify(hmacKey)).to.equal('variants.adyen.hmacKey');
        expect(error.message).not.to.contain(KEY);
      }
    });

    it('wants a username and a password together, and a username without a colon', () => {
      expect(configurationErrorOf(() => build({ username: 'u' })).option).to.equal(
        'variants.adyen.password',
      );
      expect(configurationErrorOf(() => build({ password: 'p' })).option).to.equal(
        'variants.adyen.username',
      );
      expect(configurationErrorOf(() => build({ username: 'a:b', password: 'p' })).option).to.equal(
        'variants.adyen.username',
      );
      expect(configurationErrorOf(() => build({ username: 'u', password: ' p' })).option).to.equal(
        'variants.adyen.password',
      );
    });

    it('never echoes a key or password in a verification error', () => {
      const item = samplePayload('adyen', 'AUTHORISATION');
      const error = errorOf(() => build().verify(request(notification([item], OLD_KEY))));
      expect(error).to.be.instanceOf(SignatureVerificationError);
      expect(error.message).not.to.contain(KEY);
      expect(error.message).not.to.contain(OLD_KEY);
    });
  });
});
