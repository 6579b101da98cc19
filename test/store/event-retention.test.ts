/**
 * Retention of settled events (src/store/event-retention.ts): `events.retentionDays`, applied by
 * `pay.prune()` and the worker. Events are made old by moving their times back in the database,
 * never by waiting.
 */
import { expect } from 'chai';
import { createRegistry, type Payments, type PaymentsSettings, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/sync.js';

const SECRET = 'whsec_retention_test';
const DAY = 86_400_000;

for (const dialect of DIALECTS)
  describe(`event retention on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;
    const ran: string[] = [];

    async function start(settings: Partial<PaymentsSettings> = {}) {
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async ({ event }) => void ran.push(event.eventId), {
        name: 'books',
      });
      registry.receiver(
        'charge.failed',
        async () => {
          throw new Error('the ledger is down');
        },
        { name: 'alerts' },
      );
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        events: { retentionDays: 90 },
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    }
    const send = (id: string, type: string) => {
      const payload = { id, object: 'event', type, created: 1_700_000_000, data: { object: {} } };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      return post(`${server.origin}/payments/process/stripe/`, body, headers);
    };
    /** Moves an event's receipt and settling `days` back. */
    const age = (eventId: string, days: number) => {
      const then = new Date(Date.now() - days * DAY);
      return pay
        .knex('payments_events')
        .where({ event_id: eventId })
        .update({ received_at: then, processed_at: then });
    };
    const stored = async () =>
      (
        (await db.reader('payments_events').orderBy('id').select('event_id', 'status')) as {
          event_id: string;
          status: string;
        }[]
      ).map((e) => `${e.event_id}:${e.status}`);

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      ran.length = 0;
    });
    afterEach(async () => {
      await server?.close();
      await pay?.close();
      await db.cleanup();
    });

    it('prunes settled events past the retention, with their deliveries; never pending or failed ones', async () => {
      await start();
      await send('evt_processed', 'charge.succeeded');
      await send('evt_ignored', 'customer.created');
      await send('evt_failed', 'charge.failed');
      await send('evt_replaying', 'charge.succeeded');
      await send('evt_recent', 'charge.succeeded');
      for (const id of ['evt_processed', 'evt_ignored', 'evt_failed', 'evt_replaying']) {
        await age(id, 100);
      }
      await age('evt_recent', 80);
      // A processed event whose delivery a replay has just claimed: its status follows later.
      const replaying = await pay.events.get('evt_replaying');
      await pay
        .knex('payments_deliveries')
        .where({ event: replaying?.id })
        .update({ status: 'running', locked_until: new Date(Date.now() + 60_000) });
      const before = await stored();

      const counted = await pay.prune({ dryRun: true });
      expect(counted).to.deep.include({ events: 2, deliveries: 1, dryRun: true });
      expect(await stored()).to.deep.equal(before);

      const pruned = await pay.prune();
      expect(pruned).to.deep.include({ events: 2, deliveries: 1, dryRun: false });
      expect(pruned.before.events?.getTime()).to.be.closeTo(Date.now() - 90 * DAY, 60_000);
      expect(await stored()).to.deep.equal([
        'evt_failed:failed',
        'evt_replaying:processed',
        'evt_recent:processed',
      ]);
      expect(await count(db.reader, 'payments_deliveries')).to.equal(3);
      // Their request-log lines stay, without their event.
      const orphans = await db.reader('payments_requests').whereNull('event').count({ n: '*' });
      expect(Number((orphans[0] as { n: unknown }).n)).to.equal(2);
    });

    it('prunes a stale event whose deliveries were skipped; keeps its mirror entry and payment signal without it', async () => {
      const registry = createRegistry();
      registry.receiver('payment_intent.*', async () => {}, { name: 'sync', skipStale: true });
      registry.receiver('payment:succeeded', async () => {}, { name: 'mark-paid' });
      await start({ registry });
      const intent = (id: string, created: number) => {
        const payload = {
          id,
          object: 'event',
          type: 'payment_intent.succeeded',
          created,
          data: {
            object: {
              id: 'pi_retention',
              object: 'payment_intent',
              amount: 500,
              amount_received: 500,
              currency: 'usd',
              status: 'succeeded',
              metadata: {},
            },
          },
        };
        const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
        return post(`${server.origin}/payments/process/stripe/`, body, headers);
      };
      await intent('evt_newer', 1_700_000_010);
      await intent('evt_stale', 1_700_000_000);
      const stale = await pay.events.get('evt_stale');
      expect(stale?.stale).to.equal(true);
      expect(stale?.deliveries.map((d) => d.status)).to.deep.equal(['skipped']);
      await age('evt_newer', 100);
      await age('evt_stale', 100);

      expect(await pay.prune()).to.deep.include({ events: 2, deliveries: 3 });
      expect(await stored()).to.deep.equal([]);
      const entry = await pay.objects.get('stripe', 'payment_intent', 'pi_retention');
      expect(entry).to.include({ event: null, version: 1_700_000_010 * 1e6 });
      const signals = await db.reader('payments_payment_signals').select('key', 'event');
      expect(signals).to.deep.equal([{ key: 'payment:succeeded:pi_retention', event: null }]);

      // A redelivery of a pruned event is stored anew (a tie with the mirror: not stale) and does
      // not emit its payment again.
      await intent('evt_newer', 1_700_000_010);
      const again = await pay.events.get('evt_newer');
      expect(again?.deliveries.map((d) => [d.receiver, d.status])).to.deep.equal([
        ['sync', 'succeeded'],
      ]);
    });

    it('stores the redelivery of a pruned event as a new event, and runs its receivers again', async () => {
      await start();
      await send('evt_redelivered', 'charge.succeeded');
      await age('evt_redelivered', 100);
      expect((await pay.prune()).events).to.equal(1);
      const again = await send('evt_redelivered', 'charge.succeeded');
      expect(again.body).to.include({ received: true, duplicate: false });
      expect(ran).to.deep.equal(['evt_redelivered', 'evt_redelivered']);
    });

    it('keeps every event without events.retentionDays, unless a cut-off is given', async () => {
      await start({ events: {} });
      await send('evt_kept', 'charge.succeeded');
      await age('evt_kept', 3650);
      expect(await pay.prune()).to.deep.include({ events: 0, deliveries: 0 });
      expect((await pay.prune()).before.events).to.equal(null);
      expect(await stored()).to.deep.equal(['evt_kept:processed']);
      expect((await pay.prune({ events: 30 * DAY })).events).to.equal(1);
    });

    it('is pruned by the worker', async () => {
      await start();
      await send('evt_worker', 'customer.created');
      await age('evt_worker', 91);
      pay.startWorker(); // it prunes at its first poll, then hourly
      await until(async () => (await count(db.reader, 'payments_events')) === 0);
    });

    it('prunes in batches: more events than one batch holds', async () => {
      await start();
      const then = new Date(Date.now() - 100 * DAY);
      const rows = Array.from({ length: 1_200 }, (_, i) => ({
        variant: 'stripe',
        provider: 'stripe',
        event_id: `evt_bulk_${i}`,
        type: 'customer.created',
        payload: '{}',
        status: 'ignored',
        received_at: then,
        processed_at: then,
      }));
      for (let i = 0; i < rows.length; i += 200) {
        await pay.knex('payments_events').insert(rows.slice(i, i + 200));
      }
      expect((await pay.prune()).events).to.equal(1_200);
      expect(await count(db.reader, 'payments_events')).to.equal(0);
    });
  });
