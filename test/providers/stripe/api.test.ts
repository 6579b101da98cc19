import { expect } from 'chai';
import Stripe from 'stripe';
import {
  NotFoundAtProviderError,
  ProviderUnavailableError,
} from '../../../src/providers/shared/api-errors.js';
import { StripeApi, stripeApiEvent } from '../../../src/providers/stripe/api.js';
import { stripe as stripeProvider } from '../../../src/providers/stripe/verify.js';
import { samplePayload, signWebhook } from '../../../src/testing/index.js';
import { fakeForEach } from '../../fakes/server.js';
import { StripeApiFake } from '../../fakes/stripe-api.js';
import { rejection, verifySync, webhookRequest } from '../../helpers/provider.js';

const KEY = 'sk_test_51KoaPaymentsApiKey';
const SECRET = 'whsec_api_test_secret';

/** `count` events of `type`, one second apart from `start`. */
function events(count: number, type: string, start: number, prefix = 'evt_'): Stripe.Event[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `${prefix}${String(start + index).padStart(4, '0')}`;
    return samplePayload('stripe', type, { id, created: start + index }) as unknown as Stripe.Event;
  });
}

describe('stripe API', () => {
  const fake = fakeForEach(() => new StripeApiFake(KEY));
  const slept: number[] = [];

  function api(options: { timeoutMs?: number; apiKey?: string } = {}): StripeApi {
    return new StripeApi({
      apiKey: options.apiKey ?? KEY,
      apiBase: new URL(fake.current.origin),
      http: {
        sleep: async (ms) => {
          slept.push(ms);
        },
        random: () => 0.5,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    });
  }

  beforeEach(() => {
    slept.length = 0;
  });

  it('retrieves an event through the stripe package, at apiBase, with the key', async () => {
    const [event] = events(1, 'charge.succeeded', 1_700_000_000);
    fake.current.addEvent(event as unknown as Record<string, unknown>);
    const fetched = await api().retrieveEvent(event?.id as string);
    expect(fetched).to.deep.include({ id: event?.id, type: 'charge.succeeded' });
    const [seen] = fake.current.requests;
    expect(seen).to.include({ method: 'GET', path: `/v1/events/${event?.id}` });
    expect(seen?.headers.authorization).to.equal(`Bearer ${KEY}`);
    expect(seen?.headers['stripe-version']).to.equal(Stripe.API_VERSION);
    expect(seen?.headers['x-stripe-client-telemetry']).to.equal(undefined);
  });

  it('lists every page of /v1/events as documented: created range, limit, starting_after', async () => {
    for (const event of events(7, 'charge.succeeded', 1_700_000_000)) {
      fake.current.addEvent(event as unknown as Record<string, unknown>);
    }
    const pages: string[][] = [];
    for await (const page of api().events({
      since: new Date(1_700_000_001_000),
      until: new Date(1_700_000_005_000),
      pageSize: 2,
    })) {
      pages.push(page.map((event) => event.id));
    }
    expect(pages).to.deep.equal([
      ['evt_1700000005', 'evt_1700000004'],
      ['evt_1700000003', 'evt_1700000002'],
      ['evt_1700000001'],
    ]);
    const queries = fake.current.requests.map((request) => Object.fromEntries(request.query));
    expect(queries).to.deep.equal([
      { 'created[gte]': '1700000001', 'created[lte]': '1700000005', limit: '2' },
      {
        'created[gte]': '1700000001',
        'created[lte]': '1700000005',
        limit: '2',
        starting_after: 'evt_1700000004',
      },
      {
        'created[gte]': '1700000001',
        'created[lte]': '1700000005',
        limit: '2',
        starting_after: 'evt_1700000002',
      },
    ]);
  });

  it('asks for undelivered events with delivery_success=false', async () => {
    const [delivered, failed] = events(2, 'invoice.paid', 1_700_000_000);
    fake.current.addEvent(delivered as unknown as Record<string, unknown>);
    fake.current.addEvent(failed as unknown as Record<string, unknown>, {
      deliverySuccess: false,
    });
    const ids: string[] = [];
    for await (const page of api().events({ deliverySuccess: false })) {
      ids.push(...page.map((event) => event.id));
    }
    expect(ids).to.deep.equal([failed?.id]);
    expect(fake.current.requests[0]?.query.get('delivery_success')).to.equal('false');
  });

  it('sends exact types in types[] by twenties and each prefix.* pattern as type, once per event', async () => {
    fake.current.addEvent(events(1, 'charge.succeeded', 1_700_000_000)[0] as never);
    fake.current.addEvent(events(1, 'payment_intent.succeeded', 1_700_000_010)[0] as never);
    fake.current.addEvent(events(1, 'invoice.paid', 1_700_000_020)[0] as never);
    const types = [
      'charge.succeeded',
      ...Array.from({ length: 20 }, (_, index) => `x.type_${index}`),
      'payment_intent.*',
      'charge.*',
    ];
    const ids: string[] = [];
    for await (const page of api().events({ types })) ids.push(...page.map((event) => event.id));
    expect(ids).to.deep.equal(['evt_1700000000', 'evt_1700000010']);
    const filters = fake.current.requests.map((request) => ({
      types: [...request.query.keys()].filter((key) => key.startsWith('types[')).length,
      type: request.query.get('type'),
    }));
    expect(filters).to.deep.equal([
      { types: 20, type: null },
      { types: 1, type: null },
      { types: 0, type: 'payment_intent.*' },
      { types: 0, type: 'charge.*' },
    ]);
  });

  it('lists events as their webhooks carry them: same ids, data.object, the fetched JSON', async () => {
    const [event] = events(1, 'checkout.session.completed', Math.floor(Date.now() / 1000));
    fake.current.addEvent(event as unknown as Record<string, unknown>);
    const pages = [];
    for await (const page of api().listEvents({ since: new Date(Date.now() - 60_000) })) {
      pages.push(page);
    }
    const provider = stripeProvider(
      { endpointSecret: SECRET },
      { variant: 'stripe', webhookUrl: () => '' },
    );
    const signed = signWebhook('stripe', { payload: event, secret: SECRET });
    const webhook = verifySync(provider, webhookRequest(signed.body, signed.headers));
    expect(pages).to.have.length(1);
    expect(pages[0]?.fetched).to.equal(1);
    const listed = pages[0]?.events[0];
    expect(listed).to.deep.include({ id: webhook.id, type: webhook.type, livemode: false });
    expect(listed?.data).to.deep.equal(webhook.data);
    expect(JSON.parse(listed?.payloadText as string)).to.deep.equal(event);
  });

  it('maps a v2 event from the SDK to its webhook event, as plain JSON without SDK methods', () => {
    const related = { id: 'mtr_1', type: 'billing.meter', url: '/v1/billing/meters/mtr_1' };
    const fromSdk = {
      id: 'evt_test_thin1',
      object: 'v2.core.event',
      type: 'v1.billing.meter.error_report_triggered',
      livemode: true,
      created: '2026-11-23T06:20:52.246Z',
      related_object: related,
      fetchRelatedObject: () => Promise.resolve(null),
    };
    const event = stripeApiEvent(fromSdk);
    expect(event).to.deep.include({ id: 'evt_test_thin1', livemode: true, data: related });
    expect(event.createdAt?.toISOString()).to.equal('2026-11-23T06:20:52.246Z');
    expect(event.payload).not.to.have.property('fetchRelatedObject');
    expect(JSON.parse(event.payloadText as string)).to.deep.equal(event.payload);
  });

  it('waits out a 429 with Retry-After and a 500, then returns the event', async () => {
    const [event] = events(1, 'charge.succeeded', 1_700_000_000);
    fake.current.addEvent(event as unknown as Record<string, unknown>);
    fake.current.script(
      '/v1/events/',
      {
        status: 429,
        body: { error: { type: 'rate_limit_error' } },
        headers: { 'retry-after': '1' },
      },
      { status: 500, body: { error: { type: 'api_error' } } },
    );
    const fetched = await api().retrieveEvent(event?.id as string);
    expect(fetched.id).to.equal(event?.id);
    expect(fake.current.requests).to.have.length(3);
    expect(slept).to.deep.equal([1000, 500]);
  });

  it("follows Stripe-Should-Retry: false and reports the 500 with Stripe's request id", async () => {
    fake.current.script('/v1/events/', {
      status: 500,
      body: { error: { type: 'api_error', message: 'boom' } },
      headers: { 'stripe-should-retry': 'false' },
    });
    const error = await rejection(api().retrieveEvent('evt_1'));
    expect(error).to.be.instanceOf(ProviderUnavailableError);
    expect(error).to.include({
      reason: 'server_error',
      providerStatus: 500,
      path: '/v1/events/evt_1',
    });
    expect((error as ProviderUnavailableError).requestId).to.match(/^req_fake\d+$/);
    expect(fake.current.requests).to.have.length(1);
  });

  it('reports 429 after the retries as rate_limited', async () => {
    const limited = { status: 429, body: { error: { type: 'rate_limit_error' } } };
    fake.current.script('/v1/events', limited, limited, limited);
    const error = await rejection(api().retrieveEvent('evt_1'));
    expect(error).to.include({ code: 'provider_unavailable', reason: 'rate_limited' });
    expect(fake.current.requests).to.have.length(3);
  });

  it('times out a hung socket through the stripe package: timeout', async () => {
    fake.current.script('/v1/events', 'hang', 'hang', 'hang');
    const error = await rejection(api({ timeoutMs: 60 }).retrieveEvent('evt_1'));
    expect(error).to.be.instanceOf(ProviderUnavailableError);
    expect(error).to.include({ reason: 'timeout', path: '/v1/events/evt_1' });
    expect(fake.current.requests).to.have.length(3);
  });

  it('maps a 404 to not_found_at_provider, hinting at a test key for a live event', async () => {
    const error = await rejection(
      api().confirm({
        id: 'evt_live',
        type: 'charge.succeeded',
        data: {},
        payload: {},
        livemode: true,
      }),
    );
    expect(error).to.be.instanceOf(NotFoundAtProviderError);
    expect(error).to.include({ code: 'not_found_at_provider', status: 400, providerStatus: 404 });
    expect(error.message).to.contain('Stripe has no event evt_live (GET /v1/events/evt_live (404');
    expect(error.message).to.contain(
      'The API key is a test-mode key and the event comes from live mode.',
    );
  });

  it('maps a refused key to unauthorized without echoing either key', async () => {
    const wrong = 'sk_test_51WrongKeyNotTheFakes';
    const error = await rejection(api({ apiKey: wrong }).retrieveEvent('evt_1'));
    expect(error).to.include({ reason: 'unauthorized', providerStatus: 401 });
    const text = `${error.message} ${JSON.stringify(error)}`;
    expect(text).not.to.contain(wrong);
    expect(text).not.to.contain(KEY);
  });

  it('retrieves on behalf of a connected account (Stripe-Account)', async () => {
    fake.current.addEvent(events(1, 'customer.created', 1_700_000_000)[0] as never);
    await api().retrieveEvent('evt_1700000000', { account: 'acct_1Connected' });
    expect(fake.current.requests[0]?.headers['stripe-account']).to.equal('acct_1Connected');
  });

  it('retrieves PaymentIntents and Checkout Sessions for reconciliation', async () => {
    fake.current.addObject({ id: 'pi_123', object: 'payment_intent', status: 'succeeded' });
    fake.current.addObject({ id: 'cs_test_123', object: 'checkout.session', status: 'complete' });
    expect((await api().retrievePaymentIntent('pi_123')).status).to.equal('succeeded');
    expect((await api().retrieveCheckoutSession('cs_test_123')).status).to.equal('complete');
    expect(fake.current.requests.map((request) => request.path)).to.deep.equal([
      '/v1/payment_intents/pi_123',
      '/v1/checkout/sessions/cs_test_123',
    ]);
    expect(await rejection(api().retrievePaymentIntent('pi_nope'))).to.be.instanceOf(
      NotFoundAtProviderError,
    );
  });
});
