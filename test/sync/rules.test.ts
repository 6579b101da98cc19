/**
 * Events fetched from the provider's API (sync, reconcile) follow the variant's rules as a
 * webhook does: its `mode` (an event of the other mode is stored as ignored, `mode_mismatch`,
 * and runs no receiver), and for Stripe the check of the events' API version.
 */
import { expect } from 'chai';
import Stripe from 'stripe';
import { createRegistry, type VariantSettings } from '../../src/index.js';
import { installedStripeApiVersion } from '../../src/providers/stripe/api-version.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import type { PaystackApiFake } from '../fakes/paystack-api.js';
import { fakeForEach } from '../fakes/server.js';
import type { StripeApiFake } from '../fakes/stripe-api.js';
import { DIALECTS } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';
import { CASES, type SyncCase } from './cases.js';

type Json = Record<string, unknown>;

const stripeCase = CASES.find((c) => c.provider === 'stripe') as SyncCase;
const paystackCase = CASES.find((c) => c.provider === 'paystack') as SyncCase;

/** A Stripe event created a few minutes ago, of the given mode and API version. */
function stripeEvent(livemode: boolean, apiVersion: string = Stripe.API_VERSION): Json {
  const created = Math.floor(Date.now() / 1000) - 120;
  return samplePayload('stripe', 'charge.succeeded', {
    created,
    livemode,
    api_version: apiVersion,
    data: { object: { created, livemode } },
  });
}

for (const dialect of DIALECTS)
  describe(`events from the API follow the variant's mode, on ${dialect}`, () => {
    const stripeApi = fakeForEach(() => stripeCase.fake());
    const paystackApi = fakeForEach(() => paystackCase.fake());
    const calls: string[] = [];
    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('*', async function record({ event }) {
        calls.push(event.eventId);
      });
      return {
        database: db.setting,
        registry,
        variants: {
          stripe: {
            provider: 'stripe',
            ...stripeCase.options(stripeApi.current.origin),
            mode: 'test',
          } as VariantSettings,
          paystack: {
            provider: 'paystack',
            ...paystackCase.options(paystackApi.current.origin),
            mode: 'live',
          } as VariantSettings,
        },
      };
    });
    beforeEach(() => {
      calls.length = 0;
    });

    it('stores a live-mode event that sync lists for a test variant as ignored, running no receiver, as its webhook would be', async () => {
      const live = stripeEvent(true);
      const test = stripeEvent(false);
      (stripeApi.current as StripeApiFake).addEvent(live).addEvent(test);
      const result = await served.pay.sync('stripe', { since: '1h' });
      expect(result).to.deep.equal({ fetched: 2, stored: 2, duplicates: 0 });
      expect(await served.pay.events.get(String(live.id), 'stripe')).to.deep.include({
        status: 'ignored',
        ignoredReason: 'mode_mismatch',
        source: 'sync',
      });
      expect(await served.pay.events.get(String(test.id), 'stripe')).to.deep.include({
        status: 'processed',
        ignoredReason: null,
        source: 'sync',
      });
      expect(calls).to.deep.equal([test.id]);
      const deliveries = await served.pay.knex('payments_deliveries').select('event');
      expect(deliveries).to.have.length(1);
      // Its webhook, should Stripe deliver it later, is a duplicate that runs nothing either.
      const webhook = signWebhook('stripe', {
        payload: live,
        secret: stripeCase.options('').endpointSecret as string,
      });
      const res = await post(served.url('stripe'), webhook.body, webhook.headers);
      expect(res.body).to.deep.include({ duplicate: true });
      expect(calls).to.deep.equal([test.id]);
    });

    it('stores a test-mode payment that reconcile finds for a live variant as ignored, running no receiver', async () => {
      const data: Json = {
        ...(samplePayload('paystack', 'charge.success').data as Json),
        domain: 'test',
      };
      (paystackApi.current as PaystackApiFake).addTransaction(data);
      const [result] = await served.pay.reconcile('paystack', [String(data.reference)]);
      expect(result).to.deep.include({ status: 'stored', paymentStatus: 'success' });
      expect(result?.event).to.deep.include({
        status: 'ignored',
        ignoredReason: 'mode_mismatch',
        source: 'reconcile',
      });
      expect(calls).to.deep.equal([]);
    });
  });

describe('events from the Stripe API and the API version', () => {
  const api = fakeForEach(() => stripeCase.fake());
  const logger = recordingLogger();
  const served = servedForEach('sqlite', (db) => ({
    database: db.setting,
    registry: createRegistry(),
    logger,
    variants: {
      stripe: { provider: 'stripe', ...stripeCase.options(api.current.origin) } as VariantSettings,
    },
  }));

  it("warns once per API version that differs from the installed stripe package's, as for webhooks", async () => {
    // Stripe renders an event listed through the API in the account's API version of the day
    // it was created, whatever version the webhook endpoint pins.
    (api.current as StripeApiFake)
      .addEvent(stripeEvent(false, '2024-06-20'))
      .addEvent(stripeEvent(false, '2024-06-20'))
      .addEvent(stripeEvent(false));
    expect(await served.pay.sync('stripe', { since: '1h' })).to.deep.include({ stored: 3 });
    await installedStripeApiVersion();
    const warnings = logger.at('warn').filter((entry) => 'apiVersion' in entry.fields);
    expect(warnings.map((entry) => entry.fields)).to.deep.equal([
      { variant: 'stripe', apiVersion: '2024-06-20', typesApiVersion: Stripe.API_VERSION },
    ]);
  });
});
