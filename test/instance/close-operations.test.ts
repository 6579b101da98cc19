/**
 * close() with operators' calls in progress (src/instance/shutdown.ts): a manual `pay.sync()` and
 * the periodic catch-up stop between two events and are waited for before the database closes,
 * what they stored is committed,
 * and sync, reconcile and runDueSyncs() called after close() are refused with the 503.
 */
import { expect } from 'chai';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { fakeForEach } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { gate } from '../helpers/sync.js';

const KEY = 'sk_test_51CloseWithSync';
const SECRET = 'whsec_close_with_sync';

/** How a promise settled: its error (a rejection), or a failure of the test. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('it was not refused'),
    (error: { code?: string; status?: number }) => error,
  );

for (const dialect of DIALECTS)
  describe(`close() with operators' calls in flight on ${dialect}`, () => {
    const api = fakeForEach(() => new StripeApiFake(KEY));
    let db: TestDatabase;
    let pay: Payments;
    let runs: string[];
    let logger: ReturnType<typeof recordingLogger>;

    async function start(settings: {
      worker: boolean;
      sync?: { every: string; lookback: string };
    }) {
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function book({ event }) {
        runs.push(event.eventId);
      });
      pay = payments({
        database: db.setting,
        registry,
        worker: settings.worker,
        logger,
        variants: {
          stripe: {
            provider: 'stripe',
            endpointSecret: SECRET,
            apiKey: KEY,
            apiBase: api.current.origin,
            ...(settings.sync === undefined ? {} : { sync: settings.sync }),
          },
        },
      });
      await pay.migrate();
    }

    /** The stored events, with their deliveries, read after close() through a second connection. */
    const committed = () =>
      db
        .reader('payments_events as e')
        .join('payments_deliveries as d', 'd.event', 'e.id')
        .orderBy('e.event_id')
        .select('e.event_id', 'e.source', 'e.status', 'd.status as delivery', 'd.attempts');

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      runs = [];
      logger = recordingLogger();
    });

    afterEach(async () => {
      await pay?.close();
      await db.cleanup();
    });

    it('stops a manual sync between two events and waits for it: what it stored is committed, the rest left for the next sync', async () => {
      await start({ worker: false });
      api.current.pageSize = 1;
      // Newest first: the sync stores the newer one, then would list the older one.
      api.current.addChargeAgo(10);
      const newer = api.current.addChargeAgo(5);
      const order: string[] = [];
      let closed: Promise<void> | undefined;
      const synced = pay.sync('stripe', {
        since: '1h',
        onProgress: (progress) => {
          // close() is called while the sync is in progress, right after its first event.
          if (progress.stored === 1 && closed === undefined)
            closed = pay.close({ timeoutMs: 30_000 }).then(() => {
              order.push('closed');
            });
        },
      });
      const error = (await rejectionOf(synced)) as { cause?: { code?: string; status?: number } };
      order.push('sync settled');
      expect(error.cause).to.include({ code: 'store_unavailable', status: 503 });
      await closed;
      expect(order).to.deep.equal(['sync settled', 'closed']);
      expect(runs).to.deep.equal([newer]);
      expect(await committed()).to.deep.equal([
        {
          event_id: newer,
          source: 'sync',
          status: 'processed',
          delivery: 'succeeded',
          attempts: 1,
        },
      ]);
    });

    it('refuses sync, reconcile and runDueSyncs() called after close() began, before asking the API', async () => {
      await start({ worker: false, sync: { every: '15m', lookback: '1h' } });
      api.current.addChargeAgo(5);
      const closed = pay.close();
      for (const call of [
        () => pay.sync('stripe', { since: '1h' }),
        () => pay.reconcile('stripe', ['ch_1']),
        () => pay.runDueSyncs(),
      ]) {
        expect(await rejectionOf(call())).to.include({ code: 'store_unavailable', status: 503 });
      }
      await closed;
      expect(api.current.requests).to.deep.equal([]);
      expect(await committed()).to.deep.equal([]);
    });

    it('waits for a periodic catch-up run held mid-request, which stops there and records its run', async () => {
      const released = gate();
      const listing = api.current.hold('/v1/events', released.opened);
      api.current.addChargeAgo(5);
      await start({ worker: true, sync: { every: '15m', lookback: '1h' } });
      await listing;
      let closedYet = false;
      const closed = pay.close({ timeoutMs: 30_000 }).then(() => {
        closedYet = true;
      });
      expect((await fetch(`${api.current.origin}/v1/events/evt_none`)).status).to.equal(401);
      expect(closedYet).to.equal(false);
      released.open();
      await closed;
      // Stopped between two events: its window is listed again by the next run.
      const [state] = await db.reader('payments_sync_state').where({ variant: 'stripe' });
      expect(state).to.include({ last_status: 'failed', lease_holder: null, lease_token: null });
      expect(await committed()).to.deep.equal([]);
    });
  });
