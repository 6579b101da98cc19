import { expect } from 'chai';
import {
  createRegistry,
  type Payments,
  PaymentsError,
  payments,
  type Registry,
} from '../src/index.js';
import { signWebhook } from '../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js';
import { appWith, listen, post, type TestServer } from './helpers/server.js';

const SECRET = 'whsec_replay_test';

for (const dialect of DIALECTS)
  describe(`replay and inspection on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let server: TestServer;
    let ran: string[];
    let failing: Set<string>;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      ran = [];
      failing = new Set();
      registry = createRegistry();
      for (const name of ['fulfil', 'email', 'analytics']) {
        registry.receiver(
          'checkout.session.completed',
          async ({ attempt }) => {
            ran.push(`${name}#${attempt}`);
            if (failing.has(name)) throw new Error(`${name} is down`);
          },
          { name },
        );
      }
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        variants: {
          stripe: { provider: 'stripe', endpointSecret: SECRET },
          stripe_eu: { provider: 'stripe', endpointSecret: SECRET },
        },
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    });

    afterEach(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
    });

    const send = (id: string, type = 'checkout.session.completed', variant = 'stripe') => {
      const payload = { id, type, created: 1_700_000_000, data: { object: { id: `cs_${id}` } } };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      return post(`${server.origin}/payments/process/${variant}/`, body, headers);
    };

    it('replays only the failed deliveries by default', async () => {
      failing.add('email');
      await send('evt_r1');
      failing.clear();
      ran.length = 0;
      const detail = await pay.replay('evt_r1');
      expect(ran).to.deep.equal(['email#2']);
      expect(detail.status).to.equal('processed');
      expect(detail.deliveries.map((d) => [d.receiver, d.status, d.attempts])).to.deep.equal([
        ['fulfil', 'succeeded', 1],
        ['email', 'succeeded', 2],
        ['analytics', 'succeeded', 1],
      ]);
    });

    it("replays every receiver with 'all', and named ones with a list", async () => {
      const first = await send('evt_r2');
      expect(first.status).to.equal(200);
      ran.length = 0;
      await pay.replay('evt_r2', { receivers: 'all' });
      expect([...ran].sort()).to.deep.equal(['analytics#2', 'email#2', 'fulfil#2']);
      ran.length = 0;
      const stored = (await pay.events.get('evt_r2'))!;
      await pay.replay(stored.id, { receivers: ['analytics'] });
      expect(ran).to.deep.equal(['analytics#3']);
    });

    it('gives a receiver registered after the event a delivery when replaying all', async () => {
      await send('evt_r3');
      registry.receiver('checkout.session.*', async function lateComer() {
        ran.push('lateComer');
      });
      ran.length = 0;
      const detail = await pay.replay('evt_r3', { receivers: 'all' });
      expect(ran).to.include('lateComer');
      expect(detail.deliveries.map((d) => d.receiver)).to.include('lateComer');
    });

    it('refuses to replay a receiver that does not listen to the event', async () => {
      registry.receiver('invoice.paid', async function invoices() {
        ran.push('invoices');
      });
      await send('evt_mismatch');
      try {
        await pay.replay('evt_mismatch', { receivers: ['invoices'] });
        expect.fail('should have thrown');
      } catch (error) {
        expect((error as PaymentsError).code).to.equal('invalid_request');
        expect((error as Error).message).to.match(/does not listen to checkout.session.completed/);
      }
      expect(ran).not.to.include('invoices');
    });

    it('turns an ignored event into a failed one when a replayed new receiver fails', async () => {
      await send('evt_nobody', 'payment.unknown');
      expect((await pay.events.get('evt_nobody'))!.status).to.equal('ignored');
      registry.receiver('payment.*', async function lateAndBroken() {
        throw new Error('broken');
      });
      const detail = await pay.replay('evt_nobody', { receivers: 'all' });
      expect(detail.status).to.equal('failed');
      expect((await pay.events.list({ status: 'failed' })).map((e) => e.eventId)).to.deep.equal([
        'evt_nobody',
      ]);
    });

    it('refuses an unknown event, an unknown receiver, and an ambiguous provider id', async () => {
      await send('evt_twice', 'checkout.session.completed', 'stripe');
      await send('evt_twice', 'checkout.session.completed', 'stripe_eu');
      const codes: string[] = [];
      for (const attempt of [
        () => pay.replay('evt_missing'),
        () => pay.replay('evt_twice', { receivers: ['nobody'], variant: 'stripe' }),
        () => pay.replay('evt_twice'),
      ]) {
        try {
          await attempt();
          expect.fail('should have thrown');
        } catch (error) {
          expect(error).to.be.instanceOf(PaymentsError);
          codes.push((error as PaymentsError).code);
        }
      }
      expect(codes).to.deep.equal(['event_not_found', 'invalid_request', 'invalid_request']);
      const eu = await pay.replay('evt_twice', { variant: 'stripe_eu', receivers: ['fulfil'] });
      expect(eu.variant).to.equal('stripe_eu');
    });

    it('lists events by status, type, variant and time, newest first', async () => {
      await send('evt_a', 'checkout.session.completed');
      failing.add('fulfil');
      await send('evt_b', 'checkout.session.completed', 'stripe_eu');
      failing.clear();
      await send('evt_c', 'invoice.paid');
      const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);
      expect(ids(await pay.events.list())).to.deep.equal(['evt_c', 'evt_b', 'evt_a']);
      expect(ids(await pay.events.list({ status: 'failed' }))).to.deep.equal(['evt_b']);
      expect(ids(await pay.events.list({ status: ['ignored', 'processed'] }))).to.deep.equal([
        'evt_c',
        'evt_a',
      ]);
      expect(ids(await pay.events.list({ type: 'invoice.paid' }))).to.deep.equal(['evt_c']);
      expect(ids(await pay.events.list({ variant: 'stripe_eu' }))).to.deep.equal(['evt_b']);
      expect(ids(await pay.events.list({ limit: 1 }))).to.deep.equal(['evt_c']);
      expect(await pay.events.list({ since: new Date(Date.now() + 60_000) })).to.deep.equal([]);
    });

    it('gets an event with its deliveries and request-log lines', async () => {
      await send('evt_d');
      await send('evt_d');
      const detail = (await pay.events.get('evt_d'))!;
      expect(detail).to.include({
        eventId: 'evt_d',
        type: 'checkout.session.completed',
        status: 'processed',
      });
      expect(detail.deliveries).to.have.length(3);
      expect(detail.requests.map((r) => [r.statusCode, r.valid, r.event])).to.deep.equal([
        [200, true, detail.id],
        [200, true, detail.id],
      ]);
      expect(await pay.events.get(detail.id)).to.deep.equal(detail);
      expect(await pay.events.get(999_999)).to.equal(undefined);
    });
  });
