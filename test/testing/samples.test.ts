import { expect } from 'chai';
import type { BuiltinProviderName } from '../../src/providers/index.js';
import { builtinProviders } from '../../src/providers/index.js';
import type { Provider, VerifiedEvent } from '../../src/providers/types.js';
import {
  mergeDeep,
  paypalTestCertificate,
  samplePayload,
  sampleTypes,
  signWebhook,
  UnknownSampleTypeError,
} from '../../src/testing/index.js';
import { readAt } from '../../src/testing/paths.js';
import { sampleDataPath } from '../../src/testing/samples.js';
import type { SamplePayload } from '../../src/testing/types.js';
import { webhookRequest } from '../helpers/provider.js';

const SQUARE_URL = 'https://shop.test/payments/process/square/';
const STANDARD_SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
// PayPal signs with a key whose certificate the provider downloads: served here without a network.
let paypalKey: ReturnType<typeof paypalTestCertificate> | undefined;
/** Made on first use, not when mocha loads the file. */
const PAYPAL = () => (paypalKey ??= paypalTestCertificate());
const PAYPAL_BASE = 'http://paypal.test';
const PAYPAL_CERT_URL = `${PAYPAL_BASE}/v1/notifications/certs/CERT-samples`;
const paypalFetch: typeof fetch = async () => new Response(PAYPAL().certificate);
const ADYEN_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';

/** A valid variant configuration and secret for each built-in provider. */
const setups: Record<BuiltinProviderName, { options: Record<string, unknown>; secret: string }> = {
  stripe: { options: { endpointSecret: 'whsec_samples' }, secret: 'whsec_samples' },
  dummy: { options: {}, secret: '' },
  paystack: { options: { secretKey: 'sk_test_samples' }, secret: 'sk_test_samples' },
  flutterwave: { options: { secretHash: 'samples-hash' }, secret: 'samples-hash' },
  payvost: { options: { endpointSecret: 'whsec_samples' }, secret: 'whsec_samples' },
  standard: { options: { secret: STANDARD_SECRET }, secret: STANDARD_SECRET },
  razorpay: { options: { webhookSecret: 'samples-secret' }, secret: 'samples-secret' },
  paddle: { options: { secretKey: 'pdl_ntfset_samples' }, secret: 'pdl_ntfset_samples' },
  square: {
    options: { signatureKey: 'samples-key', notificationUrl: SQUARE_URL },
    secret: 'samples-key',
  },
  lemonsqueezy: { options: { signingSecret: 'samples-secret' }, secret: 'samples-secret' },
  paypal: { options: { webhookId: 'WHSAMPLES1', apiBase: PAYPAL_BASE }, secret: 'WHSAMPLES1' },
  hmac: {
    options: { secret: 'samples-secret', header: 'x-signature', typePath: 'type', idPath: 'id' },
    secret: 'samples-secret',
  },
  braintree: {
    options: { publicKey: 'samples-public', privateKey: 'samples-private' },
    secret: 'samples-private',
  },
  // Signed next-gen webhooks carry the object: verified without the API.
  mollie: {
    options: { apiKey: 'test_samplesSamplesSamplesSamples', signingSecret: 'samples-secret' },
    secret: 'samples-secret',
  },
  adyen: { options: { hmacKey: ADYEN_KEY }, secret: ADYEN_KEY },
};

/** Signer options for the providers whose signer needs some. */
const signOptions: Partial<Record<BuiltinProviderName, Record<string, unknown>>> = {
  hmac: { header: 'x-signature' },
  braintree: { publicKey: 'samples-public' },
  // A getter: the key pair is made when a PayPal sample is signed, not when mocha loads the file.
  get paypal() {
    return { privateKey: PAYPAL().privateKey, certUrl: PAYPAL_CERT_URL };
  },
};

const context = (variant: string) => ({
  variant,
  webhookUrl: () => `https://shop.test/payments/process/${variant}/`,
  http: { fetch: paypalFetch },
});

function providerFor(name: BuiltinProviderName): Provider {
  const definition = builtinProviders[name] as {
    create(options: unknown, context: unknown): Provider;
  };
  return definition.create(setups[name].options, context(name));
}

/** Signs a sample as the provider does and verifies it with the real provider. */
async function verifySample(name: BuiltinProviderName, payload: unknown): Promise<VerifiedEvent> {
  const { body, headers } = signWebhook(name, {
    payload,
    secret: setups[name].secret,
    url: SQUARE_URL,
    options: signOptions[name],
  });
  const verified = await providerFor(name).verify(
    webhookRequest(body, headers, { url: SQUARE_URL }),
  );
  // A sample is one event, even from a provider that may return several (Adyen).
  const events: readonly VerifiedEvent[] = Array.isArray(verified) ? verified : [verified];
  expect(events, `${name} events`).to.have.length(1);
  return events[0] as VerifiedEvent;
}

const GENERIC = ['standard', 'hmac', 'dummy'] as const;
const providers = Object.keys(setups) as BuiltinProviderName[];

describe('samplePayload', () => {
  it('has realistic samples of the common event types of every provider with a vocabulary', () => {
    expect(sampleTypes('stripe')).to.include.members([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'payment_intent.payment_failed',
      'charge.succeeded',
      'charge.refunded',
      'invoice.paid',
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.deleted',
    ]);
    expect(sampleTypes('paystack')).to.include.members([
      'charge.success',
      'transfer.success',
      'transfer.failed',
      'transfer.reversed',
    ]);
    expect(sampleTypes('flutterwave')).to.include.members([
      'charge.completed',
      'transfer.completed',
    ]);
    expect(sampleTypes('razorpay')).to.include.members(['payment.captured', 'order.paid']);
    expect(sampleTypes('paddle')).to.include.members(['transaction.completed']);
    expect(sampleTypes('square')).to.include.members(['payment.updated', 'refund.updated']);
    expect(sampleTypes('lemonsqueezy')).to.include.members(['order_created']);
    expect(sampleTypes('payvost')).to.include.members(['payment.succeeded']);
    expect(sampleTypes('adyen')).to.include.members(['AUTHORISATION', 'CAPTURE', 'REFUND']);
    expect(sampleTypes('braintree')).to.include.members([
      'transaction_settled',
      'transaction_settlement_declined',
      'subscription_charged_successfully',
      'dispute_opened',
    ]);
    expect(sampleTypes('paypal')).to.include.members([
      'PAYMENT.CAPTURE.COMPLETED',
      'PAYMENT.CAPTURE.DENIED',
      'PAYMENT.CAPTURE.REFUNDED',
      'CHECKOUT.ORDER.APPROVED',
    ]);
    for (const name of GENERIC) expect(sampleTypes(name)).to.deep.equal([]);
  });

  for (const name of providers) {
    const types =
      sampleTypes(name).length > 0 ? sampleTypes(name) : ['invoice.paid', 'user.created'];
    it(`builds ${name} samples that the ${name} provider verifies, with the requested type and data`, async () => {
      for (const type of types) {
        const payload = samplePayload(name, type);
        const event = await verifySample(name, payload);
        expect(event.type, `${name} ${type}`).to.equal(type);
        expect(event.id, `${name} ${type}`).to.be.a('string').and.not.equal('');
        // Adyen's signer adds each item's signature to the item itself.
        if (name === 'adyen') delete (event.data as SamplePayload).additionalData.hmacSignature;
        expect(event.data, `${name} ${type}`).to.deep.equal(
          readAt(JSON.parse(JSON.stringify(payload)), sampleDataPath(name)),
        );
        expect(event.data, `${name} ${type}`).to.be.an('object');
      }
    });

    it(`gives every ${name} sample a fresh event id`, async () => {
      for (const type of types) {
        const first = await verifySample(name, samplePayload(name, type));
        const second = await verifySample(name, samplePayload(name, type));
        expect(second.id, `${name} ${type}`).to.not.equal(first.id);
      }
    });
  }

  it('shapes Stripe objects after the event type', () => {
    const objectOf = (type: string) => samplePayload('stripe', type).data.object.object;
    expect(objectOf('checkout.session.completed')).to.equal('checkout.session');
    expect(objectOf('payment_intent.payment_failed')).to.equal('payment_intent');
    expect(objectOf('charge.refunded')).to.equal('charge');
    expect(objectOf('invoice.paid')).to.equal('invoice');
    expect(objectOf('customer.subscription.deleted')).to.equal('subscription');
    const session = samplePayload('stripe', 'checkout.session.completed');
    expect(session).to.include({
      object: 'event',
      livemode: false,
      type: 'checkout.session.completed',
    });
    expect(session.id).to.match(/^evt_[A-Za-z0-9]{24}$/);
    expect(session.data.object).to.include({ payment_status: 'paid', status: 'complete' });
    expect(
      samplePayload('stripe', 'payment_intent.payment_failed').data.object.last_payment_error,
    ).to.include({ code: 'card_declined' });
    const refunded = samplePayload('stripe', 'charge.refunded').data;
    expect(refunded.object).to.include({ refunded: true, amount_refunded: 2000 });
    expect(refunded.previous_attributes).to.deep.equal({ amount_refunded: 0, refunded: false });
  });

  it('keys Paystack samples by their object, as koa-payments derives the id', async () => {
    const charge = samplePayload('paystack', 'charge.success');
    expect(charge.data).to.include({ status: 'success', currency: 'NGN', domain: 'test' });
    expect((await verifySample('paystack', charge)).id).to.equal(
      `charge.success:${charge.data.id}`,
    );
    const transfer = samplePayload('paystack', 'transfer.reversed');
    expect(transfer.data).to.include({ status: 'reversed' });
    expect(transfer.data.transfer_code).to.match(/^TRF_/);
  });

  it('merges overrides deeply and keeps an overridden id, so the same event can be sent twice', async () => {
    const overrides = { id: 'evt_fixed', data: { object: { client_reference_id: '42' } } };
    const first = samplePayload('stripe', 'checkout.session.completed', overrides);
    const second = samplePayload('stripe', 'checkout.session.completed', overrides);
    expect(first.id).to.equal('evt_fixed');
    expect(first.data.object.client_reference_id).to.equal('42');
    expect(first.data.object.payment_status).to.equal('paid'); // the rest of the sample is kept
    expect((await verifySample('stripe', second)).id).to.equal(
      (await verifySample('stripe', first)).id,
    );
  });

  it('replaces arrays and skips undefined in overrides, without mutating either side', () => {
    const base = { list: [1, 2], nested: { a: 1, b: 2 } };
    const overrides = { list: [3], nested: { b: undefined, c: 3 } };
    expect(mergeDeep(base, overrides)).to.deep.equal({ list: [3], nested: { a: 1, b: 2, c: 3 } });
    expect(base).to.deep.equal({ list: [1, 2], nested: { a: 1, b: 2 } });
  });

  it('builds any type for the generic providers', () => {
    const payload = samplePayload('standard', 'invoice.paid');
    expect(payload.type).to.equal('invoice.paid');
    expect(payload.data).to.include({ object: 'invoice' });
    expect(payload.data.id).to.match(/^invoice_/);
  });

  it('refuses an unknown type, listing the types it has', () => {
    expect(() => samplePayload('stripe', 'checkout.session.complete'))
      .to.throw(
        UnknownSampleTypeError,
        /no stripe sample of 'checkout\.session\.complete'.*checkout\.session\.completed/,
      )
      .with.property('known')
      .that.includes('charge.succeeded');
  });

  it('refuses an unknown provider', () => {
    expect(() => samplePayload('acme' as BuiltinProviderName, 'x')).to.throw(
      TypeError,
      /no samples for provider 'acme'/,
    );
  });
});
