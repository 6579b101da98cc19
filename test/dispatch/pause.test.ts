import { expect } from 'chai';
import {
  createRegistry,
  type Payments,
  PaymentsError,
  type PaymentsSettings,
  payments,
  type Registry,
  type Signal,
} from '../../src/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { sendCharge } from '../helpers/charges.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_pause_test';

for (const dialect of DIALECTS)
  describe(`pausing a receiver on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    const instances: Payments[] = [];
    let server: TestServer | undefined;
    const runs: string[] = [];

    /** An instance on the test's database (worker off: the test runs it). */
    async function instance(settings: Partial<PaymentsSettings> = {}): Promise<Payments> {
      const pay = payments({
        database: db.config(),
        registry,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      instances.push(pay);
      await pay.migrate();
      return pay;
    }
    async function serve(pay: Payments): Promise<void> {
      server = await listen(appWith(pay));
    }
    const send = (id: string) => sendCharge(server?.origin, id, SECRET);
    const delivery = async (receiver: string, eventId: string) =>
      db
        .reader('payments_deliveries as d')
        .join('payments_events as e', 'e.id', 'd.event')
        .where({ 'd.receiver': receiver, 'e.event_id': eventId })
        .first('d.status', 'd.attempts', 'd.locked_until');
    const eventStatus = async (eventId: string) =>
      (await db.reader('payments_events').where({ event_id: eventId }).first('status'))?.status;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
      runs.length = 0;
      registry.receiver('charge.succeeded', async function orders({ event, attempt }) {
        runs.push(`orders ${event.eventId} #${attempt}`);
      });
      registry.receiver('charge.succeeded', async function audit({ event }) {
        runs.push(`audit ${event.eventId}`);
      });
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
      await Promise.all(instances.splice(0).map((pay) => pay.close()));
      await db.cleanup();
    });

    it('refuses a name no receiver has, listing the receivers', async () => {
      const pay = await instance();
      const refused = await pay.pause('ordres').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(PaymentsError);
      expect(refused).to.include({ status: 404, code: 'invalid_request' });
      expect((refused as Error).message).to.equal(
        'No receiver named "ordres" is registered in this process, so it cannot be paused; the receivers are audit, orders.',
      );
      await pay.resume('ordres').then(
        () => expect.fail('resumed an unknown receiver'),
        (error: unknown) => expect(error).to.have.property('status', 404),
      );
      expect(await pay.paused()).to.deep.equal([]);
    });

    it('keeps its deliveries pending, attempts unspent, while the others run; runs them after the resume', async () => {
      const pay = await instance();
      await serve(pay);
      const paused = await pay.pause('orders', { reason: 'deploy 1.4' });
      expect(paused).to.deep.include({
        receiver: 'orders',
        paused: true,
        reason: 'deploy 1.4',
        changed: true,
        waiting: 0,
      });
      expect((await pay.pause('orders')).changed).to.equal(false); // already paused
      expect((await send('evt_1')).status).to.equal(200);
      expect(runs).to.deep.equal(['audit evt_1']);
      expect(await delivery('orders', 'evt_1')).to.include({ status: 'pending', attempts: 0 });
      expect((await delivery('orders', 'evt_1')).locked_until).to.equal(null);
      expect(await eventStatus('evt_1')).to.equal('pending');
      expect(await pay.runDueDeliveries()).to.equal(0); // the worker leaves it too
      expect((await pay.paused()).map((p) => [p.receiver, p.reason])).to.deep.equal([
        ['orders', 'deploy 1.4'],
      ]);

      const resumed = await pay.resume('orders');
      expect(resumed).to.include({ paused: false, changed: true, waiting: 1, pausedAt: null });
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(runs).to.deep.equal(['audit evt_1', 'orders evt_1 #1']);
      expect(await delivery('orders', 'evt_1')).to.include({ status: 'succeeded', attempts: 1 });
      expect(await eventStatus('evt_1')).to.equal('processed');
      expect(await pay.paused()).to.deep.equal([]);
    });

    it('is honoured by a second instance on the same database, its dispatch and its worker', async () => {
      let fail = true;
      registry.unregister('orders');
      registry.receiver('charge.succeeded', async function orders({ event, attempt }) {
        runs.push(`orders ${event.eventId} #${attempt}`);
        if (fail) throw new Error('the orders DB is migrating');
      });
      const web = await instance(); // receives webhooks
      const ops = await instance(); // where the operator pauses
      await serve(web);
      // Before the pause: a failed run, to be retried by the worker.
      await send('evt_before');
      expect(await delivery('orders', 'evt_before')).to.include({ status: 'failed', attempts: 1 });
      await ops.pause('orders');
      // web's worker claims nothing of a paused receiver, even though the retry is due.
      await web.knex('payments_deliveries').update({ next_attempt_at: new Date(Date.now() - 1) });
      expect(await web.runDueDeliveries()).to.equal(0);
      expect(await delivery('orders', 'evt_before')).to.include({ status: 'failed', attempts: 1 });
      expect(runs).to.deep.equal(['audit evt_before', 'orders evt_before #1']);
      fail = false;
      await ops.resume('orders');
      expect(await web.runDueDeliveries()).to.equal(1);
      expect(runs.at(-1)).to.equal('orders evt_before #2');
      expect(await delivery('orders', 'evt_before')).to.include({
        status: 'succeeded',
        attempts: 2,
      });
    });

    it("holds a new event's delivery on a second instance that never saw the pause", async () => {
      const web = await instance();
      const ops = await instance();
      await ops.pause('orders');
      await serve(web);
      expect((await send('evt_2')).status).to.equal(200);
      expect(runs).to.deep.equal(['audit evt_2']);
      expect(await delivery('orders', 'evt_2')).to.include({ status: 'pending', attempts: 0 });
      await ops.resume('orders');
      expect(await ops.runDueDeliveries()).to.equal(1); // any instance's worker runs it
      expect(runs).to.deep.equal(['audit evt_2', 'orders evt_2 #1']);
    });

    it('runs a paused atomic receiver after the resume, in a transaction of its own', async () => {
      const seen: { attempt: number; trx: boolean }[] = [];
      registry.receiver(
        'charge.succeeded',
        async function book(signal: Signal) {
          seen.push({ attempt: signal.attempt, trx: signal.trx !== undefined });
        },
        { atomic: true },
      );
      const pay = await instance();
      await serve(pay);
      await pay.pause('book');
      expect((await send('evt_atomic')).status).to.equal(200);
      expect(seen).to.deep.equal([]);
      expect(await delivery('book', 'evt_atomic')).to.include({ status: 'pending', attempts: 0 });
      await pay.resume('book');
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(seen).to.deep.equal([{ attempt: 1, trx: true }]);
      expect(await delivery('book', 'evt_atomic')).to.include({ status: 'succeeded' });
      expect(await eventStatus('evt_atomic')).to.equal('processed');
    });

    it('holds a paused atomic receiver of a payment signal, and runs it after the resume', async () => {
      const seen: { attempt: number; trx: boolean }[] = [];
      registry.receiver(
        'payment:succeeded',
        async function book(signal: Signal) {
          seen.push({ attempt: signal.attempt, trx: signal.trx !== undefined });
        },
        { atomic: true },
      );
      const pay = await instance();
      await serve(pay);
      await pay.pause('book');
      const payload = samplePayload('stripe', 'checkout.session.completed', { id: 'evt_paid' });
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      const answer = await post(`${server?.origin}/payments/process/stripe/`, body, headers);
      expect(answer.status).to.equal(200);
      expect(seen).to.deep.equal([]);
      expect(await delivery('book', 'evt_paid')).to.include({ status: 'pending', attempts: 0 });
      await pay.resume('book');
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(seen).to.deep.equal([{ attempt: 1, trx: true }]);
      expect(await delivery('book', 'evt_paid')).to.include({ status: 'succeeded' });
    });

    it('holds an atomic receiver registered after the instance started, once paused', async () => {
      const pay = await instance();
      await serve(pay);
      expect((await send('evt_before')).status).to.equal(200); // no atomic receiver yet
      const seen: string[] = [];
      registry.receiver(
        'charge.succeeded',
        async function book({ event }: Signal) {
          seen.push(event.eventId);
        },
        { atomic: true },
      );
      await pay.pause('book');
      expect((await send('evt_after')).status).to.equal(200);
      expect(seen).to.deep.equal([]);
      expect(await delivery('book', 'evt_after')).to.include({ status: 'pending', attempts: 0 });
      await pay.resume('book');
      expect(await pay.runDueDeliveries()).to.equal(1);
      expect(seen).to.deep.equal(['evt_after']);
    });

    it('lets a receiver that is no longer registered be resumed, to clear its pause', async () => {
      const pay = await instance();
      await pay.pause('orders');
      registry.unregister('orders');
      expect(await pay.resume('orders')).to.include({ changed: true, paused: false });
      expect(await pay.paused()).to.deep.equal([]);
    });
  });
