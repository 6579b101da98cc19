/**
 * Stripe thin events (event destinations with thin payloads): `object: 'v2.core.event'`, no
 * snapshot, `related_object` naming the object; signed with the same Stripe-Signature scheme.
 */
import { expect } from 'chai';
import Stripe from 'stripe';
import { createRegistry } from '../../../src/index.js';
import { stripe as stripeProvider } from '../../../src/providers/stripe/verify.js';
import { signWebhook } from '../../../src/testing/index.js';
import { fakeForEach } from '../../fakes/server.js';
import { StripeApiFake } from '../../fakes/stripe-api.js';
import { DIALECTS } from '../../helpers/databases.js';
import { servedForEach, verifySync, webhookRequest } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

const SECRET = 'whsec_thin_events';
const KEY = 'sk_test_51ThinEvents';

/** A thin event as Stripe documents it (docs.stripe.com/api/v2/core/events). */
function thinEvent(overrides: Record<string, unknown> = {}) {
  return {
    id: 'evt_test_65R9Ijk8d8Ko6ZbKd6B16S1K6G7RSQK6g2BOHb9JT2e6Sc',
    object: 'v2.core.event',
    type: 'v1.billing.meter.error_report_triggered',
    livemode: false,
    created: '2026-11-23T06:20:52.246Z',
    context: null,
    related_object: {
      id: 'mtr_test_61R9IeFOdqGG7xYgU41IeFOdqGsI3pnA',
      type: 'billing.meter',
      url: '/v1/billing/meters/mtr_test_61R9IeFOdqGG7xYgU41IeFOdqGsI3pnA',
    },
    ...overrides,
  };
}

/** The same event as `GET /v2/core/events/:id` returns it: with its reason and data. */
function fetchedThinEvent(overrides: Record<string, unknown> = {}) {
  return {
    ...thinEvent(overrides),
    reason: { type: 'request', request: { id: 'req_v2abc', idempotency_key: 'key-1' } },
    data: {
      developer_message_summary: 'There is 1 invalid event',
      reason: { error_count: 1, error_types: [] },
    },
  };
}

describe('stripe thin events', () => {
  const context = { variant: 'stripe', webhookUrl: () => '' };

  it('verifies a thin event like a snapshot event: id, type, related_object as data', () => {
    const provider = stripeProvider({ endpointSecret: SECRET }, context);
    const { body, headers } = signWebhook('stripe', { payload: thinEvent(), secret: SECRET });
    const event = verifySync(provider, webhookRequest(body, headers));
    expect(event).to.deep.include({
      id: thinEvent().id,
      type: 'v1.billing.meter.error_report_triggered',
      livemode: false,
      data: thinEvent().related_object,
    });
    expect(event.createdAt?.toISOString()).to.equal('2026-11-23T06:20:52.246Z');
    expect(provider.dataOf?.(event.payload)).to.deep.equal(thinEvent().related_object);
  });

  it("reads the event as the official SDK's thin-event parser does", () => {
    const { body, headers } = signWebhook('stripe', { payload: thinEvent(), secret: SECRET });
    const sdk = new Stripe('sk_test_not_used_for_network') as unknown as Record<
      string,
      (body: string, header: string, secret: string) => Record<string, unknown>
    >;
    const parse = sdk.parseEventNotification ?? sdk.parseThinEvent;
    if (parse === undefined)
      throw new Error('the installed stripe package has no thin-event parser');
    const notification = parse.call(sdk, body, headers['stripe-signature'] as string, SECRET);
    const event = verifySync(
      stripeProvider({ endpointSecret: SECRET }, context),
      webhookRequest(body, headers),
    );
    expect(event.id).to.equal(notification.id);
    expect(event.type).to.equal(notification.type);
    expect(event.livemode).to.equal(notification.livemode);
    expect(event.data).to.deep.equal(notification.related_object);
  });
});

for (const dialect of DIALECTS)
  describe(`stripe thin events over HTTP on ${dialect}`, () => {
    const api = fakeForEach(() => new StripeApiFake(KEY));
    const received: unknown[] = [];
    let fake: StripeApiFake;

    beforeEach(() => {
      fake = api.current;
      received.length = 0;
    });

    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('v1.billing.meter.*', async function record({ data }) {
        received.push(data);
      });
      return {
        database: db.setting,
        registry,
        variants: {
          signed: { provider: 'stripe', endpointSecret: SECRET, apiKey: KEY, apiBase: fake.origin },
          retrieved: {
            provider: 'stripe',
            endpointSecret: SECRET,
            apiKey: KEY,
            apiBase: fake.origin,
            validation: 'retrieve',
          },
        },
      };
    });

    it('stores a thin event with its id and type, the related object reference as data', async () => {
      const { body, headers } = signWebhook('stripe', { payload: thinEvent(), secret: SECRET });
      const res = await post(served.url('signed'), body, headers);
      expect(res.body).to.deep.equal({ received: true, event: thinEvent().id, duplicate: false });
      const [row] = await served.pay.knex('payments_events');
      expect(row).to.include({ event_id: thinEvent().id, type: thinEvent().type });
      expect(JSON.parse(row.payload)).to.deep.equal(thinEvent());
      expect(received).to.deep.equal([thinEvent().related_object]);
      expect(fake.requests).to.deep.equal([]);
    });

    it("with validation: 'retrieve', stores the event from GET /v2/core/events/:id, in its context", async () => {
      const context = 'acct_1Connected';
      fake.addThinEvent(fetchedThinEvent({ context }));
      const { body, headers } = signWebhook('stripe', {
        payload: thinEvent({ context }),
        secret: SECRET,
      });
      const res = await post(served.url('retrieved'), body, headers);
      expect(res.status).to.equal(200);
      expect(fake.requests.map((request) => request.path)).to.deep.equal([
        `/v2/core/events/${thinEvent().id}`,
      ]);
      expect(fake.requests[0]?.headers['stripe-context']).to.equal(context);
      const [row] = await served.pay.knex('payments_events');
      expect(JSON.parse(row.payload)).to.deep.equal(fetchedThinEvent({ context }));
      expect(received).to.deep.equal([thinEvent().related_object]);
    });

    it('answers 400 not_found_at_provider for a thin event the API does not know', async () => {
      const { body, headers } = signWebhook('stripe', { payload: thinEvent(), secret: SECRET });
      const res = await post(served.url('retrieved'), body, headers);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('not_found_at_provider');
      expect(received).to.deep.equal([]);
    });
  });
