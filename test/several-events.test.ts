/**
 * A provider may return several events from one request (Adyen's notification items): they are
 * stored in one transaction, all or none, each with its own deliveries; an id that is already
 * stored, or that appears twice, is stored once and the request still succeeds; the request log
 * keeps one line. On SQLite (the fast path, alone and group-committed) and on Postgres (alone and
 * group-committed).
 */
import { expect } from 'chai';
import {
  createRegistry,
  MAX_EVENTS_PER_REQUEST,
  type Payments,
  type Provider,
  payments,
  type Registry,
  SignatureVerificationError,
  type VerifiedEvent,
} from '../src/index.js';
import { count, createTestDatabase, type Dialect, type TestDatabase } from './helpers/databases.js';
import { recordingLogger } from './helpers/logs.js';
import { webhookRequest } from './helpers/provider.js';
import { appWith, listen, post, type TestServer } from './helpers/server.js';

const TOKEN = 'batch-token';

interface Item {
  id: string;
  type: string;
  /** Not signed: the provider refuses the whole request. */
  bad?: boolean;
}

/**
 * A provider whose body lists items, each one event (`{ items: [...] }`), or is one item
 * (`{ item }`), the way a single-event provider answers.
 */
const batchProvider: Provider = {
  name: 'batch',
  verify({ headers, rawBody }) {
    if (headers['x-token'] !== TOKEN) {
      throw new SignatureVerificationError('no_matching_signature', 'Bad token.');
    }
    const body = JSON.parse(rawBody.toString('utf8')) as { items?: Item[]; item?: Item };
    const toEvent = (item: Item): VerifiedEvent => ({
      id: item.id,
      type: item.type,
      data: item,
      payload: item,
      payloadText: JSON.stringify(item),
    });
    if (body.item !== undefined) return toEvent(body.item);
    const items = body.items ?? [];
    if (items.some((item) => item.bad === true)) {
      throw new SignatureVerificationError('no_matching_signature', 'An item is not signed.');
    }
    return items.map(toEvent);
  },
  dataOf: (payload) => payload,
};

const CONFIGS: { name: string; dialect: Dialect; groupCommit: boolean }[] = [
  { name: 'SQLite, group-committed (fast path)', dialect: 'sqlite', groupCommit: true },
  { name: 'SQLite, alone (fast path)', dialect: 'sqlite', groupCommit: false },
  { name: 'Postgres, alone', dialect: 'postgres', groupCommit: false },
  { name: 'Postgres, group-committed', dialect: 'postgres', groupCommit: true },
];

const headers = { 'content-type': 'application/json', 'x-token': TOKEN };
const body = (items: Item[]) => JSON.stringify({ items });
const item = (id: string, type = 'order.paid'): Item => ({ id, type });

for (const config of CONFIGS)
  describe(`several events from one request on ${config.name}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments;
    let server: TestServer;
    let ran: string[];
    let logger: ReturnType<typeof recordingLogger>;

    beforeEach(async () => {
      logger = recordingLogger();
      db = await createTestDatabase(config.dialect);
      registry = createRegistry();
      ran = [];
      registry.receiver('order.paid', async function recordPaid({ event, data }) {
        ran.push(`recordPaid ${event.eventId} ${(data as Item).type}`);
      });
      registry.receiver('*', async function audit({ event }) {
        ran.push(`audit ${event.eventId}`);
      });
      pay = payments({
        host: 'shop.test',
        database: db.setting,
        registry,
        worker: false,
        logger,
        groupCommit: config.groupCommit,
        variants: { batch: { provider: batchProvider } },
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    });

    afterEach(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
    });

    const url = () => `${server.origin}/payments/process/batch/`;
    const send = (items: Item[]) => post(url(), body(items), headers);
    const events = () =>
      db.reader('payments_events').orderBy('id').select('id', 'event_id', 'type', 'payload');
    const deliveries = () =>
      db
        .reader('payments_deliveries as d')
        .join('payments_events as e', 'e.id', 'd.event')
        .orderBy(['e.event_id', 'd.receiver'])
        .select('e.event_id', 'd.receiver', 'd.status');

    it('stores each event with its own deliveries, runs its receivers, and logs the request once', async () => {
      const res = await send([item('e1'), item('e2', 'order.refunded'), item('e3')]);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        received: true,
        event: 'e1',
        duplicate: false,
        events: [
          { event: 'e1', duplicate: false },
          { event: 'e2', duplicate: false },
          { event: 'e3', duplicate: false },
        ],
      });
      const rows = await events();
      expect(rows.map((r) => [r.event_id, r.type, JSON.parse(r.payload)])).to.deep.equal([
        ['e1', 'order.paid', item('e1')],
        ['e2', 'order.refunded', item('e2', 'order.refunded')],
        ['e3', 'order.paid', item('e3')],
      ]);
      expect(await deliveries()).to.deep.equal([
        { event_id: 'e1', receiver: 'audit', status: 'succeeded' },
        { event_id: 'e1', receiver: 'recordPaid', status: 'succeeded' },
        { event_id: 'e2', receiver: 'audit', status: 'succeeded' },
        { event_id: 'e3', receiver: 'audit', status: 'succeeded' },
        { event_id: 'e3', receiver: 'recordPaid', status: 'succeeded' },
      ]);
      expect([...ran].sort()).to.deep.equal([
        'audit e1',
        'audit e2',
        'audit e3',
        'recordPaid e1 order.paid',
        'recordPaid e3 order.paid',
      ]);
      const lines = await db.reader('payments_requests').select('valid', 'status_code', 'event');
      expect(lines.map((l) => [Boolean(l.valid), l.status_code, l.event])).to.deep.equal([
        [true, 200, rows[0].id],
      ]);
      const processed = await db.reader('payments_events').pluck('status');
      expect(processed).to.deep.equal(['processed', 'processed', 'processed']);
    });

    it('stores an event already stored once, runs nothing again for it, and answers 200', async () => {
      expect((await send([item('e1')])).body.duplicate).to.equal(false);
      ran.length = 0;
      const res = await send([item('e1'), item('e2')]);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ event: 'e1', duplicate: false });
      expect(res.body.events).to.deep.equal([
        { event: 'e1', duplicate: true },
        { event: 'e2', duplicate: false },
      ]);
      expect((await events()).map((r) => r.event_id)).to.deep.equal(['e1', 'e2']);
      expect([...ran].sort()).to.deep.equal(['audit e2', 'recordPaid e2 order.paid']);
      expect(await count(db.reader, 'payments_deliveries')).to.equal(4);
      expect(await count(db.reader, 'payments_requests')).to.equal(2);
    });

    it('answers a redelivery of the whole request as a duplicate', async () => {
      const items = [item('e1'), item('e2', 'order.refunded')];
      await send(items);
      ran.length = 0;
      const res = await send(items);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ event: 'e1', duplicate: true });
      expect(res.body.events.map((e: { duplicate: boolean }) => e.duplicate)).to.deep.equal([
        true,
        true,
      ]);
      expect(ran).to.deep.equal([]);
      expect(await count(db.reader, 'payments_events')).to.equal(2);
    });

    it('stores an id given twice in one request once', async () => {
      const res = await send([item('e1'), item('e2'), item('e1')]);
      expect(res.status).to.equal(200);
      expect(res.body.events).to.deep.equal([
        { event: 'e1', duplicate: false },
        { event: 'e2', duplicate: false },
      ]);
      expect((await events()).map((r) => r.event_id)).to.deep.equal(['e1', 'e2']);
      expect(ran.filter((line) => line === 'audit e1')).to.have.length(1);
    });

    it('stores none of the events when an atomic receiver of one of them throws, and all of them once it succeeds', async () => {
      let fail = true;
      registry.receiver(
        'order.refunded',
        async function bookRefund({ trx, event }) {
          await trx!('ledger').insert({ event_id: event.eventId });
          if (fail) throw new Error('ledger closed');
        },
        { atomic: true },
      );
      await pay.knex.schema.createTable('ledger', (t) => t.string('event_id'));
      const items = [item('e1'), item('e2', 'order.refunded'), item('e3')];
      const res = await send(items);
      expect(res.status).to.equal(500);
      expect(res.body.error.code).to.equal('receiver_failed');
      expect(await count(db.reader, 'payments_events')).to.equal(0);
      expect(await count(db.reader, 'payments_deliveries')).to.equal(0);
      expect(await db.reader('ledger').select()).to.deep.equal([]);
      expect(ran).to.deep.equal([]);
      const lines = await db.reader('payments_requests').select('valid', 'status_code', 'error');
      expect(lines.map((l) => [Boolean(l.valid), l.status_code, l.error])).to.deep.equal([
        [false, 500, 'receiver_failed'],
      ]);
      expect(logger.at('error').map((e) => [e.fields.eventId, e.fields.receiver])).to.deep.equal([
        ['e2', 'bookRefund'],
      ]);
      fail = false;
      const again = await send(items);
      expect(again.status).to.equal(200);
      expect((await events()).map((r) => r.event_id)).to.deep.equal(['e1', 'e2', 'e3']);
      expect(await db.reader('ledger').pluck('event_id')).to.deep.equal(['e2']);
    });

    it('refuses the whole request, storing nothing, when one item fails verification', async () => {
      const res = await send([item('e1'), { ...item('e2'), bad: true }, item('e3')]);
      expect(res.status).to.equal(400);
      expect(res.body.error).to.include({
        code: 'invalid_signature',
        reason: 'no_matching_signature',
      });
      expect(await count(db.reader, 'payments_events')).to.equal(0);
      expect(ran).to.deep.equal([]);
    });

    it(`refuses a request with no event, or with more than ${MAX_EVENTS_PER_REQUEST}`, async () => {
      const many = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, (_, i) => item(`e${i}`));
      for (const items of [[], many]) {
        const res = await send(items);
        expect(res.status, `${items.length} events`).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason: 'invalid_payload' });
      }
      expect(await count(db.reader, 'payments_events')).to.equal(0);
      const most = Array.from({ length: MAX_EVENTS_PER_REQUEST }, (_, i) => item(`e${i}`));
      expect((await send(most)).status).to.equal(200);
      expect(await count(db.reader, 'payments_events')).to.equal(MAX_EVENTS_PER_REQUEST);
    });

    it('answers a request of one event, from the same provider, with the plain JSON body', async () => {
      const res = await post(url(), JSON.stringify({ item: item('solo') }), headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true, event: 'solo', duplicate: false });
    });

    it('gives pay.receive() every event of the request', async () => {
      const received = await pay.receive(
        'batch',
        webhookRequest(body([item('r1'), item('r2')]), headers),
      );
      await received.dispatched;
      expect(received.event.eventId).to.equal('r1');
      expect(received.events.map((e) => [e.event.eventId, e.duplicate])).to.deep.equal([
        ['r1', false],
        ['r2', false],
      ]);
      expect(received.answer).to.equal(undefined);
      expect([...ran].sort()).to.deep.equal([
        'audit r1',
        'audit r2',
        'recordPaid r1 order.paid',
        'recordPaid r2 order.paid',
      ]);
    });

    if (config.groupCommit)
      it('keeps the events of a request together in one commit, and rolls back only that request when it fails', async () => {
        registry.receiver(
          'order.refunded',
          async function refuse() {
            throw new Error('no refunds today');
          },
          { atomic: true },
        );
        const batches: number[] = [];
        pay.on('store.committed', ({ size }) => {
          batches.push(size);
        });
        const receive = (items: Item[]) =>
          pay.receive('batch', webhookRequest(body(items), headers));
        const settled = await Promise.allSettled([
          receive([item('a1'), item('a2')]),
          receive([item('b1'), item('b2', 'order.refunded'), item('b3')]),
          receive([item('c1')]),
        ]);
        expect(settled.map((s) => s.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        // On SQLite the three requests share the first commit; on Postgres a request of several
        // events has no statement of its own, and takes a transaction alone.
        expect(batches[0], 'the first commit').to.equal(config.dialect === 'sqlite' ? 3 : 1);
        await Promise.all(
          settled.map((s) => (s.status === 'fulfilled' ? s.value.dispatched : undefined)),
        );
        expect((await events()).map((r) => r.event_id).sort()).to.deep.equal(['a1', 'a2', 'c1']);
      });
  });

describe('several events from one request, stored by the SQLite fast path', () => {
  let db: TestDatabase;
  let pay: Payments;

  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
    const registry = createRegistry();
    registry.receiver('*', async function audit() {});
    pay = payments({
      database: db.setting,
      registry,
      worker: false,
      variants: { batch: { provider: batchProvider } },
    });
    await pay.migrate();
  });

  afterEach(async () => {
    await pay.close();
    await db.cleanup();
  });

  it('writes nothing of them through Knex', async () => {
    const viaKnex: string[] = [];
    pay.knex.on('query', (query: { sql: string }) => viaKnex.push(query.sql));
    const received = await pay.receive(
      'batch',
      webhookRequest(body([item('f1'), item('f2')]), headers),
    );
    await received.dispatched;
    expect(viaKnex).to.deep.equal([]);
    expect(await count(db.reader, 'payments_events')).to.equal(2);
  });
});
