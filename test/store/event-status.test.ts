/**
 * The event-status rule (src/store/event-status.ts) on every path that applies it: the status a
 * new event is stored with, and the status settling gives it, on the SQLite fast path, on Knex
 * over SQLite (the rule's SQL twin) and on Knex over Postgres.
 */
import { expect } from 'chai';
import type { DeliveryStatus, EventStatus } from '../../src/index.js';
import type { RegisteredReceiver } from '../../src/signals/registry.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { countStatuses, eventStatus } from '../../src/store/event-status.js';
import { EventStore } from '../../src/store/event-store.js';
import { migrateLatest } from '../../src/store/migrate.js';
import { tableNames } from '../../src/store/table-names.js';
import {
  createTestDatabase,
  onPath,
  STORE_PATHS,
  type TestDatabase,
} from '../helpers/databases.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');
const STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'dead',
  'skipped',
];

/**
 * The rule as the contract states it (DESIGN.md; a skipped delivery counts as settled, issue 20),
 * the oracle of every path.
 */
function expected(statuses: readonly DeliveryStatus[]): EventStatus {
  if (statuses.length === 0) return 'ignored';
  if (statuses.every((s) => s === 'succeeded' || s === 'skipped')) return 'processed';
  if (statuses.some((s) => s === 'failed' || s === 'dead')) return 'failed';
  return 'pending';
}

/** Every multiset of up to three delivery statuses (84 of them, the empty one included). */
function combinations(): DeliveryStatus[][] {
  const all: DeliveryStatus[][] = [[]];
  const grow = (prefix: DeliveryStatus[], from: number) => {
    if (prefix.length === 3) return;
    for (let i = from; i < STATUSES.length; i++) {
      const next = [...prefix, STATUSES[i] as DeliveryStatus];
      all.push(next);
      grow(next, i);
    }
  };
  grow([], 0);
  return all;
}

const receiver = (name: string, atomic: boolean): RegisteredReceiver => ({
  name,
  pattern: '*',
  variants: undefined,
  concurrency: undefined,
  atomic,
  skipStale: false,
  fn: async () => {},
});

/** The receivers a new event is stored with, and the status it must get. */
const NEW_EVENTS: { receivers: RegisteredReceiver[]; status: EventStatus }[] = [
  { receivers: [], status: 'ignored' },
  { receivers: [receiver('atomic', true)], status: 'processed' },
  { receivers: [receiver('after', false)], status: 'pending' },
  { receivers: [receiver('atomic', true), receiver('after', false)], status: 'pending' },
];

describe('event status rule', () => {
  it('gives every combination of delivery statuses the status the contract states', () => {
    const statuses = combinations();
    expect(statuses).to.have.length(84);
    for (const combination of statuses) {
      expect(eventStatus(countStatuses(combination)), combination.join(',')).to.equal(
        expected(combination),
      );
    }
  });
});

// Knex on SQLite applies the rule's SQL twin.
for (const path of STORE_PATHS)
  describe(`event status on ${path.name}`, () => {
    let testDb: TestDatabase;
    let db: Database;
    let store: EventStore;
    let n = 0;

    before(async () => {
      testDb = await createTestDatabase(path.dialect);
      db = openDatabase(testDb.setting, quiet);
      await migrateLatest(db, 'payments_', tables);
      if (path.direct) {
        const fast = path.dialect === 'sqlite' ? db.direct : db.postgres;
        expect(fast, 'the fast path').not.to.equal(undefined);
      }
      store = new EventStore(onPath(db, path), tables);
    });
    after(async () => {
      await db.knex.destroy();
      await testDb.cleanup();
    });

    /** Inserts an event with deliveries of the given statuses; returns its row id. */
    async function eventWith(statuses: readonly DeliveryStatus[]): Promise<number> {
      const now = new Date();
      const [row] = (await db
        .knex(tables.events)
        .insert({
          variant: 'stripe',
          provider: 'stripe',
          event_id: `evt_${n++}`,
          type: 'charge.succeeded',
          status: 'pending',
          received_at: now,
          payload: '{}',
        })
        .returning('id')) as { id: number }[];
      const id = Number(row?.id);
      if (statuses.length > 0) {
        await db.knex(tables.deliveries).insert(
          statuses.map((status, i) => ({
            event: id,
            receiver: `r${i}`,
            status,
            attempts: 1,
            created_at: now,
          })),
        );
      }
      return id;
    }

    const stored = async (id: number) => {
      const row = await db.knex(tables.events).where({ id }).first('status', 'processed_at');
      return { status: row.status as EventStatus, processed: row.processed_at !== null };
    };
    const settled = (status: EventStatus) => status === 'processed' || status === 'ignored';

    it('settles every combination of delivery statuses to the status of the rule', async () => {
      const got: Record<string, unknown> = {};
      const want: Record<string, unknown> = {};
      for (const combination of combinations()) {
        const id = await eventWith(combination);
        const { status: returned } = await store.settle(id, []);
        const key = combination.join(',') || '(none)';
        got[key] = { returned, ...(await stored(id)) };
        const status = expected(combination);
        want[key] = { returned: status, status, processed: settled(status) };
      }
      expect(got).to.deep.equal(want);
    });

    it('stores a new event with the status of the rule over the deliveries it gets', async () => {
      for (const { receivers, status } of NEW_EVENTS) {
        const payload = { id: `evt_new_${n}` };
        const result = await store.store({
          event: {
            variant: 'stripe',
            provider: 'stripe',
            dedupeGroup: 'stripe',
            eventId: `evt_new_${n++}`,
            type: 'charge.succeeded',
            livemode: false,
            payloadText: JSON.stringify(payload),
            payload,
            receivedAt: new Date(),
            createdAt: undefined,
            source: 'webhook',
          },
          receivers,
          runAtomic: async () => {},
          leaseMs: 60_000,
        });
        const names = receivers.map((r) => r.name).join(',') || '(none)';
        expect(result.event.status, names).to.equal(status);
        expect(await stored(result.event.id), names).to.deep.equal({
          status,
          processed: settled(status),
        });
      }
    });
  });
