import { expect } from 'chai';
import {
  createRegistry,
  type Payments,
  type Provider,
  payments,
  type Registry,
} from '../src/index.js';
import { samplePayload, signWebhook } from '../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js';
import { servedForEach } from './helpers/provider.js';
import { appWith, listen, post, type TestServer } from './helpers/server.js';
import { gate } from './helpers/sync.js';

const SECRET = 'whsec_dispatch_test';

function event(id: string, type = 'charge.succeeded') {
  return {
    id,
    object: 'event',
    type,
    created: 1_700_000_000,
    livemode: true,
    data: { object: { id: `obj_${id}` } },
  };
}

for (const dialect of DIALECTS)
  describe(`after-commit dispatch on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let server: TestServer;

    async function start(settings: Partial<Parameters<typeof payments>[0]> = {}) {
      pay = payments({
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }

    const send = (payload: unknown) => {
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      return post(`${server.origin}/payments/process/stripe/`, body, headers);
    };
    // Read through the second, independent connection: it sees committed data only.
    const committedEvent = (eventId: string): Promise<{ status: string } | undefined> =>
      db.reader('payments_events').where({ event_id: eventId }).first('status');
    const deliveries = () =>
      pay
        .knex('payments_deliveries')
        .orderBy('receiver')
        .select('receiver', 'status', 'attempts', 'last_error', 'next_attempt_at');

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
    });

    afterEach(async () => {
      await server?.close();
      await pay?.close();
      await db.cleanup();
    });

    it('runs receivers after the COMMIT: a second connection already sees the event', async () => {
      const seen: unknown[] = [];
      registry.receiver('charge.succeeded', async function checkCommitted({ event }) {
        seen.push(await committedEvent(event.eventId));
      });
      await start();
      const res = await send(event('evt_commit'));
      expect(res.status).to.equal(200);
      expect(seen).to.deep.equal([{ status: 'pending' }]);
      expect(await committedEvent('evt_commit')).to.deep.equal({ status: 'processed' });
    });

    it('runs atomic receivers inside the storing transaction, with signal.trx', async () => {
      const seen: unknown[] = [];
      registry.receiver(
        'charge.succeeded',
        async function bookRevenue({ event, trx, attempt }) {
          seen.push({
            outside: await committedEvent(event.eventId),
            attempt,
            hasTrx: trx !== undefined,
          });
          await trx!('ledger').insert({ event_id: event.eventId });
        },
        { atomic: true },
      );
      await start();
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      const res = await send(event('evt_atomic'));
      expect(res.status).to.equal(200);
      expect(seen).to.deep.equal([{ outside: undefined, attempt: 1, hasTrx: true }]);
      expect(await pay.knex('ledger').select()).to.deep.equal([{ event_id: 'evt_atomic' }]);
      expect(await deliveries()).to.deep.equal([
        {
          receiver: 'bookRevenue',
          status: 'succeeded',
          attempts: 1,
          last_error: null,
          next_attempt_at: null,
        },
      ]);
      expect(await committedEvent('evt_atomic')).to.deep.equal({ status: 'processed' });
    });

    it('rolls everything back and answers 500 receiver_failed when an atomic receiver throws', async () => {
      let fail = true;
      const after: string[] = [];
      registry.receiver(
        'charge.succeeded',
        async function bookRevenue({ event, trx }) {
          await trx!('ledger').insert({ event_id: event.eventId });
          if (fail) throw new Error('ledger closed');
        },
        { atomic: true },
      );
      registry.receiver('charge.succeeded', async function email({ event }) {
        after.push(event.eventId);
      });
      await start();
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      const res = await send(event('evt_rollback'));
      expect(res.status).to.equal(500);
      expect(res.body.error.code).to.equal('receiver_failed');
      expect(JSON.stringify(res.body)).not.to.contain('ledger closed');
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
      expect(await count(pay.knex, 'payments_deliveries')).to.equal(0);
      expect(await count(pay.knex, 'ledger')).to.equal(0);
      expect(after).to.deep.equal([]);
      // The provider redelivers; this time it goes through, once.
      fail = false;
      const retry = await send(event('evt_rollback'));
      expect(retry.status).to.equal(200);
      expect(retry.body.duplicate).to.equal(false);
      expect(after).to.deep.equal(['evt_rollback']);
      expect(await count(pay.knex, 'ledger')).to.equal(1);
    });

    it('records each outcome on its own delivery row; a failure stops no other receiver and keeps the 200', async () => {
      const ran: string[] = [];
      registry.receiver('charge.*', async function first() {
        ran.push('first');
      });
      registry.receiver('charge.succeeded', async function broken() {
        ran.push('broken');
        throw new TypeError('cannot read order');
      });
      registry.receiver('*', async function last() {
        ran.push('last');
      });
      await start();
      const before = Date.now();
      const res = await send(event('evt_partial'));
      expect(res.status).to.equal(200);
      expect(ran.sort()).to.deep.equal(['broken', 'first', 'last']);
      const rows = await deliveries();
      expect(rows.map((r) => [r.receiver, r.status, r.attempts])).to.deep.equal([
        ['broken', 'failed', 1],
        ['first', 'succeeded', 1],
        ['last', 'succeeded', 1],
      ]);
      const broken = rows[0]!;
      expect(broken.last_error).to.match(/^TypeError: cannot read order/);
      expect(Number(broken.next_attempt_at)).to.be.greaterThan(before);
      expect(await committedEvent('evt_partial')).to.deep.equal({ status: 'failed' });
    });

    it('marks an event nobody listens to as ignored, with no deliveries', async () => {
      registry.receiver('invoice.paid', async function unrelated() {});
      await start();
      const res = await send(event('evt_ignored'));
      expect(res.status).to.equal(200);
      expect(await committedEvent('evt_ignored')).to.deep.equal({ status: 'ignored' });
      expect(await count(pay.knex, 'payments_deliveries')).to.equal(0);
    });

    it('passes the variant, provider, type, stored event and attempt to receivers', async () => {
      const signals: unknown[] = [];
      registry.receiver('charge.succeeded', async function inspect(signal) {
        signals.push({
          type: signal.type,
          data: signal.data,
          variant: signal.variant,
          provider: signal.provider,
          attempt: signal.attempt,
          trx: signal.trx,
          eventId: signal.event.eventId,
          livemode: signal.event.livemode,
          createdAt: signal.event.createdAt?.toISOString(),
          payloadType: (signal.event.payload as { type: string }).type,
        });
      });
      await start();
      await send(event('evt_signal'));
      expect(signals).to.deep.equal([
        {
          type: 'charge.succeeded',
          data: { id: 'obj_evt_signal' },
          variant: 'stripe',
          provider: 'stripe',
          attempt: 1,
          trx: undefined,
          eventId: 'evt_signal',
          livemode: true,
          createdAt: '2023-11-14T22:13:20.000Z',
          payloadType: 'charge.succeeded',
        },
      ]);
    });

    it('stores concurrent copies of one event exactly once and runs each receiver once', async () => {
      let runs = 0;
      registry.receiver('charge.succeeded', async function countRuns() {
        runs += 1;
      });
      await start();
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => send(event('evt_concurrent'))),
      );
      expect(answers.map((a) => a.status)).to.deep.equal(Array(25).fill(200));
      expect(answers.filter((a) => a.body.duplicate === false)).to.have.length(1);
      expect(runs).to.equal(1);
      expect(await count(pay.knex, 'payments_events')).to.equal(1);
      expect(await count(pay.knex, 'payments_deliveries')).to.equal(1);
    });

    it('re-runs only the failed receivers when the provider redelivers', async () => {
      let flaky = true;
      const ran: string[] = [];
      registry.receiver('charge.succeeded', async function steady() {
        ran.push('steady');
      });
      registry.receiver('charge.succeeded', async function wobbly({ attempt }) {
        ran.push(`wobbly#${attempt}`);
        if (flaky) throw new Error('temporary');
      });
      await start();
      await send(event('evt_redeliver'));
      flaky = false;
      const res = await send(event('evt_redeliver'));
      expect(res.body.duplicate).to.equal(true);
      expect([...ran].sort()).to.deep.equal(['steady', 'wobbly#1', 'wobbly#2']);
      expect((await deliveries()).map((r) => [r.receiver, r.status, r.attempts])).to.deep.equal([
        ['steady', 'succeeded', 1],
        ['wobbly', 'succeeded', 2],
      ]);
      expect(await committedEvent('evt_redeliver')).to.deep.equal({ status: 'processed' });
      // A third delivery runs nothing.
      await send(event('evt_redeliver'));
      expect(ran).to.have.length(3);
    });

    it('marks a delivery dead after its last attempt and emits delivery.dead', async () => {
      registry.receiver('charge.succeeded', async function alwaysFails() {
        throw new Error('nope');
      });
      await start({ retry: { maxAttempts: 2 } });
      const dead: string[] = [];
      pay.on('delivery.dead', ({ receiver, attempt }) => {
        dead.push(`${receiver}#${attempt}`);
      });
      await send(event('evt_dead'));
      await send(event('evt_dead'));
      const [row] = await deliveries();
      expect(row).to.include({ status: 'dead', attempts: 2, next_attempt_at: null });
      expect(dead).to.deep.equal(['alwaysFails#2']);
      expect(await committedEvent('evt_dead')).to.deep.equal({ status: 'failed' });
    });

    it("with dispatch: 'background', answers after the COMMIT and runs receivers next", async () => {
      const hold = gate();
      let finished = false;
      registry.receiver('charge.succeeded', async function slow() {
        await hold.opened;
        finished = true;
      });
      await start({ dispatch: 'background' });
      const settled = pay.once('event.settled');
      const res = await send(event('evt_background'));
      expect(res.status).to.equal(200);
      expect(finished).to.equal(false);
      expect(await committedEvent('evt_background')).to.deep.equal({ status: 'pending' });
      hold.open();
      const { status } = await settled;
      expect(status).to.equal('processed');
      expect(finished).to.equal(true);
      expect(await committedEvent('evt_background')).to.deep.equal({ status: 'processed' });
    });

    it('close() waits for in-flight receivers, then refuses new webhooks with 503', async () => {
      const hold = gate();
      const started = gate();
      let finished = false;
      registry.receiver('charge.succeeded', async function slow() {
        started.open();
        await hold.opened;
        finished = true;
      });
      await start({ dispatch: 'background', database: db.setting });
      await send(event('evt_closing'));
      await started.opened;
      const closed = pay.close();
      const refused = await send(event('evt_after_close'));
      expect(refused.status).to.equal(503);
      expect(refused.body.error).to.deep.equal({
        code: 'store_unavailable',
        message: 'The webhook receiver is shutting down; retry later.',
      });
      expect(finished).to.equal(false);
      hold.open();
      await closed;
      expect(finished).to.equal(true);
      expect(await committedEvent('evt_closing')).to.deep.equal({ status: 'processed' });
      expect(await committedEvent('evt_after_close')).to.equal(undefined);
    });
  });

/** A provider that accepts anything and, for `?fetched`, returns a copy of its own. */
const copying: Provider = {
  name: 'copying',
  verify({ rawBody, url }) {
    const payload = JSON.parse(rawBody.toString('utf8'));
    if (!url.endsWith('?fetched')) return { id: payload.id, type: 'thing', data: payload, payload };
    const copy = { ...payload, fetched: true };
    return {
      id: payload.id,
      type: 'thing',
      data: copy,
      payload: copy,
      payloadText: JSON.stringify(copy),
    };
  },
};

for (const dialect of DIALECTS)
  describe(`pipeline: the stored payload on ${dialect}`, () => {
    const received: unknown[] = [];
    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry();
      registry.receiver('thing', async function record({ data }) {
        received.push(data);
      });
      return { database: db.setting, registry, variants: { copying: { provider: copying } } };
    });

    it("stores the provider's payloadText, and keeps the body received in the request log", async () => {
      const body = JSON.stringify({ id: 'obj_1', amount: 5 });
      const res = await post(`${served.url('copying')}?fetched`, body);
      expect(res.status).to.equal(200);
      const [event] = await served.pay.knex('payments_events');
      expect(JSON.parse(event.payload)).to.deep.equal({ id: 'obj_1', amount: 5, fetched: true });
      const [line] = await served.pay.knex('payments_requests');
      expect(line.body).to.equal(body);
      expect(received).to.deep.equal([{ id: 'obj_1', amount: 5, fetched: true }]);
      const details = await served.pay.events.get('obj_1');
      expect(details?.requests.map((request) => request.body)).to.deep.equal([body]);
    });

    it('stores the body received otherwise, once (the request log reads it from the event)', async () => {
      const body = JSON.stringify({ id: 'obj_2' });
      await post(served.url('copying'), body);
      const [event] = await served.pay.knex('payments_events');
      expect(event.payload).to.equal(body);
      const [line] = await served.pay.knex('payments_requests');
      expect(line.body).to.equal(null);
    });
  });

/**
 * A variant's `mode`: an event the provider marks as of the other mode is answered 200 and
 * stored as ignored, with its reason, and runs no receiver. Stripe says it with `livemode`,
 * Paystack with `data.domain`.
 */
for (const dialect of DIALECTS)
  describe(`variant mode on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;
    const ran: string[] = [];
    const warnings: string[] = [];

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      ran.length = 0;
      warnings.length = 0;
      const registry = createRegistry();
      registry.receiver('*', async ({ event }) => void ran.push(event.eventId), { name: 'audit' });
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        logger: {
          debug() {},
          info() {},
          warn: (_fields, message) => void warnings.push(message),
          error() {},
        },
        variants: {
          stripe: { provider: 'stripe', endpointSecret: SECRET, mode: 'live' },
          'stripe-test': { provider: 'stripe', endpointSecret: SECRET, mode: 'test' },
          'stripe-any': { provider: 'stripe', endpointSecret: SECRET },
          paystack: { provider: 'paystack', secretKey: 'sk_live_mode', mode: 'live' },
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

    const send = (variant: string, provider: 'stripe' | 'paystack', payload: object) => {
      const secret = provider === 'stripe' ? SECRET : 'sk_live_mode';
      const { body, headers } = signWebhook(provider, { payload, secret });
      return post(`${server.origin}/payments/process/${variant}/`, body, headers);
    };
    /** What is stored of an event, through the second connection. */
    const stored = async (eventId: string) => {
      const row = await db
        .reader('payments_events')
        .where({ event_id: eventId })
        .first('id', 'status', 'ignored_reason');
      const deliveries = await db.reader('payments_deliveries').where({ event: row.id });
      return { status: row.status, reason: row.ignored_reason, deliveries: deliveries.length };
    };

    it("stores a Stripe test event at a mode: 'live' variant as ignored, and runs no receiver", async () => {
      const test = { ...event('evt_test_in_live'), livemode: false };
      const res = await send('stripe', 'stripe', test);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ received: true, duplicate: false });
      expect(await stored('evt_test_in_live')).to.deep.equal({
        status: 'ignored',
        reason: 'mode_mismatch',
        deliveries: 0,
      });
      expect((await pay.events.get('evt_test_in_live'))?.ignoredReason).to.equal('mode_mismatch');
      // A live one runs; so do both modes at a mode: 'any' variant.
      expect((await send('stripe', 'stripe', event('evt_live_in_live'))).status).to.equal(200);
      await send('stripe-any', 'stripe', { ...event('evt_test_in_any'), livemode: false });
      await send('stripe-any', 'stripe', event('evt_live_in_any'));
      expect(ran).to.deep.equal(['evt_live_in_live', 'evt_test_in_any', 'evt_live_in_any']);
      expect(await stored('evt_live_in_live')).to.deep.equal({
        status: 'processed',
        reason: null,
        deliveries: 1,
      });
      // A redelivery is a duplicate, and still runs nothing.
      const again = await send('stripe', 'stripe', test);
      expect(again.body).to.include({ duplicate: true });
      expect(ran).to.not.include('evt_test_in_live');
      expect(warnings).to.deep.equal([
        `koa-payments: a test-mode event reached variant "stripe" (mode: 'live'); it is stored as ignored and runs no receiver`,
      ]);
    });

    it("stores a Stripe live event at a mode: 'test' variant as ignored", async () => {
      expect((await send('stripe-test', 'stripe', event('evt_live_in_test'))).status).to.equal(200);
      await send('stripe-test', 'stripe', { ...event('evt_test_in_test'), livemode: false });
      expect(ran).to.deep.equal(['evt_test_in_test']);
      expect((await stored('evt_live_in_test')).reason).to.equal('mode_mismatch');
    });

    it("reads Paystack's data.domain, and accepts an event whose provider does not say", async () => {
      const statuses: string[] = [];
      for (const domain of ['test', 'live', undefined]) {
        const payload = samplePayload('paystack', 'charge.success', { data: { domain } });
        if (domain === undefined) delete (payload.data as { domain?: string }).domain;
        const res = await send('paystack', 'paystack', payload);
        expect(res.status).to.equal(200);
        statuses.push((await stored(res.body.event)).status);
      }
      expect(statuses).to.deep.equal(['ignored', 'processed', 'processed']);
      expect(ran).to.have.length(2);
      expect(warnings).to.have.length(2);
      expect(warnings[1]).to.equal(
        `koa-payments: the provider does not say whether this event is live or test; variant "paystack" (mode: 'live') accepts it`,
      );
    });

    it("runs no receiver for a mode-ignored event on replay 'all'; named ones run on request", async () => {
      await send('stripe', 'stripe', { ...event('evt_replayed'), livemode: false });
      const all = await pay.replay('evt_replayed', { receivers: 'all' });
      expect(all.deliveries).to.deep.equal([]);
      const named = await pay.replay('evt_replayed', { receivers: ['audit'] });
      expect(named.deliveries.map((d) => d.status)).to.deep.equal(['succeeded']);
      expect(ran).to.deep.equal(['evt_replayed']);
    });
  });
