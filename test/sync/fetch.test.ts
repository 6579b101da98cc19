/**
 * `signal.fetch()`: a receiver loads the object its event is about from the provider's API,
 * against loopback fakes of the APIs, for a webhook received over HTTP.
 */
import { expect } from 'chai';
import {
  ConfigurationError,
  createRegistry,
  NotFoundAtProviderError,
  PaymentsError,
  type Signal,
} from '../../src/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { PaystackApiFake } from '../fakes/paystack-api.js';
import { fakeForEach } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

type Json = Record<string, unknown>;

const KEY = 'sk_test_51SignalFetch';
const SECRET = 'whsec_signal_fetch';
const PAYSTACK_KEY = 'sk_test_signal_fetch_paystack';

/** What the receiver fetched (or the error it got). */
type Fetched = { value?: unknown; error?: unknown; twice?: boolean };

describe('signal.fetch()', () => {
  const stripeApi = fakeForEach(() => new StripeApiFake(KEY));
  const paystackApi = fakeForEach(() => new PaystackApiFake(PAYSTACK_KEY));
  const fetched: Fetched[] = [];
  const served = servedForEach('sqlite', (db) => {
    const registry = createRegistry();
    registry.receiver('*', async function load(signal: Signal) {
      try {
        const value = await signal.fetch();
        fetched.push({ value, twice: (await signal.fetch()) === value });
      } catch (error) {
        fetched.push({ error });
      }
    });
    return {
      database: db.setting,
      registry,
      variants: {
        stripe: {
          provider: 'stripe',
          endpointSecret: SECRET,
          apiKey: KEY,
          apiBase: stripeApi.current.origin,
        },
        bare: { provider: 'stripe', endpointSecret: SECRET },
        paystack: {
          provider: 'paystack',
          secretKey: PAYSTACK_KEY,
          apiBase: paystackApi.current.origin,
        },
      },
    };
  });
  beforeEach(() => {
    fetched.length = 0;
  });

  async function send(variant: string, payload: Json, secret = SECRET): Promise<Fetched> {
    const provider = variant === 'paystack' ? 'paystack' : 'stripe';
    const { body, headers } = signWebhook(provider, { payload, secret });
    const res = await post(served.url(variant), body, headers);
    expect(res.status).to.equal(200);
    expect(fetched).to.have.length(1);
    return fetched[0] as Fetched;
  }

  it("loads a thin event's related_object at its url, in the event's context, once per signal", async () => {
    const meter = { id: 'mtr_test_61R9', object: 'billing.meter', status: 'active' };
    stripeApi.current.addObject(meter);
    const thin = {
      id: 'evt_test_65R9thin',
      object: 'v2.core.event',
      type: 'v1.billing.meter.error_report_triggered',
      livemode: false,
      created: new Date().toISOString(),
      context: 'acct_1Context',
      related_object: {
        id: meter.id,
        type: 'billing.meter',
        url: `/v1/billing/meters/${meter.id}`,
      },
    };
    const result = await send('stripe', thin);
    expect(result).to.deep.equal({ value: meter, twice: true });
    const requests = stripeApi.current.requests;
    expect(requests.map((r) => r.path)).to.deep.equal([`/v1/billing/meters/${meter.id}`]);
    expect(requests[0]?.headers['stripe-context']).to.equal('acct_1Context');
  });

  it("loads a snapshot event's data.object as it is now, on behalf of a Connect event's account", async () => {
    const event = samplePayload('stripe', 'checkout.session.completed', {
      account: 'acct_1Connected',
    });
    const session = (event.data as { object: Json }).object;
    const now = { ...session, payment_status: 'paid', metadata: { fresh: 'yes' } };
    stripeApi.current.addObject(now);
    const result = await send('stripe', event);
    expect(result.value).to.deep.equal(now);
    const [request] = stripeApi.current.requests;
    expect(request?.path).to.equal(`/v1/checkout/sessions/${session.id}`);
    expect(request?.headers['stripe-account']).to.equal('acct_1Connected');
  });

  it('rejects with NotFoundAtProviderError when Stripe does not know the object', async () => {
    const result = await send('stripe', samplePayload('stripe', 'charge.succeeded'));
    expect(result.error).to.be.instanceOf(NotFoundAtProviderError);
  });

  it('refuses an object Stripe serves only under its parent, without a request', async () => {
    const event = samplePayload('stripe', 'charge.succeeded', {
      type: 'customer.source.created',
      data: { object: { id: 'card_1', object: 'card' } },
    });
    const result = await send('stripe', event);
    expect(result.error).to.be.instanceOf(PaymentsError);
    expect((result.error as Error).message).to.include(
      'Stripe serves a card only through its parent',
    );
    expect(stripeApi.current.requests).to.deep.equal([]);
  });

  it('says which option to set on a variant without an API key', async () => {
    const result = await send('bare', samplePayload('stripe', 'charge.succeeded'));
    expect(result.error).to.be.instanceOf(ConfigurationError);
    expect((result.error as Error).message).to.equal(
      "koa-payments: variants.bare.apiKey: signal.fetch() asks the provider's API, and the stripe variant has no API credentials (apiKey)",
    );
  });

  it("loads a Paystack charge's transaction by its reference", async () => {
    const payload = samplePayload('paystack', 'charge.success');
    const transaction: Json = { ...(payload.data as Json), fees: 150 };
    paystackApi.current.addTransaction(transaction);
    const result = await send('paystack', payload, PAYSTACK_KEY);
    expect(result.value).to.deep.equal(transaction);
    expect(paystackApi.current.requests[0]?.path).to.equal(
      `/transaction/verify/${transaction.reference}`,
    );
  });
});
