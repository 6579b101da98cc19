/**
 * Claims and leases (src/store/deliveries.ts) and the fence on what a runner writes: a claim
 * counts its attempt and writes a new lease token in one statement; renewing a lease and
 * recording an outcome (src/store/settle.ts) change a row only while it carries the runner's
 * token. Time is passed to the claims, never waited for.
 */
import { expect } from 'chai';
import { type Database, openDatabase } from '../../src/store/database.js';
import { Deliveries, LeaseLostError } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/event-store.js';
import { migrateLatest } from '../../src/store/migrate.js';
import { tableNames } from '../../src/store/table-names.js';
import type { DeliveryStatus } from '../../src/store/types.js';
import {
  createTestDatabase,
  onPath,
  STORE_PATHS,
  type TestDatabase,
} from '../helpers/databases.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tables = tableNames('payments_');
const LEASE_MS = 60_000;

for (const path of STORE_PATHS)
  describe(`delivery leases on ${path.name}`, () => {
    let testDb: TestDatabase;
    let db: Database;
    let deliveries: Deliveries;
    let store: EventStore;
    let n = 0;

    before(async () => {
      testDb = await createTestDatabase(path.dialect);
      db = openDatabase(testDb.setting, quiet);
      await migrateLatest(db, 'payments_', tables);
      const paths = onPath(db, path);
      deliveries = new Deliveries(paths, tables);
      store = new EventStore(paths, tables);
    });
    after(async () => {
      await db.knex.destroy();
      await testDb.cleanup();
    });

    /** An event with one failed delivery, due at once; returns the event's row id. */
    async function failedDelivery(): Promise<number> {
      const now = new Date();
      const [row] = (await db
        .knex(tables.events)
        .insert({
          variant: 'stripe',
          provider: 'stripe',
          event_id: `evt_${path.name}_${n++}`,
          type: 'charge.succeeded',
          status: 'failed',
          received_at: now,
          payload: '{}',
        })
        .returning('id')) as { id: number }[];
      const id = Number(row?.id);
      await db.knex(tables.deliveries).insert({
        event: id,
        receiver: 'orders',
        status: 'failed',
        attempts: 1,
        last_error: 'Error: first',
        next_attempt_at: new Date(now.getTime() - 1),
        created_at: now,
      });
      return id;
    }
    const row = (eventId: number) =>
      db
        .knex(tables.deliveries)
        .where({ event: eventId })
        .first('status', 'attempts', 'last_error', 'lease_token');

    /**
     * A first runner claims the delivery; its lease expires, and a second runner claims it
     * `late`. Returns both claims.
     */
    async function takenOver(eventId: number) {
      const t0 = new Date();
      const claim = (statuses: DeliveryStatus[], now: Date) =>
        deliveries.claimForEvent(eventId, LEASE_MS, { statuses }, now);
      const [first] = await claim(['failed'], t0);
      // Before the lease expires, nobody else can claim it.
      expect(await claim(['running'], new Date(t0.getTime() + LEASE_MS - 1))).to.deep.equal([]);
      const late = new Date(t0.getTime() + LEASE_MS + 1);
      const [second] = await claim(['running'], late);
      if (first === undefined || second === undefined) throw new Error('not claimed');
      return { first, second, late };
    }

    it('counts the attempt and writes a new lease token in the claim itself', async () => {
      const eventId = await failedDelivery();
      const [claim] = await deliveries.claimForEvent(eventId, LEASE_MS, { statuses: ['failed'] });
      expect(claim).to.include({ attempt: 2, attempts: 2, status: 'running' });
      expect(claim?.lease).to.match(/^[0-9a-f-]{36}$/);
      expect(await row(eventId)).to.deep.equal({
        status: 'running',
        attempts: 2,
        last_error: 'Error: first',
        lease_token: claim?.lease,
      });
    });

    it('renews a lease only for the runner that still holds it', async () => {
      const { first, second, late } = await takenOver(await failedDelivery());
      // The second claim is the next attempt, under another token.
      expect(second).to.include({ id: first.id, attempt: 3 });
      expect(second.lease).not.to.equal(first.lease);
      expect([...(await deliveries.renew([first], LEASE_MS, late))]).to.deep.equal([]);
      expect([...(await deliveries.renew([second], LEASE_MS, late))]).to.deep.equal([second.id]);
    });

    it('records an outcome only under the lease its runner claimed', async () => {
      const eventId = await failedDelivery();
      const { first, second, late } = await takenOver(eventId);
      // The second runner succeeds; the first one's late failure changes nothing.
      expect(
        await store.settle(eventId, [{ delivery: second, record: { status: 'succeeded' } }]),
      ).to.deep.equal({ status: 'processed', lost: [] });
      const failure = { status: 'failed' as const, error: 'Error: late', nextAttemptAt: late };
      expect(await store.settle(eventId, [{ delivery: first, record: failure }])).to.deep.equal({
        status: 'processed',
        lost: [first],
      });
      expect(await row(eventId)).to.deep.equal({
        status: 'succeeded',
        attempts: 3,
        last_error: null,
        lease_token: null,
      });
    });

    it('records no outcome for a delivery of another event, and says which', async () => {
      const settling = await failedDelivery();
      const other = await failedDelivery();
      const [claim] = await deliveries.claimForEvent(other, LEASE_MS, { statuses: ['failed'] });
      if (claim === undefined) throw new Error('not claimed');
      expect(
        await store.settle(settling, [{ delivery: claim, record: { status: 'succeeded' } }]),
      ).to.deep.equal({ status: 'failed', lost: [claim] });
      expect(await row(other)).to.include({ status: 'running', lease_token: claim.lease });
    });

    it('rolls back the transaction of a success recorded under a lost lease', async () => {
      const eventId = await failedDelivery();
      const { first, second } = await takenOver(eventId);
      let thrown: unknown;
      try {
        await db.knex.transaction(async (trx) => {
          await trx(tables.events).where({ id: eventId }).update({ type: 'written.by.first' });
          await deliveries.recordSuccess(first, trx);
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(LeaseLostError);
      expect((await db.knex(tables.events).where({ id: eventId }).first('type')).type).to.equal(
        'charge.succeeded',
      );
      expect(await row(eventId)).to.include({ status: 'running', lease_token: second.lease });
    });
  });
