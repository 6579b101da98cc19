/**
 * Storing the events of one request together (`EventStore.storeAll`) on every path a unit of
 * work takes: the SQLite fast path, Knex over SQLite and Knex over Postgres, each alone and
 * group-committed with other units.
 */
import { expect } from 'chai';
import type { RegisteredReceiver } from '../../src/signals/registry.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/event-store.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { migrateLatest } from '../../src/store/migrate.js';
import type { StoreInput } from '../../src/store/store-event.js';
import { tableNames } from '../../src/store/table-names.js';
import {
  createTestDatabase,
  onPath,
  STORE_PATHS,
  type TestDatabase,
} from '../helpers/databases.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');

const receiver = (name: string): RegisteredReceiver => ({
  name,
  pattern: '*',
  variants: undefined,
  atomic: false,
  skipStale: false,
  concurrency: undefined,
  fn: async () => {},
});

function input(eventId: string, options: { log?: 'ok' | 'throws' } = {}): StoreInput {
  const payload = { id: eventId };
  const result: StoreInput = {
    event: {
      variant: 'batch',
      provider: 'batch',
      eventId,
      type: 'order.paid',
      livemode: undefined,
      payloadText: JSON.stringify(payload),
      payload,
      receivedAt: new Date(),
      createdAt: undefined,
      dedupeGroup: 'batch',
      source: 'webhook',
    },
    receivers: [receiver('audit'), receiver('fulfil')],
    runAtomic: async () => {},
    leaseMs: 60_000,
  };
  if (options.log === 'ok') {
    result.logRow = (event) => ({
      variant: 'batch',
      received_at: new Date(),
      remote_ip: null,
      headers: '{}',
      body: null,
      body_size: 0,
      valid: true,
      status_code: 200,
      error: null,
      event: event.id,
      duration_ms: 0,
    });
  }
  if (options.log === 'throws') {
    result.logRow = () => {
      throw new Error('the log line cannot be built');
    };
  }
  return result;
}

for (const path of STORE_PATHS)
  for (const grouped of [false, true])
    describe(`storing the events of one request on ${path.name}${grouped ? ', group-committed' : ''}`, () => {
      let testDb: TestDatabase;
      let db: Database;
      let store: EventStore;

      beforeEach(async () => {
        testDb = await createTestDatabase(path.dialect);
        db = openDatabase(testDb.setting, quiet);
        await migrateLatest(db, 'payments_', tables);
        if (path.direct) {
          const fast = path.dialect === 'sqlite' ? db.direct : db.postgres;
          expect(fast, 'the fast path').not.to.equal(undefined);
        }
        const used = onPath(db, path);
        const committer = grouped
          ? new GroupCommitter(used, { maxBatch: 64, maxWaitMs: 50 })
          : undefined;
        store = new EventStore(used, tables, committer);
      });
      afterEach(async () => {
        await db.knex.destroy();
        await testDb.cleanup();
      });

      const eventIds = () => testDb.reader(tables.events).orderBy('id').pluck('event_id');

      it('stores each event with its own deliveries, and the one log line, in order', async () => {
        const results = await store.storeAll([
          input('e1', { log: 'ok' }),
          input('e2'),
          input('e3'),
        ]);
        expect(results.map((r) => [r.event.eventId, r.duplicate])).to.deep.equal([
          ['e1', false],
          ['e2', false],
          ['e3', false],
        ]);
        expect(results.map((r) => r.deliveries.map((d) => d.receiver))).to.deep.equal([
          ['audit', 'fulfil'],
          ['audit', 'fulfil'],
          ['audit', 'fulfil'],
        ]);
        expect(await eventIds()).to.deep.equal(['e1', 'e2', 'e3']);
        const deliveries = await testDb.reader(tables.deliveries).select('event', 'receiver');
        expect(deliveries).to.have.length(6);
        const lines = await testDb.reader(tables.requests).pluck('event');
        expect(lines.map(Number)).to.deep.equal([results[0]?.event.id]);
      });

      it('stores an event already stored, or given twice, once', async () => {
        await store.store(input('e1'));
        const results = await store.storeAll([input('e1'), input('e2'), input('e2')]);
        expect(results.map((r) => [r.event.eventId, r.duplicate])).to.deep.equal([
          ['e1', true],
          ['e2', false],
          ['e2', true],
        ]);
        expect(results[2]?.event.id).to.equal(results[1]?.event.id);
        expect(await eventIds()).to.deep.equal(['e1', 'e2']);
        expect(await testDb.reader(tables.deliveries).count({ n: '*' })).to.deep.equal([
          { n: testDb.dialect === 'postgres' ? '4' : 4 },
        ]);
      });

      it('stores none of them when the writes of one fail, and leaves other units alone', async () => {
        const [failed, alone] = await Promise.allSettled([
          store.storeAll([input('e1'), input('e2'), input('e3', { log: 'throws' })]),
          store.store(input('other')),
        ]);
        expect(failed?.status).to.equal('rejected');
        expect((failed as PromiseRejectedResult).reason.message).to.equal(
          'the log line cannot be built',
        );
        expect(alone?.status).to.equal('fulfilled');
        expect(await eventIds()).to.deep.equal(['other']);
        const deliveries = await testDb.reader(tables.deliveries).pluck('event');
        expect(deliveries).to.have.length(2);
      });
    });
