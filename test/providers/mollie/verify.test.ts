/**
 * The mollie provider, unit by unit: its options, the classic body's checks (made before any API
 * call), the next-gen signature, the events a payment's states make, and their facts.
 */
import { expect } from 'chai';
import { ConfigurationError, SignatureVerificationError } from '../../../src/index.js';
import { MollieApi } from '../../../src/providers/mollie/api.js';
import { molliePaymentEvent } from '../../../src/providers/mollie/events.js';
import { mollieFacts } from '../../../src/providers/mollie/facts.js';
import { definition } from '../../../src/providers/mollie/index.js';
import type { Provider, VerifiedEvent, WebhookRequest } from '../../../src/providers/types.js';
import {
  mollieSignature,
  type SamplePayload,
  samplePayload,
  signWebhook,
} from '../../../src/testing/index.js';
import { MollieApiFake } from '../../fakes/mollie-api.js';
import { fakeForEach } from '../../fakes/server.js';
import { configurationErrorOf, rejection, webhookRequest } from '../../helpers/provider.js';

const KEY = 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM';
const SECRET = 'mollie-signing-secret';
const context = {
  variant: 'mollie',
  webhookUrl: () => 'https://shop.test/payments/process/mollie/',
};

/** Mollie's verify() resolves to one event (Provider.verify may return several: Verified). */
type MollieProvider = Omit<Provider, 'verify'> & {
  verify(request: WebhookRequest): Promise<VerifiedEvent>;
};

function build(options: Record<string, unknown>): MollieProvider {
  return definition.create(options as never, context) as MollieProvider;
}

describe('mollie provider', () => {
  describe('options', () => {
    it('requires apiKey: classic webhooks are verified only by fetching the payment', () => {
      const error = configurationErrorOf(() => build({}));
      expect(error.option).to.equal('variants.mollie.apiKey');
    });

    it("refuses any validation but 'retrieve', naming the option", () => {
      const error = configurationErrorOf(() => build({ apiKey: KEY, validation: 'signature' }));
      expect(error.option).to.equal('variants.mollie.validation');
      expect(error.message).to.contain("can only be 'retrieve'");
      expect(build({ apiKey: KEY, validation: 'retrieve' }).name).to.equal('mollie');
    });

    it('refuses look-alikes of an API key without echoing them', () => {
      for (const value of [
        'pfl_abcdefghij',
        'tr_abcdefghij',
        'access_abcdefghijklmnopqrstuvwxyz',
        'live_short',
      ]) {
        const error = configurationErrorOf(() => build({ apiKey: value }));
        expect(error.option).to.equal('variants.mollie.apiKey');
        expect(error.message).not.to.contain(value);
      }
    });

    it('bounds the body to 1 KB for classic webhooks only; a next-gen variant keeps bodyLimit', () => {
      expect(build({ apiKey: KEY }).bodyLimit).to.equal(1024);
      expect(build({ apiKey: KEY, signingSecret: SECRET }).bodyLimit).to.equal(undefined);
    });

    it('refuses an unknown option and a bad apiBase', () => {
      expect(() => build({ apiKey: KEY, apiBase: 'ftp://x' })).to.throw(ConfigurationError);
    });
  });

  describe('classic webhooks (id=tr_...)', () => {
    const api = fakeForEach(() => new MollieApiFake(KEY));
    const provider = () => build({ apiKey: KEY, apiBase: api.current.origin });

    const refused: [string, string | Buffer][] = [
      ['no id', 'foo=bar'],
      ['two ids', 'id=tr_abc&id=tr_def'],
      ['an id that is not a payment id', 'id=ord_abc'],
      ['an id with other characters', 'id=tr_abc%2F..%2Fcustomers'],
      ['an id longer than 64 characters', `id=tr_${'a'.repeat(65)}`],
      ['a body over 1 KB', `id=tr_abc&padding=${'x'.repeat(1100)}`],
      ['a JSON body', '{"id":"tr_abc"}'],
    ];
    for (const [what, body] of refused) {
      it(`refuses ${what} with invalid_payload, before any API call`, async () => {
        const error = await rejection(Promise.resolve(provider().verify(webhookRequest(body, {}))));
        expect(error).to.be.instanceOf(SignatureVerificationError);
        expect((error as SignatureVerificationError).reason).to.equal('invalid_payload');
        expect(api.current.requests).to.deep.equal([]);
      });
    }

    it('fetches the payment with the API key and names the event after its status', async () => {
      const payment = samplePayload('mollie', 'payment.paid');
      api.current.setPayment(payment);
      const event = await provider().verify(webhookRequest(`id=${payment.id}`, {}));
      expect(event).to.include({ id: `${payment.id}:paid`, type: 'payment.paid', livemode: false });
      expect(event.data).to.deep.equal(payment);
      expect(JSON.parse(event.payloadText as string)).to.deep.equal(payment);
      expect(event.createdAt?.toISOString()).to.equal(new Date(payment.paidAt).toISOString());
      const [seen] = api.current.requests;
      expect(seen?.path).to.equal(`/v2/payments/${payment.id}`);
      expect(seen?.headers.authorization).to.equal(`Bearer ${KEY}`);
    });

    it('answers an unknown id with not_found_at_provider', async () => {
      const error = await rejection(
        Promise.resolve(provider().verify(webhookRequest('id=tr_unknown1', {}))),
      );
      expect(error).to.include({ code: 'not_found_at_provider', status: 400 });
    });
  });

  describe('the API listing (for a future sync)', () => {
    const api = fakeForEach(() => new MollieApiFake(KEY));

    it('lists payments since a time as the events of their current state, following _links.next', async () => {
      const at = (minute: number) => `2025-01-01T00:${String(minute).padStart(2, '0')}:00+00:00`;
      const payments = [1, 2, 3, 4].map((minute) => {
        const payment = samplePayload('mollie', minute === 4 ? 'payment.failed' : 'payment.paid');
        payment.createdAt = at(minute);
        api.current.setPayment(payment);
        return payment;
      });
      const client = new MollieApi({ apiKey: KEY, apiBase: new URL(api.current.origin) });
      const page = await client.listPaymentsPage({ limit: 2 });
      expect(page.payments.map((p) => p.id)).to.deep.equal([payments[3]?.id, payments[2]?.id]);
      expect(page.next).to.equal(payments[1]?.id);
      const listed: string[] = [];
      for await (const events of client.listEvents({
        since: new Date(at(2)),
        types: ['payment.paid'],
      })) {
        listed.push(...events.events.map((event) => event.id));
      }
      expect(listed).to.deep.equal([`${payments[2]?.id}:paid`, `${payments[1]?.id}:paid`]);
    });
  });

  describe('next-gen webhooks (X-Mollie-Signature)', () => {
    const provider = () => build({ apiKey: KEY, signingSecret: ['old-secret', SECRET] });

    it('verifies the signature of the raw body, any secret while rotating, and stores the entity', async () => {
      const payment = samplePayload('mollie', 'payment.paid');
      const { body, headers } = signWebhook('mollie', { payload: payment, secret: SECRET });
      expect(headers['x-mollie-signature']).to.equal(mollieSignature(body, SECRET));
      expect(headers['x-mollie-signature']).to.match(/^sha256=[0-9a-f]{64}$/);
      const event = await provider().verify(webhookRequest(body, headers));
      // The same id as the classic webhook of the same change: one event for both forms.
      expect(event).to.include({ id: `${payment.id}:paid`, type: 'payment.paid', livemode: false });
      expect(event.data).to.deep.equal(payment);
      expect(JSON.parse(event.payloadText as string)).to.deep.equal(payment);
    });

    it("accepts the header sent twice during Mollie's secret rotation", async () => {
      const payment = samplePayload('mollie', 'payment.failed');
      const { body } = signWebhook('mollie', { payload: payment, secret: SECRET });
      const both = `${mollieSignature(body, 'unknown')}, ${mollieSignature(body, SECRET)}`;
      const event = await provider().verify(webhookRequest(body, { 'x-mollie-signature': both }));
      expect(event.type).to.equal('payment.failed');
    });

    it("keeps Mollie's event id for events other than a payment's status", async () => {
      const refund = samplePayload('mollie', 'refund.refunded');
      const { body, headers } = signWebhook('mollie', { payload: refund, secret: SECRET });
      const event = await provider().verify(webhookRequest(body, headers));
      expect(event.type).to.equal('refund.refunded');
      expect(event.id).to.equal(JSON.parse(body).id);
      expect(event.id).to.match(/^event_/);
    });

    const refused: [string, (body: string) => Record<string, string>, string, Provider?][] = [
      [
        'a tampered body',
        () => ({ 'x-mollie-signature': mollieSignature('{}', SECRET) }),
        'no_matching_signature',
      ],
      [
        'a header without sha256=',
        (body) => ({ 'x-mollie-signature': mollieSignature(body, SECRET).slice(7) }),
        'malformed_signature',
      ],
      [
        'a signature by another secret',
        (body) => ({ 'x-mollie-signature': mollieSignature(body, 'other') }),
        'no_matching_signature',
      ],
    ];
    for (const [what, headersOf, reason] of refused) {
      it(`refuses ${what} (${reason})`, async () => {
        const { body } = signWebhook('mollie', {
          payload: samplePayload('mollie', 'payment.paid'),
          secret: SECRET,
        });
        const error = await rejection(
          Promise.resolve(provider().verify(webhookRequest(body, headersOf(body)))),
        );
        expect((error as SignatureVerificationError).reason).to.equal(reason);
      });
    }

    it('refuses a signed webhook on a variant without signingSecret', async () => {
      const { body, headers } = signWebhook('mollie', {
        payload: samplePayload('mollie', 'payment.paid'),
        secret: SECRET,
      });
      const error = await rejection(
        Promise.resolve(build({ apiKey: KEY }).verify(webhookRequest(body, headers))),
      );
      expect((error as SignatureVerificationError).reason).to.equal('no_matching_signature');
      expect(error.message).to.contain('no signingSecret');
    });
  });

  describe('events of a payment', () => {
    it('makes one event per status, and one per new refunded or charged back total', () => {
      const paid = samplePayload('mollie', 'payment.paid');
      const ids = [
        molliePaymentEvent({ ...paid, status: 'open' } as never),
        molliePaymentEvent(paid as never),
        molliePaymentEvent({
          ...paid,
          amountRefunded: { value: '2.50', currency: 'EUR' },
        } as never),
        molliePaymentEvent({
          ...paid,
          amountRefunded: { value: '10.00', currency: 'EUR' },
        } as never),
        molliePaymentEvent({
          ...paid,
          amountRefunded: { value: '10.00', currency: 'EUR' },
          amountChargedBack: { value: '10.00', currency: 'EUR' },
        } as never),
      ].map((event) => [event.type, event.id]);
      expect(ids).to.deep.equal([
        ['payment.open', `${paid.id}:open`],
        ['payment.paid', `${paid.id}:paid`],
        ['payment.refunded', `${paid.id}:paid:refunded:2.50`],
        ['payment.refunded', `${paid.id}:paid:refunded:10.00`],
        ['payment.charged_back', `${paid.id}:paid:refunded:10.00:charged_back:10.00`],
      ]);
    });

    it('reads live mode from the payment', () => {
      const event = molliePaymentEvent({
        ...samplePayload('mollie', 'payment.paid'),
        mode: 'live',
      } as never);
      expect(event.livemode).to.equal(true);
    });
  });

  describe('facts', () => {
    it('reports payment.paid as payment:succeeded in exact minor units, never through a float', () => {
      const payment: SamplePayload = {
        ...samplePayload('mollie', 'payment.paid'),
        amount: { value: '19.99', currency: 'EUR' },
      };
      const { object, payment: report } = mollieFacts('payment.paid', payment);
      expect(object).to.include({ type: 'payment', id: payment.id });
      expect(object?.version).to.be.a('number');
      expect(report?.signal).to.equal('payment:succeeded');
      expect(report?.key).to.equal(`payment:succeeded:${payment.id}`);
      expect(report?.facts).to.include({
        amount: 1999,
        currency: 'EUR',
        status: 'paid',
        paymentId: payment.id,
        reference: payment.id,
      });
      expect(report?.facts.metadata).to.deep.equal({ order_id: '12345' });
    });

    it("converts with the currency's exponent (JPY has none)", () => {
      const payment: SamplePayload = {
        ...samplePayload('mollie', 'payment.paid'),
        amount: { value: '1000', currency: 'JPY' },
      };
      expect(mollieFacts('payment.paid', payment).payment?.facts.amount).to.equal(1000);
    });

    for (const status of ['failed', 'expired', 'canceled']) {
      it(`reports payment.${status} as payment:failed with status ${status}`, () => {
        const report = mollieFacts(
          `payment.${status}`,
          samplePayload('mollie', `payment.${status}`),
        ).payment;
        expect(report?.signal).to.equal('payment:failed');
        expect(report?.facts.status).to.equal(status);
      });
    }

    for (const status of ['open', 'pending', 'authorized', 'charged_back']) {
      it(`reports no payment signal for payment.${status}`, () => {
        const result = mollieFacts(
          `payment.${status}`,
          samplePayload('mollie', `payment.${status}`),
        );
        expect(result.payment).to.equal(undefined);
        expect(result.problem).to.equal(undefined);
      });
    }

    it('reports payment.refunded for the refunded total, once per total', () => {
      const payment = samplePayload('mollie', 'payment.refunded');
      const report = mollieFacts('payment.refunded', payment).payment;
      expect(report?.signal).to.equal('payment:refunded');
      expect(report?.facts).to.include({ amount: 1000, currency: 'EUR', status: 'refunded' });
      expect(report?.key).to.equal(`payment:refunded:${payment.id}:10.00`);
      expect(mollieFacts('payment.refunded', payment).object?.version).to.equal(undefined);
    });

    it("reports a next-gen refund.refunded for that refund's amount, once per refund", () => {
      const refund = samplePayload('mollie', 'refund.refunded');
      const report = mollieFacts('refund.refunded', refund).payment;
      expect(report?.facts).to.include({ amount: 595, paymentId: refund.paymentId });
      expect(report?.key).to.equal(`payment:refunded:${refund.id}`);
      expect(
        mollieFacts('refund.failed', samplePayload('mollie', 'refund.failed')).payment,
      ).to.equal(undefined);
    });

    it('gives a problem, not a guess, for an amount with more decimals than the currency has', () => {
      const payment: SamplePayload = {
        ...samplePayload('mollie', 'payment.paid'),
        amount: { value: '10.001', currency: 'EUR' },
      };
      const result = mollieFacts('payment.paid', payment);
      expect(result.payment).to.equal(undefined);
      expect(result.problem).to.be.a('string');
    });
  });
});
