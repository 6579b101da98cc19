/**
 * Every built-in provider that knows its payloads reports facts through its Provider object; the
 * generic ones (standard, hmac, dummy) cannot know what a payload is about and report none.
 */
import { expect } from 'chai';
import { adyenFacts } from '../../src/providers/adyen/facts.js';
import { braintreeFacts } from '../../src/providers/braintree/facts.js';
import { flutterwaveFacts } from '../../src/providers/flutterwave/facts.js';
import { builtinProviders } from '../../src/providers/index.js';
import { lemonSqueezyFacts } from '../../src/providers/lemonsqueezy/facts.js';
import { mollieFacts } from '../../src/providers/mollie/facts.js';
import { paddleFacts } from '../../src/providers/paddle/facts.js';
import { paypalFacts } from '../../src/providers/paypal/facts.js';
import { paystackFacts } from '../../src/providers/paystack/facts.js';
import { payvostFacts } from '../../src/providers/payvost/facts.js';
import { razorpayFacts } from '../../src/providers/razorpay/facts.js';
import { squareFacts } from '../../src/providers/square/facts.js';
import { stripeFacts } from '../../src/providers/stripe/facts.js';
import type { Provider } from '../../src/providers/types.js';
import { samplePayload, sampleTypes } from '../../src/testing/index.js';

const context = { variant: 'v', webhookUrl: () => 'https://shop.test/payments/process/v/' };

/** Builds a built-in provider from options that pass its validation. */
function build(name: keyof typeof builtinProviders, options: Record<string, unknown>): Provider {
  const definition = builtinProviders[name] as {
    create(options: unknown, ctx: typeof context): Provider;
  };
  return definition.create(options, context);
}

const STANDARD_SECRET = `whsec_${Buffer.from('a standard webhooks test secret!').toString('base64')}`;

describe('provider facts', () => {
  const withFacts: [keyof typeof builtinProviders, Record<string, unknown>, Provider['facts']][] = [
    ['stripe', { endpointSecret: 'whsec_test' }, stripeFacts],
    ['paystack', { secretKey: 'sk_test_x' }, paystackFacts],
    ['flutterwave', { secretHash: 'hash' }, flutterwaveFacts],
    ['razorpay', { webhookSecret: 'secret' }, razorpayFacts],
    ['paddle', { secretKey: 'pdl_ntfset_x' }, paddleFacts],
    ['square', { signatureKey: 'key', notificationUrl: 'https://shop.test/sq/' }, squareFacts],
    ['lemonsqueezy', { signingSecret: 'secret' }, lemonSqueezyFacts],
    ['payvost', { endpointSecret: 'whsec_test' }, payvostFacts],
    ['braintree', { publicKey: 'public', privateKey: 'private' }, braintreeFacts],
    ['paypal', { webhookId: 'WH1' }, paypalFacts],
    ['mollie', { apiKey: 'test_factsFactsFactsFactsFacts' }, mollieFacts],
    ['adyen', { hmacKey: 'ab'.repeat(32) }, adyenFacts],
  ];

  for (const [name, options, facts] of withFacts) {
    it(`are reported by the ${name} provider`, () => {
      expect(build(name, options).facts).to.equal(facts);
    });
  }

  it('are not reported by the generic providers: standard, hmac and dummy', () => {
    expect(build('standard', { secret: STANDARD_SECRET }).facts).to.equal(undefined);
    expect(build('hmac', { secret: 's', header: 'x-signature', typePath: 'type' }).facts).to.equal(
      undefined,
    );
    expect(build('dummy', {}).facts).to.equal(undefined);
  });

  it('name the object of every sample event, without a problem', () => {
    // Paystack's pending and failed refunds have no refund_reference yet: nothing to name.
    const unnamed = ['paystack refund.pending', 'paystack refund.failed'];
    for (const [name, , facts] of withFacts) {
      const read = facts as NonNullable<Provider['facts']>;
      for (const type of sampleTypes(name)) {
        const result = read(type, samplePayload(name, type));
        expect(result.problem, `${name} ${type}`).to.equal(undefined);
        const label = `${name} ${type}`;
        if (unnamed.includes(label)) expect(result.object, label).to.equal(undefined);
        else expect(result.object?.id, label).to.be.a('string');
      }
    }
  });
});
