/**
 * What the storing transaction writes for the objects mirror, the payment signals and stale
 * events (src/objects/mirror.ts, emitted.ts, src/store/store-event.ts), on each path that writes
 * it: the SQLite fast path, Knex on SQLite and Knex on Postgres, which must write the same rows.
 */
import { expect } from 'chai';
import type { ObjectWrite } from '../../src/objects/mirror.js';
import { ObjectQueries } from '../../src/objects/queries.js';
import type { RegisteredReceiver } from '../../src/signals/registry.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/event-store.js';
import { migrateLatest } from '../../src/store/migrate.js';
import type { PaymentEmission, StoreInput } from '../../src/store/store-event.js';
import { tableNames } from '../../src/store/table-names.js';
import {
  createTestDatabase,
  onPath,
  STORE_PATHS,
  type TestDatabase,
} from '../helpers/databases.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');
type Row = Record<string, unknown>;

const receiver = (
  name: string,
  options: { atomic?: boolean; skipStale?: boolean; pattern?: string } = {},
): RegisteredReceiver => ({
  name,
  pattern: options.pattern ?? '*',
  variants: undefined,
  atomic: options.atomic ?? false,
  skipStale: options.skipStale ?? false,
  concurrency: undefined,
  fn: async () => {},
});

/**
 * Resolves once a Postgres session waits for a lock (the second of two transactions writing one
 * row): a condition checked on each turn, not a delay.
 */
async function untilWaitingOnLock(testDb: TestDatabase): Promise<void> {
  for (;;) {
    const result = (await testDb.reader.raw(
      'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted',
    )) as { rows: { n: number }[] };
    if ((result.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const SECOND = 1_000_000; // a version step: one second in microseconds
const T0 = 1_700_000_000 * SECOND;

for (const path of STORE_PATHS)
  describe(`storing objects and payment signals on ${path.name}`, () => {
    let testDb: TestDatabase;
    let db: Database;
    let store: EventStore;
    let n = 0;

    beforeEach(async () => {
      testDb = await createTestDatabase(path.dialect);
      db = openDatabase(testDb.setting, quiet);
      await migrateLatest(db, 'payments_', tables);
      if (path.direct) {
        const fast = path.dialect === 'sqlite' ? db.direct : db.postgres;
        expect(fast, 'the fast path').not.to.equal(undefined);
      }
      store = new EventStore(onPath(db, path), tables);
    });
    afterEach(async () => {
      await db.knex.destroy();
      await testDb.cleanup();
    });

    const object = (
      id: string,
      version: number | undefined,
      data: unknown,
      refreshOnTie = false,
    ): ObjectWrite => ({
      type: 'subscription',
      id,
      version,
      data: JSON.stringify(data),
      path: null,
      refreshOnTie,
    });

    /** Stores a new event with the given object, payment and receivers. */
    function put(
      input: {
        object?: ObjectWrite;
        payment?: PaymentEmission;
        receivers?: RegisteredReceiver[];
        runAtomic?: StoreInput['runAtomic'];
        payload?: Record<string, unknown>;
      } = {},
    ) {
      const eventId = `evt_${n++}`;
      const payload = { id: eventId, ...input.payload };
      return store.store({
        event: {
          variant: 'stripe',
          source: 'webhook',
          provider: 'stripe',
          dedupeGroup: 'stripe',
          eventId,
          type: 'customer.subscription.updated',
          livemode: false,
          payloadText: JSON.stringify(payload),
          payload,
          receivedAt: new Date(),
          createdAt: undefined,
        },
        receivers: input.receivers ?? [],
        object: input.object,
        payment: input.payment,
        runAtomic: input.runAtomic ?? (async () => {}),
        leaseMs: 60_000,
      });
    }

    const entry = async (id: string) =>
      (await db
        .knex(tables.objects)
        .where({ variant: 'stripe', object_type: 'subscription', object_id: id })
        .first()) as Row | undefined;
    const versionOf = async (id: string) => {
      const row = await entry(id);
      return row?.version === null ? null : Number(row?.version);
    };
    const dataOf = async (id: string) => JSON.parse(String((await entry(id))?.data));
    const staleOf = async (event: number) => {
      const row = (await db.knex(tables.events).where({ id: event }).first('stale')) as Row;
      return row.stale === true || row.stale === 1;
    };

    it('keeps the newest state: a newer event replaces it, an older one is stale and does not', async () => {
      const first = await put({ object: object('sub_1', T0 + SECOND, { status: 'active' }) });
      expect(first.event.stale).to.equal(false);
      expect((await entry('sub_1'))?.event).to.equal(first.event.id);

      const newer = await put({ object: object('sub_1', T0 + 2 * SECOND, { status: 'past_due' }) });
      expect(newer.event.stale).to.equal(false);
      expect(await dataOf('sub_1')).to.deep.equal({ status: 'past_due' });

      const older = await put({ object: object('sub_1', T0, { status: 'incomplete' }) });
      expect(older.event.stale).to.equal(true);
      expect(await staleOf(older.event.id)).to.equal(true);
      expect(await staleOf(newer.event.id)).to.equal(false);
      expect(await versionOf('sub_1')).to.equal(T0 + 2 * SECOND);
      expect(await dataOf('sub_1')).to.deep.equal({ status: 'past_due' });
      expect((await entry('sub_1'))?.event).to.equal(newer.event.id);
      expect(await db.knex(tables.objects).count({ n: '*' })).to.deep.equal([
        { n: path.dialect === 'postgres' ? '1' : 1 },
      ]);
    });

    it('keeps the first stored of equal versions, never calls a tie stale, and marks it for a refresh only with API access', async () => {
      const first = await put({ object: object('sub_tie', T0, { n: 1 }) });
      const tie = await put({ object: object('sub_tie', T0, { n: 2 }) });
      expect(tie.event.stale).to.equal(false);
      expect(await dataOf('sub_tie')).to.deep.equal({ n: 1 });
      expect((await entry('sub_tie'))?.event).to.equal(first.event.id);
      expect((await entry('sub_tie'))?.refresh_requested_at).to.equal(null);

      await put({ object: object('sub_tie', T0, { n: 3 }, true) });
      expect(await dataOf('sub_tie')).to.deep.equal({ n: 1 });
      const marked = (await entry('sub_tie'))?.refresh_requested_at;
      expect(marked).not.to.equal(null);
      // A newer state clears the mark.
      await put({ object: object('sub_tie', T0 + SECOND, { n: 4 }, true) });
      expect(await entry('sub_tie')).to.include({ refresh_requested_at: null });
      expect(await dataOf('sub_tie')).to.deep.equal({ n: 4 });
    });

    it("points at the event's payload when the state is its subtree, and reads the same state back", async () => {
      const queries = new ObjectQueries(db.knex, tables);
      const state = (id: string) => queries.get('stripe', 'subscription', id);
      /** An event whose payload carries the state at data.object, written as a pointer. */
      const pointing = (id: string, version: number, status: string) => ({
        object: { ...object(id, version, null), data: null, path: '["data","object"]' },
        payload: { data: { object: { id, status, items: [1, 2] } } },
      });
      const first = await put(pointing('sub_p', T0, 'active'));
      expect(await entry('sub_p')).to.include({
        data: null,
        data_path: '["data","object"]',
        event: first.event.id,
      });
      expect((await state('sub_p'))?.data).to.deep.equal({
        id: 'sub_p',
        status: 'active',
        items: [1, 2],
      });
      expect((await queries.list({ type: 'subscription' })).map((e) => e.data)).to.deep.equal([
        { id: 'sub_p', status: 'active', items: [1, 2] },
      ]);
      // An older event is stale and leaves the pointer; a newer one points at its own payload.
      const older = await put(pointing('sub_p', T0 - SECOND, 'incomplete'));
      expect(older.event.stale).to.equal(true);
      const newer = await put(pointing('sub_p', T0 + SECOND, 'past_due'));
      expect((await entry('sub_p'))?.event).to.equal(newer.event.id);
      expect((await state('sub_p'))?.data).to.include({ status: 'past_due' });
      // A newer copy replaces the pointer (clearing the path), and a newer pointer the copy.
      await put({ object: object('sub_p', T0 + 2 * SECOND, { status: 'canceled' }) });
      expect(await entry('sub_p')).to.include({ data_path: null });
      expect((await state('sub_p'))?.data).to.deep.equal({ status: 'canceled' });
      const last = await put(pointing('sub_p', T0 + 3 * SECOND, 'active'));
      expect(await entry('sub_p')).to.include({ data: null, event: last.event.id });
      expect((await state('sub_p'))?.data).to.include({ status: 'active' });
    });

    it('orders what it can: events without a version replace each other, never a versioned state', async () => {
      await put({ object: object('sub_nv', undefined, { n: 1 }) });
      expect(await versionOf('sub_nv')).to.equal(null);
      const second = await put({ object: object('sub_nv', undefined, { n: 2 }) });
      expect(second.event.stale).to.equal(false);
      expect(await dataOf('sub_nv')).to.deep.equal({ n: 2 });
      // A version replaces an unversioned state; then an event without one never replaces it.
      await put({ object: object('sub_nv', T0, { n: 3 }) });
      const unversioned = await put({ object: object('sub_nv', undefined, { n: 4 }) });
      expect(unversioned.event.stale).to.equal(false);
      expect(await dataOf('sub_nv')).to.deep.equal({ n: 3 });
      expect(await versionOf('sub_nv')).to.equal(T0);
    });

    it('records skipStale receivers of a stale event skipped, runs the others, and counts skipped as settled', async () => {
      await put({ object: object('sub_s', T0 + SECOND, {}) });
      const ran: { name: string; stale: boolean }[] = [];
      const stale = await put({
        object: object('sub_s', T0, {}),
        receivers: [
          receiver('guarded', { skipStale: true }),
          receiver('audit'),
          receiver('guarded-atomic', { skipStale: true, atomic: !path.direct }),
        ],
        runAtomic: async (_trx, event, r) => {
          ran.push({ name: r.name, stale: event.stale });
        },
      });
      expect(stale.event.stale).to.equal(true);
      expect(stale.skipped).to.deep.equal(['guarded', 'guarded-atomic']);
      expect(ran).to.deep.equal([]);
      expect(stale.deliveries.map((d) => d.receiver)).to.deep.equal(['audit']);
      const rows = (await db
        .knex(tables.deliveries)
        .where({ event: stale.event.id })
        .orderBy('id')
        .select('receiver', 'status', 'attempts', 'locked_until', 'completed_at')) as Row[];
      expect(rows.map((r) => [r.receiver, r.status, r.attempts])).to.deep.equal([
        ['guarded', 'skipped', 0],
        ['audit', 'pending', 0],
        ['guarded-atomic', 'skipped', 0],
      ]);
      expect(rows[0]?.completed_at).not.to.equal(null);
      expect(rows[0]?.locked_until).to.equal(null);
      expect(stale.event.status).to.equal('pending');
      // Settling the one that ran: skipped ones count as settled.
      const audit = stale.deliveries[0]!;
      const settled = await store.settle(stale.event.id, [
        { delivery: audit, record: { status: 'succeeded' } },
      ]);
      expect(settled.status).to.equal('processed');

      // Only skipped deliveries: processed at once, with processed_at.
      const onlySkipped = await put({
        object: object('sub_s', T0, {}),
        receivers: [receiver('guarded', { skipStale: true })],
      });
      expect(onlySkipped.event).to.include({ status: 'processed', stale: true });
      const row = (await db.knex(tables.events).where({ id: onlySkipped.event.id }).first()) as Row;
      expect(row.status).to.equal('processed');
      expect(row.processed_at).not.to.equal(null);
    });

    it('emits a payment signal once per variant and key, to its receivers only on the first event', async () => {
      const payment = (key: string): PaymentEmission => ({
        signal: 'payment:succeeded',
        key,
        receivers: [receiver('mark-paid', { pattern: 'payment:succeeded' })],
      });
      const first = await put({
        payment: payment('payment:succeeded:pi_1'),
        receivers: [receiver('audit')],
      });
      expect(first.emitted).to.equal(true);
      expect(first.deliveries.map((d) => d.receiver)).to.deep.equal(['audit', 'mark-paid']);
      const again = await put({
        payment: payment('payment:succeeded:pi_1'),
        receivers: [receiver('audit')],
      });
      expect(again.emitted).to.equal(false);
      expect(again.deliveries.map((d) => d.receiver)).to.deep.equal(['audit']);
      // With no other receiver, the event that did not emit is ignored.
      const alone = await put({ payment: payment('payment:succeeded:pi_1') });
      expect(alone.event.status).to.equal('ignored');
      const row = (await db.knex(tables.events).where({ id: alone.event.id }).first()) as Row;
      expect(row.status).to.equal('ignored');
      expect(row.processed_at).not.to.equal(null);
      const other = await put({ payment: payment('payment:succeeded:pi_2') });
      expect(other.emitted).to.equal(true);
      expect(other.event.status).to.equal('pending');
      const keys = (await db
        .knex(tables.paymentSignals)
        .orderBy('id')
        .select('variant', 'key', 'signal', 'event')) as Row[];
      expect(keys).to.deep.equal([
        {
          variant: 'stripe',
          key: 'payment:succeeded:pi_1',
          signal: 'payment:succeeded',
          event: first.event.id,
        },
        {
          variant: 'stripe',
          key: 'payment:succeeded:pi_2',
          signal: 'payment:succeeded',
          event: other.event.id,
        },
      ]);
    });

    it('keeps the newest state and emits once when two events about one object are stored at once, in either order', async () => {
      // The first event's transaction is held open by an atomic receiver, after its mirror write
      // and its emission, while the second is stored: on Postgres the second waits on the first's
      // uncommitted rows (checked in pg_locks before the first may commit), on SQLite for the
      // write lock. Each order: the held event newer, then older.
      const payment = (): PaymentEmission => ({
        signal: 'payment:succeeded',
        key: 'payment:succeeded:pi_race',
        receivers: [receiver('mark-paid', { pattern: 'payment:succeeded' })],
      });
      const expectations: { held: number; other: number; stale: boolean }[] = [
        { held: T0 + SECOND, other: T0, stale: true },
        { held: T0, other: T0 + SECOND, stale: false },
      ];
      for (const [i, { held, other, stale }] of expectations.entries()) {
        const id = `sub_race_${i}`;
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        let release!: () => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        const first = put({
          object: object(id, held, { version: held }),
          payment: { ...payment(), key: `payment:succeeded:${id}` },
          receivers: [receiver('hold', { atomic: true })],
          runAtomic: async () => {
            entered();
            await released;
          },
        });
        await inside;
        const second = put({
          object: object(id, other, { version: other }),
          payment: { ...payment(), key: `payment:succeeded:${id}` },
          receivers: [receiver('guarded', { skipStale: true })],
        });
        if (path.dialect === 'postgres') await untilWaitingOnLock(testDb);
        release();
        const [a, b] = await Promise.all([first, second]);
        expect(a.event.stale, id).to.equal(false);
        expect(b.event.stale, id).to.equal(stale);
        expect(b.skipped, id).to.deep.equal(stale ? ['guarded'] : []);
        expect(await versionOf(id), id).to.equal(T0 + SECOND);
        expect(await dataOf(id), id).to.deep.equal({ version: T0 + SECOND });
        expect((await entry(id))?.event, id).to.equal(stale ? a.event.id : b.event.id);
        // The payment was emitted once, by the event whose transaction wrote it first.
        expect([a.emitted, b.emitted], id).to.deep.equal([true, false]);
        expect(
          b.deliveries.map((d) => d.receiver),
          id,
        ).to.deep.equal(stale ? [] : ['guarded']);
      }
    });

    it('writes nothing of a duplicate: no mirror change, no emission', async () => {
      const payload = { id: 'evt_dup' };
      const input = (version: number): StoreInput => ({
        event: {
          variant: 'stripe',
          source: 'webhook',
          provider: 'stripe',
          dedupeGroup: 'stripe',
          eventId: 'evt_dup',
          type: 'payment_intent.succeeded',
          livemode: false,
          payloadText: JSON.stringify(payload),
          payload,
          receivedAt: new Date(),
          createdAt: undefined,
        },
        receivers: [],
        object: object('sub_dup', version, { version }),
        payment: {
          signal: 'payment:succeeded',
          key: 'payment:succeeded:pi_dup',
          receivers: [receiver('mark-paid', { pattern: 'payment:succeeded' })],
        },
        runAtomic: async () => {},
        leaseMs: 60_000,
      });
      const first = await store.store(input(T0));
      expect(first.emitted).to.equal(true);
      const again = await store.store(input(T0 + SECOND));
      expect(again).to.include({ duplicate: true, emitted: false });
      expect(again.deliveries).to.deep.equal([]);
      expect(await versionOf('sub_dup')).to.equal(T0);
    });
  });

describe('the SQLite fast path and Knex write the same objects, signals and stale rows', () => {
  it('gives the same rows either way', async () => {
    const testDb = await createTestDatabase('sqlite');
    const db = openDatabase(testDb.setting, quiet);
    try {
      await migrateLatest(db, 'payments_', tables);
      const fast = new EventStore(db, tables);
      const knexPath = new EventStore({ ...db, direct: undefined }, tables);
      const receivers = [receiver('guarded', { skipStale: true }), receiver('audit')];
      const payment = (key: string): PaymentEmission => ({
        signal: 'payment:succeeded',
        key,
        receivers: [receiver('mark-paid', { pattern: 'payment:succeeded' })],
      });
      const write = (id: string, version: number): ObjectWrite => ({
        type: 'payment_intent',
        id,
        version,
        data: JSON.stringify({ id }),
        path: null,
        refreshOnTie: true,
      });
      const receivedAt = new Date(1_700_000_123_456);
      const run = async (s: EventStore, tag: string) => {
        const put = (eventId: string, version: number) => {
          const payload = { id: eventId };
          return s.store({
            event: {
              variant: 'stripe',
              source: 'webhook',
              provider: 'stripe',
              dedupeGroup: 'stripe',
              eventId,
              type: 'payment_intent.succeeded',
              livemode: false,
              payloadText: JSON.stringify(payload),
              payload,
              receivedAt,
              createdAt: undefined,
            },
            receivers,
            object: write(`pi_${tag}`, version),
            payment: payment(`payment:succeeded:pi_${tag}`),
            runAtomic: async () => {},
            leaseMs: 60_000,
          });
        };
        // Newer, then an older one (stale, not emitted), then a tie (marked for a refresh).
        return [
          await put(`evt_${tag}_2`, T0 + SECOND),
          await put(`evt_${tag}_1`, T0),
          await put(`evt_${tag}_3`, T0 + SECOND),
        ];
      };
      const a = await run(fast, 'a');
      const b = await run(knexPath, 'b');
      const shape = (results: typeof a) =>
        results.map((r) => ({
          status: r.event.status,
          stale: r.event.stale,
          emitted: r.emitted,
          skipped: r.skipped,
          deliveries: r.deliveries.map((d) => [d.receiver, d.status]),
        }));
      expect(shape(a)).to.deep.equal(shape(b));
      expect(shape(a).map((r) => r.stale)).to.deep.equal([false, true, false]);

      const drop = (row: Row, columns: string[]) => {
        const copy = { ...row };
        for (const c of columns) delete copy[c];
        return copy;
      };
      const rows = async (
        table: string,
        where: (q: ReturnType<typeof db.knex>) => unknown,
        columns: string[],
      ) =>
        ((await (where(db.knex(table).orderBy('id')) as Promise<Row[]>)) as Row[]).map((r) =>
          drop(r, columns),
        );
      const ids = (results: typeof a) => results.map((r) => r.event.id);
      const events = (results: typeof a) =>
        rows(tables.events, (q) => q.whereIn('id', ids(results)), ['id', 'event_id', 'payload']);
      expect(await events(a)).to.deep.equal(await events(b));
      const deliveries = (results: typeof a) =>
        rows(tables.deliveries, (q) => q.whereIn('event', ids(results)), [
          'id',
          'event',
          'locked_until',
          'lease_token',
          'created_at',
          'completed_at',
        ]);
      expect(await deliveries(a)).to.deep.equal(await deliveries(b));
      const objects = (tag: string) =>
        rows(tables.objects, (q) => q.where({ object_id: `pi_${tag}` }), [
          'id',
          'object_id',
          'data',
          'event',
          'updated_at',
          'refresh_requested_at',
        ]);
      expect(await objects('a')).to.deep.equal(await objects('b'));
      const mirror = async (tag: string, results: typeof a) => {
        const row = (await db
          .knex(tables.objects)
          .where({ object_id: `pi_${tag}` })
          .first()) as Row;
        return {
          event: row.event === results[0]!.event.id,
          marked: typeof row.refresh_requested_at,
          updated: typeof row.updated_at,
        };
      };
      expect(await mirror('a', a)).to.deep.equal({
        event: true,
        marked: 'number',
        updated: 'number',
      });
      expect(await mirror('b', b)).to.deep.equal(await mirror('a', a));
      const signals = (tag: string) =>
        rows(tables.paymentSignals, (q) => q.where({ key: `payment:succeeded:pi_${tag}` }), [
          'id',
          'key',
          'event',
          'created_at',
        ]);
      expect(await signals('a')).to.deep.equal(await signals('b'));
    } finally {
      await db.knex.destroy();
      await testDb.cleanup();
    }
  });
});
