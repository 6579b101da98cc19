/**
 * dedupeGroup: variants in one group share event identity (UNIQUE(dedupe_group, event_id)).
 * Two Stripe endpoints with different secrets (an API-version migration, or a Connect event at
 * the platform and the account endpoint) run each receiver once. Run on every way the store
 * writes an event: the SQLite fast path (after-commit receivers), Knex on SQLite (an atomic
 * receiver needs a Knex transaction), Postgres; group-committed on SQLite.
 */
import { expect } from 'chai';
import {
  createRegistry,
  migrationSource,
  type Payments,
  type PaymentsSettings,
  payments,
} from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const OLD_SECRET = 'whsec_old_api_version';
const NEW_SECRET = 'whsec_new_api_version';

function stripeEvent(id: string, apiVersion: string) {
  return {
    id,
    object: 'event',
    api_version: apiVersion,
    type: 'checkout.session.completed',
    created: 1_700_000_000,
    data: { object: { id: `cs_${id}`, client_reference_id: 'order-1' } },
  };
}

for (const dialect of DIALECTS)
  for (const atomic of [false, true])
    describe(`dedupeGroup on ${dialect}, ${atomic ? 'an atomic receiver (Knex path)' : 'an after-commit receiver'}`, () => {
      let db: TestDatabase;
      let pay: Payments;
      let server: TestServer;
      let runs: string[];

      async function start(variants: PaymentsSettings['variants']): Promise<void> {
        const registry = createRegistry();
        registry.receiver(
          'checkout.session.completed',
          async ({ variant, event }) => {
            runs.push(`${variant} ${event.eventId}`);
          },
          { name: 'orders.fulfil', atomic },
        );
        pay = payments({
          database: db.setting,
          registry,
          worker: false,
          logger: false,
          variants,
        });
        await pay.migrate();
        server = await listen(appWith(pay));
      }

      const grouped = {
        old: { provider: 'stripe', endpointSecret: OLD_SECRET, dedupeGroup: 'stripe-account' },
        new: { provider: 'stripe', endpointSecret: NEW_SECRET, dedupeGroup: 'stripe-account' },
      } as const;

      /** Sends an event to a variant, signed with that variant's secret. */
      async function send(variant: 'old' | 'new', id: string) {
        const { body, headers } = signWebhook('stripe', {
          secret: variant === 'old' ? OLD_SECRET : NEW_SECRET,
          payload: stripeEvent(id, variant === 'old' ? '2024-06-20' : '2025-03-31.basil'),
        });
        return post(`${server.origin}/payments/process/${variant}/`, body, headers);
      }

      beforeEach(async () => {
        db = await createTestDatabase(dialect);
        runs = [];
      });
      afterEach(async () => {
        await server.close();
        await pay.close();
        await db.cleanup();
      });

      it('answers duplicate: true to the copy that reaches the other variant of the group, and runs nothing', async () => {
        await start(grouped);
        const first = await send('old', 'evt_both');
        expect(first.status).to.equal(200);
        expect(first.body).to.include({ received: true, duplicate: false });
        const second = await send('new', 'evt_both');
        expect(second.status).to.equal(200);
        expect(second.body).to.deep.equal({
          received: true,
          event: first.body.event,
          duplicate: true,
        });
        expect(runs).to.deep.equal(['old evt_both']);
        expect(await count(db.reader, 'payments_events')).to.equal(1);
        expect(await count(db.reader, 'payments_deliveries')).to.equal(1);
        expect(await db.reader('payments_events').first('variant', 'dedupe_group')).to.deep.equal({
          variant: 'old',
          dedupe_group: 'stripe-account',
        });
        // Both requests are logged, against the one event.
        const logged = await db
          .reader('payments_requests')
          .orderBy('id')
          .select('variant', 'event');
        expect(logged.map((r: { variant: string }) => r.variant)).to.deep.equal(['old', 'new']);
        expect(new Set(logged.map((r: { event: number }) => r.event)).size).to.equal(1);
        const stored = await pay.events.get('evt_both');
        expect(stored).to.include({ variant: 'old', dedupeGroup: 'stripe-account' });
      });

      it('stores and runs the event once when both copies arrive at once (group-committed on SQLite)', async () => {
        await start(grouped);
        const answers = await Promise.all([send('old', 'evt_race'), send('new', 'evt_race')]);
        expect(answers.map((a) => a.status)).to.deep.equal([200, 200]);
        expect(answers.map((a) => a.body.duplicate).sort()).to.deep.equal([false, true]);
        expect(answers[0]?.body.event).to.equal(answers[1]?.body.event);
        expect(runs).to.have.length(1);
        expect(await count(db.reader, 'payments_events')).to.equal(1);
      });

      it('keeps variants apart without a group: each is its own', async () => {
        await start({
          old: { provider: 'stripe', endpointSecret: OLD_SECRET },
          new: { provider: 'stripe', endpointSecret: NEW_SECRET },
        });
        expect((await send('old', 'evt_apart')).body.duplicate).to.equal(false);
        expect((await send('new', 'evt_apart')).body.duplicate).to.equal(false);
        expect(runs.sort()).to.deep.equal(['new evt_apart', 'old evt_apart']);
        expect(
          await db.reader('payments_events').orderBy('variant').pluck('dedupe_group'),
        ).to.deep.equal(['new', 'old']);
      });
    });

for (const dialect of DIALECTS)
  describe(`the dedupe_group migration on ${dialect}`, () => {
    it('gives existing events their variant as group, so they stay valid and keep deduplicating', async () => {
      const db = await createTestDatabase(dialect);
      const variants = {
        old: { provider: 'stripe', endpointSecret: OLD_SECRET },
        new: { provider: 'stripe', endpointSecret: NEW_SECRET },
      } as const;
      const pay = payments({
        database: db.setting,
        registry: createRegistry(),
        worker: false,
        logger: false,
        variants,
      });
      try {
        await pay.migrate();
        const options = {
          migrationSource: migrationSource(),
          tableName: 'payments_knex_migrations',
        };
        // Undo dedupe_group and the index that replaced its unique key (the migrations between
        // add tables they do not touch).
        await pay.knex.migrate.down({ ...options, name: '20261206000700_events_event_id_unique' });
        await pay.knex.migrate.down({ ...options, name: '20261206000200_events_dedupe_group' });
        const row = (variant: string) => ({
          variant,
          provider: 'stripe',
          event_id: 'evt_before',
          type: 'charge.succeeded',
          status: 'processed',
          received_at: new Date(),
          payload: '{}',
        });
        // One event id at two variants: allowed by UNIQUE(variant, event_id).
        await pay.knex('payments_events').insert([row('old'), row('new')]);
        await pay.migrate();
        expect(
          await pay.knex('payments_events').orderBy('variant').select('variant', 'dedupe_group'),
        ).to.deep.equal([
          { variant: 'new', dedupe_group: 'new' },
          { variant: 'old', dedupe_group: 'old' },
        ]);
        const { body, headers } = signWebhook('stripe', {
          secret: OLD_SECRET,
          payload: stripeEvent('evt_before', '2024-06-20'),
        });
        const server = await listen(appWith(pay));
        try {
          const answer = await post(`${server.origin}/payments/process/old/`, body, headers);
          expect(answer.body).to.include({ duplicate: true });
        } finally {
          await server.close();
        }
        expect(await count(pay.knex, 'payments_events')).to.equal(2);
      } finally {
        await pay.close();
        await db.cleanup();
      }
    });
  });
