/** The API options of the stripe, paystack and flutterwave variants, validated at construction. */
import { expect } from 'chai';
import { ConfigurationError, payments } from '../../../src/index.js';
import { flutterwave } from '../../../src/providers/flutterwave/verify.js';
import { paystack } from '../../../src/providers/paystack/verify.js';
import { requireStripePackage } from '../../../src/providers/stripe/sdk.js';
import { stripe } from '../../../src/providers/stripe/verify.js';
import { configurationErrorOf } from '../../helpers/provider.js';

const context = (variant: string) => ({ variant, webhookUrl: () => '' });
const STRIPE = { endpointSecret: 'whsec_options' };
const FLUTTERWAVE = { secretHash: 'options-hash' };
const FLW_KEY = 'FLWSECK_TEST-abcdef0123456789-X';

/** The ConfigurationError of building a stripe variant named `shop` with `options`. */
const stripeError = (options: Record<string, unknown>) =>
  configurationErrorOf(() => stripe({ ...STRIPE, ...options } as never, context('shop')));

describe('provider API options', () => {
  it("refuses validation: 'retrieve' without the API key, naming the variant and the option", () => {
    const error = stripeError({ validation: 'retrieve' });
    expect(error).to.include({ option: 'variants.shop.apiKey', variant: 'shop' });
    expect(error.message).to.contain("is required with validation: 'retrieve'");
    const flw = configurationErrorOf(() =>
      flutterwave({ ...FLUTTERWAVE, validation: 'retrieve' }, context('flw')),
    );
    expect(flw).to.include({ option: 'variants.flw.apiKey', variant: 'flw' });
  });

  it('refuses it through payments() too, at construction', () => {
    expect(() =>
      payments({
        database: ':memory:',
        variants: { stripe: { provider: 'stripe', ...STRIPE, validation: 'retrieve' } },
      }),
    ).to.throw(ConfigurationError, /variants\.stripe\.apiKey/);
  });

  it('accepts Stripe secret and restricted keys, never publishable keys or signing secrets', () => {
    for (const apiKey of ['sk_test_51Abc', 'sk_live_51Abc', 'rk_live_51Abc', 'rk_test_x1']) {
      expect(stripe({ ...STRIPE, apiKey }, context('shop')).api, apiKey).not.to.equal(undefined);
    }
    const cases: [string, RegExp][] = [
      ['pk_live_51SecretLooking', /publishable key/],
      ['whsec_51SecretLooking', /webhook signing secret/],
      ['sk_test_51Secret\n', /whitespace/],
      ['51SecretLooking', /must be a secret key \(sk_live_\.\.\. or sk_test_\.\.\.\)/],
    ];
    for (const [apiKey, message] of cases) {
      const error = stripeError({ apiKey });
      expect(error.option, apiKey).to.equal('variants.shop.apiKey');
      expect(error.message, apiKey).to.match(message);
      expect(error.message, apiKey).not.to.contain('51SecretLooking');
    }
    expect(stripeError({ apiKey: 42 }).message).to.contain('got a number');
  });

  it('accepts Flutterwave secret keys, not the public key or the encryption key', () => {
    expect(flutterwave({ ...FLUTTERWAVE, apiKey: FLW_KEY }, context('f')).api).not.to.equal(
      undefined,
    );
    for (const [apiKey, message] of [
      ['FLWPUBK_TEST-abcdef0123456789-X', /public key/],
      ['FLWSECK_TEST0123456789ab', /encryption key/],
      ['sk_test_abc', /must be the secret key/],
    ] as const) {
      const error = configurationErrorOf(() =>
        flutterwave({ ...FLUTTERWAVE, apiKey }, context('f')),
      );
      expect(error.option).to.equal('variants.f.apiKey');
      expect(error.message, apiKey).to.match(message);
      expect(error.message, apiKey).not.to.contain(apiKey);
    }
  });

  it('validates apiBase: an http(s) URL without credentials, query or (for Stripe) a path', () => {
    const cases: [unknown, RegExp][] = [
      ['not a url', /is not a URL/],
      ['ftp://api.example.com', /http:\/\/ or https:\/\//],
      ['https://user:pass@api.example.com', /credentials/],
      ['https://api.example.com/?x=1', /query/],
      ['https://proxy.example.com/stripe', /scheme, host and port only/],
      ['', /must be a URL string/],
    ];
    for (const [apiBase, message] of cases) {
      const error = stripeError({ apiKey: 'sk_test_x', apiBase });
      expect(error.option, String(apiBase)).to.equal('variants.shop.apiBase');
      expect(error.message, String(apiBase)).to.match(message);
    }
    // Paystack and Flutterwave keep a proxy's path prefix.
    expect(() =>
      paystack(
        { secretKey: 'sk_test_p', apiBase: 'https://proxy.example.com/paystack' },
        context('p'),
      ),
    ).not.to.throw();
  });

  it("refuses a validation other than 'signature' or 'retrieve'", () => {
    const error = stripeError({ validation: 'retrieve_event' });
    expect(error.option).to.equal('variants.shop.validation');
    expect(
      configurationErrorOf(() =>
        paystack({ secretKey: 'sk_test_p', validation: 'api' as never }, context('p')),
      ).option,
    ).to.equal('variants.p.validation');
  });

  it('gives Paystack variants the API always: the secret key is the API key', () => {
    expect(paystack({ secretKey: 'sk_test_p' }, context('p')).api).not.to.equal(undefined);
    expect(stripe(STRIPE, context('s')).api).to.equal(undefined);
    expect(flutterwave(FLUTTERWAVE, context('f')).api).to.equal(undefined);
  });

  it('says to install the stripe package when a variant needs it and it is missing', () => {
    const error = configurationErrorOf(() =>
      requireStripePackage('shop', 'apiKey', () => {
        throw new Error("Cannot find module 'stripe'");
      }),
    );
    expect(error).to.include({ option: 'variants.shop.apiKey', variant: 'shop' });
    expect(error.message).to.contain('npm install stripe');
    expect(() => requireStripePackage('shop', 'apiKey')).not.to.throw();
  });
});
