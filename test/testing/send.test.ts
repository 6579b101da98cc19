import { expect } from 'chai';
import Koa from 'koa';
import { createRegistry, type Payments, payments, type Signal } from '../../src/index.js';
import type { VariantSettings } from '../../src/settings.js';
import { samplePayload, sendWebhook, UnknownSampleTypeError } from '../../src/testing/index.js';
import { appWith, listen, type TestServer, tempDir } from '../helpers/server.js';

const STRIPE = { provider: 'stripe', endpointSecret: 'whsec_send_test' } as const;
const PAYSTACK = { provider: 'paystack', secretKey: 'sk_test_send' } as const;
const SQUARE = { provider: 'square', signatureKey: 'square-send-key' } as const;
const ACME = {
  provider: 'hmac',
  secret: 'acme-secret',
  header: 'x-acme-signature',
  prefix: 'sha256=',
  timestampHeader: 'x-acme-timestamp',
  typeHeader: 'x-acme-topic',
  idPath: 'event.id',
  dataPath: 'payload.object',
} as const;

describe('sendWebhook', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pay: Payments;
  let host = 'shop.test';
  const received: Signal[] = [];

  before(async () => {
    tmp = tempDir();
    const registry = createRegistry();
    registry.receiver('*', async (signal) => void received.push(signal), { name: 'record' });
    pay = payments({
      registry,
      database: tmp.file(),
      worker: false,
      host: () => host,
      protocol: 'http',
      variants: { stripe: STRIPE, paystack: PAYSTACK, square: SQUARE, acme: ACME },
    });
    await pay.migrate();
  });

  beforeEach(() => {
    received.length = 0;
  });

  after(async () => {
    await pay.close();
    tmp.remove();
  });

  const storedEvents = async () => (await pay.knex('payments_events').select('event_id')).length;

  describe('to a Koa app', () => {
    it('starts the app on a loopback port, posts a signed sample and returns the answer', async () => {
      const before = await storedEvents();
      const sent = await sendWebhook(appWith(pay), 'stripe', 'checkout.session.completed', {
        settings: STRIPE,
        data: { client_reference_id: '42' },
      });
      expect(sent.status).to.equal(200);
      expect(sent.ok).to.equal(true);
      expect(sent.body).to.deep.equal({
        received: true,
        event: (sent.payload as { id: string }).id,
        duplicate: false,
      });
      expect(sent.request.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/payments\/process\/stripe\/$/);
      expect(received).to.have.length(1);
      expect(received[0]?.data).to.include({ client_reference_id: '42', payment_status: 'paid' });
      expect(await storedEvents()).to.equal(before + 1);
    });

    it('closes the server it started', async () => {
      const sent = await sendWebhook(appWith(pay), 'stripe', 'charge.succeeded', {
        settings: STRIPE,
      });
      const response = await fetch(sent.request.url, { method: 'POST' }).catch((error) => error);
      expect(response).to.be.instanceOf(Error); // nothing listens there any more
    });

    it('honours a mounted prefix', async () => {
      const custom = payments({
        registry: createRegistry(),
        database: tmp.file('prefixed.sqlite3'),
        worker: false,
        prefix: '/hooks',
        variants: { stripe: STRIPE },
      });
      await custom.migrate();
      try {
        const app = new Koa().use(custom.middleware);
        const sent = await sendWebhook(app, 'stripe', 'invoice.paid', {
          settings: STRIPE,
          prefix: '/hooks',
        });
        expect(sent.status).to.equal(200);
        expect(new URL(sent.request.url).pathname).to.equal('/hooks/stripe/');
      } finally {
        await custom.close();
      }
    });
  });

  describe('to a payments() instance', () => {
    it('receives without HTTP and resolves after the receivers ran', async () => {
      const sent = await sendWebhook(pay, 'paystack', 'charge.success', {
        provider: 'paystack',
        secret: PAYSTACK.secretKey,
      });
      const payload = sent.payload as { data: { id: number } };
      expect(sent.status).to.equal(200);
      expect(sent.duplicate).to.equal(false);
      expect(sent.event?.eventId).to.equal(`charge.success:${payload.data.id}`);
      expect(received.map((s) => s.type)).to.deep.equal(['charge.success']);
      expect(received[0]?.data).to.deep.equal(payload.data);
      expect(sent.request.headers['x-paystack-signature']).to.match(/^[0-9a-f]{128}$/);
    });

    it('answers a redelivery of the same payload as a duplicate; the receivers ran once', async () => {
      const payload = samplePayload('stripe', 'payment_intent.succeeded');
      const first = await sendWebhook(pay, 'stripe', payload, { settings: STRIPE });
      const again = await sendWebhook(pay, 'stripe', payload, { settings: STRIPE });
      expect(first.body).to.include({ duplicate: false });
      expect(again.body).to.deep.equal({ received: true, event: payload.id, duplicate: true });
      expect(received).to.have.length(1);
    });

    it('returns the 400 the middleware would answer for a wrong secret', async () => {
      const sent = await sendWebhook(pay, 'stripe', 'charge.refunded', {
        provider: 'stripe',
        secret: 'whsec_someone_else',
      });
      expect(sent.status).to.equal(400);
      expect(sent.ok).to.equal(false);
      expect((sent.body as { error: object }).error).to.include({
        code: 'invalid_signature',
        reason: 'no_matching_signature',
      });
      expect(sent.event).to.equal(undefined);
      expect(received).to.have.length(0);
    });

    it("signs Square's notification URL: pay.webhookUrl(variant) by default", async () => {
      host = 'shop.test:8080';
      const sent = await sendWebhook(pay, 'square', 'payment.updated', { settings: SQUARE });
      expect(sent.status).to.equal(200);
      expect(sent.request.url).to.equal('http://shop.test:8080/payments/process/square/');
      expect(received[0]?.data).to.include({ type: 'payment' });
    });

    it('reads the variant from pay.variantSettings() when the instance has it', async () => {
      const settings: Record<string, VariantSettings> = { stripe: STRIPE };
      const withSettings = { ...pay, variantSettings: (name: string) => settings[name] };
      const sent = await sendWebhook(withSettings as Payments, 'stripe', 'customer.created');
      expect(sent.status).to.equal(200);
      expect(received.map((s) => s.type)).to.deep.equal(['customer.created']);
    });
  });

  describe('to a URL', () => {
    let server: TestServer;
    before(async () => {
      server = await listen(appWith(pay));
    });
    after(() => server.close());

    it('adds the prefix and variant to a bare origin', async () => {
      const sent = await sendWebhook(server.origin, 'stripe', 'invoice.payment_failed', {
        settings: STRIPE,
      });
      expect(sent.status).to.equal(200);
      expect(sent.request.url).to.equal(`${server.origin}/payments/process/stripe/`);
      expect(received.map((s) => s.type)).to.deep.equal(['invoice.payment_failed']);
    });

    it('posts to a full webhook URL as given', async () => {
      const sent = await sendWebhook(
        `${server.origin}/payments/process/paystack/`,
        'paystack',
        'transfer.failed',
        { settings: PAYSTACK },
      );
      expect(sent.status).to.equal(200);
      expect(received.map((s) => s.type)).to.deep.equal(['transfer.failed']);
    });

    it('places the sample where an hmac variant reads it, and sends its type header', async () => {
      const sent = await sendWebhook(server.origin, 'acme', 'payment.succeeded', {
        settings: ACME,
        data: { amount: 1234 },
      });
      expect(sent.status).to.equal(200);
      const payload = sent.payload as { event: { id: string }; payload: { object: object } };
      expect(sent.body).to.include({ event: payload.event.id });
      expect(sent.request.headers['x-acme-topic']).to.equal('payment.succeeded');
      expect(sent.request.headers['x-acme-signature']).to.match(/^sha256=[0-9a-f]{64}$/);
      expect(received[0]?.type).to.equal('payment.succeeded');
      expect(received[0]?.data).to.deep.equal(payload.payload.object);
      expect(received[0]?.data).to.include({ amount: 1234, object: 'payment' });
    });
  });

  describe('mistakes', () => {
    it('says how to give the provider and secret when it cannot tell them', async () => {
      // A Koa app does not reveal its payments() instance, so its settings are unknown.
      const error = await sendWebhook(appWith(pay), 'stripe', 'charge.succeeded').catch((e) => e);
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.match(/pass \{ settings \}.*or \{ provider: 'stripe', secret \}/);
    });

    it('refuses a variant with a custom provider', async () => {
      const custom = {
        provider: { name: 'acme', verify: () => ({}) },
      } as unknown as VariantSettings;
      const error = await sendWebhook(pay, 'x', 'a.b', { settings: custom }).catch((e) => e);
      expect(error.message).to.match(/custom provider \(acme\)/);
    });

    it('refuses an unknown event type of a provider with samples', async () => {
      const error = await sendWebhook(pay, 'stripe', 'charge.succeed', { settings: STRIPE }).catch(
        (e) => e,
      );
      expect(error).to.be.instanceOf(UnknownSampleTypeError);
    });

    it('refuses data together with a ready-made payload', async () => {
      const error = await sendWebhook(pay, 'stripe', samplePayload('stripe', 'charge.succeeded'), {
        settings: STRIPE,
        data: { amount: 1 },
      }).catch((e) => e);
      expect(error.message).to.match(/`data` applies to a sample built from an event type/);
    });
  });
});
