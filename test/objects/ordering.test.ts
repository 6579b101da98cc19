/**
 * Events that arrive out of order, over HTTP, on SQLite and Postgres: the objects mirror keeps
 * the newest state, `signal.stale` tells the older event, and a `skipStale` receiver is skipped
 * (a replay still runs it). Issue 20's "done when", first half.
 */
import { expect } from 'chai';
import { createRegistry, type Registry } from '../../src/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

const SECRET = 'whsec_objects_ordering';
const CREATED = 1_750_000_000; // Unix seconds

/** A Stripe subscription event about `sub` at `created`, with the status it carries. */
function subscriptionEvent(type: string, sub: string, created: number, status: string) {
  const payload = samplePayload('stripe', type, { created, data: { object: { id: sub, status } } });
  return payload as typeof payload & { id: string };
}

for (const dialect of DIALECTS)
  describe(`events out of order on ${dialect}`, () => {
    let registry: Registry;
    let calls: { receiver: string; type: string; eventId: string; stale: boolean }[];
    beforeEach(() => {
      registry = createRegistry();
      calls = [];
      registry.receiver(
        'customer.subscription.*',
        async function syncSubscription({ type, event, stale }) {
          calls.push({ receiver: 'sync', type, eventId: event.eventId, stale });
        },
        { skipStale: true },
      );
      registry.receiver('customer.subscription.*', async function audit({ type, event, stale }) {
        calls.push({ receiver: 'audit', type, eventId: event.eventId, stale });
      });
    });

    // After the registry is made: payments() takes it when each test starts.
    const served = servedForEach(dialect, (db) => ({
      database: db.setting,
      registry,
      worker: false,
      variants: {
        stripe: { provider: 'stripe', endpointSecret: SECRET },
        // A variant with API access: a tie marks the mirror entry for a refresh.
        stripe_api: { provider: 'stripe', endpointSecret: SECRET, apiKey: 'sk_test_objects' },
      },
    }));

    const send = async (payload: object, variant = 'stripe') => {
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      const res = await post(served.url(variant), body, headers);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res;
    };
    const deliveriesOf = async (eventId: string) =>
      ((await served.pay.events.get(eventId, 'stripe'))?.deliveries ?? []).map((d) => [
        d.receiver,
        d.status,
      ]);

    it('keeps the newest state and skips the stale receiver when .created arrives after .updated', async () => {
      const created = subscriptionEvent(
        'customer.subscription.created',
        'sub_ooo',
        CREATED,
        'incomplete',
      );
      const updated = subscriptionEvent(
        'customer.subscription.updated',
        'sub_ooo',
        CREATED + 5,
        'active',
      );
      await send(updated);
      await send(created);

      const state = await served.pay.objects.get('stripe', 'subscription', 'sub_ooo');
      expect(state).to.include({
        objectType: 'subscription',
        objectId: 'sub_ooo',
        version: (CREATED + 5) * 1e6,
      });
      expect(state?.data).to.include({ id: 'sub_ooo', status: 'active' });
      const updatedRow = await served.pay.events.get(updated.id, 'stripe');
      expect(state?.event).to.equal(updatedRow?.id);
      expect(state?.refreshRequestedAt).to.equal(null);

      expect(calls).to.deep.equal([
        {
          receiver: 'sync',
          type: 'customer.subscription.updated',
          eventId: updated.id,
          stale: false,
        },
        {
          receiver: 'audit',
          type: 'customer.subscription.updated',
          eventId: updated.id,
          stale: false,
        },
        {
          receiver: 'audit',
          type: 'customer.subscription.created',
          eventId: created.id,
          stale: true,
        },
      ]);
      const stale = await served.pay.events.get(created.id, 'stripe');
      expect(stale).to.include({ stale: true, status: 'processed' });
      expect(await deliveriesOf(created.id)).to.deep.equal([
        ['syncSubscription', 'skipped'],
        ['audit', 'succeeded'],
      ]);
      expect(await deliveriesOf(updated.id)).to.deep.equal([
        ['syncSubscription', 'succeeded'],
        ['audit', 'succeeded'],
      ]);

      // Nothing runs a skipped delivery by itself: not the worker, not a redelivery.
      expect(await served.pay.runDueDeliveries()).to.equal(0);
      await send(created);
      expect(calls).to.have.length(3);
      // A replay naming the receiver forces it, and it still sees the event as stale.
      const replayed = await served.pay.replay(created.id, {
        variant: 'stripe',
        receivers: ['syncSubscription'],
      });
      expect(replayed.deliveries.map((d) => [d.receiver, d.status])).to.deep.equal([
        ['syncSubscription', 'succeeded'],
        ['audit', 'succeeded'],
      ]);
      expect(calls.at(-1)).to.deep.equal({
        receiver: 'sync',
        type: 'customer.subscription.created',
        eventId: created.id,
        stale: true,
      });
    });

    it('calls neither event stale when they arrive in order', async () => {
      const created = subscriptionEvent(
        'customer.subscription.created',
        'sub_in',
        CREATED,
        'incomplete',
      );
      const updated = subscriptionEvent(
        'customer.subscription.updated',
        'sub_in',
        CREATED + 5,
        'active',
      );
      await send(created);
      await send(updated);
      expect(calls.map((c) => [c.receiver, c.type, c.stale])).to.deep.equal([
        ['sync', 'customer.subscription.created', false],
        ['audit', 'customer.subscription.created', false],
        ['sync', 'customer.subscription.updated', false],
        ['audit', 'customer.subscription.updated', false],
      ]);
      const state = await served.pay.objects.get('stripe', 'subscription', 'sub_in');
      expect(state?.data).to.include({ status: 'active' });
      expect(state?.version).to.equal((CREATED + 5) * 1e6);
    });

    it('keeps the newest state when both arrive at once, and skips the older only when it is stale', async () => {
      const pairs = Array.from({ length: 6 }, (_, i) => ({
        sub: `sub_race_${i}`,
        created: subscriptionEvent(
          'customer.subscription.created',
          `sub_race_${i}`,
          CREATED,
          'incomplete',
        ),
        updated: subscriptionEvent(
          'customer.subscription.updated',
          `sub_race_${i}`,
          CREATED + 1,
          'active',
        ),
      }));
      // Every request of every pair in flight together, in alternating orders.
      await Promise.all(
        pairs.flatMap(({ created, updated }, i) =>
          i % 2 === 0 ? [send(created), send(updated)] : [send(updated), send(created)],
        ),
      );
      for (const { sub, created, updated } of pairs) {
        const state = await served.pay.objects.get('stripe', 'subscription', sub);
        expect(state?.data, sub).to.include({ status: 'active' });
        expect(state?.version, sub).to.equal((CREATED + 1) * 1e6);
        const older = await served.pay.events.get(created.id, 'stripe');
        const newer = await served.pay.events.get(updated.id, 'stripe');
        expect(newer?.stale, sub).to.equal(false);
        const stale = older?.stale === true;
        // SQLite stores one event after the other, in row id order, so the id says which came
        // second. Postgres numbers rows when they are inserted, not when the mirror is written.
        if (dialect === 'sqlite') expect(stale, sub).to.equal((older?.id ?? 0) > (newer?.id ?? 0));
        expect(await deliveriesOf(created.id), sub).to.deep.equal([
          ['syncSubscription', stale ? 'skipped' : 'succeeded'],
          ['audit', 'succeeded'],
        ]);
        const ran = calls.filter((c) => c.eventId === created.id).map((c) => [c.receiver, c.stale]);
        expect(ran, sub).to.deep.equal(
          stale
            ? [['audit', true]]
            : [
                ['sync', false],
                ['audit', false],
              ],
        );
      }
    });

    it('never calls a tie stale; on a variant with API access it marks the entry for a refresh', async () => {
      for (const variant of ['stripe', 'stripe_api']) {
        const first = subscriptionEvent(
          'customer.subscription.updated',
          'sub_tie',
          CREATED,
          'active',
        );
        const second = subscriptionEvent(
          'customer.subscription.updated',
          'sub_tie',
          CREATED,
          'past_due',
        );
        await send(first, variant);
        await send(second, variant);
        const state = await served.pay.objects.get(variant, 'subscription', 'sub_tie');
        expect(state?.data, variant).to.include({ status: 'active' });
        expect(state?.refreshRequestedAt instanceof Date, variant).to.equal(
          variant === 'stripe_api',
        );
        expect((await served.pay.events.get(second.id, variant))?.stale).to.equal(false);
      }
      expect(calls.every((c) => !c.stale)).to.equal(true);
      expect(await served.pay.objects.list({ needsRefresh: true })).to.have.length(1);
    });

    it('keeps signal.stale on a retry: it is decided when the event is stored', async () => {
      let fail = true;
      const seen: boolean[] = [];
      registry.receiver('customer.subscription.created', async function flaky({ stale }) {
        seen.push(stale);
        if (fail) throw new Error('not yet');
      });
      await send(
        subscriptionEvent('customer.subscription.updated', 'sub_retry', CREATED + 5, 'active'),
      );
      const created = subscriptionEvent(
        'customer.subscription.created',
        'sub_retry',
        CREATED,
        'incomplete',
      );
      await send(created);
      fail = false;
      const replayed = await served.pay.replay(created.id, { variant: 'stripe' });
      expect(seen).to.deep.equal([true, true]);
      expect(replayed.deliveries.map((d) => [d.receiver, d.status])).to.deep.equal([
        ['syncSubscription', 'skipped'],
        ['audit', 'succeeded'],
        ['flaky', 'succeeded'],
      ]);
      expect(replayed.status).to.equal('processed');
    });

    it('lists the mirror newest first, filtered, by keyset pages', async () => {
      for (let i = 0; i < 5; i++) {
        await send(
          subscriptionEvent('customer.subscription.created', `sub_list_${i}`, CREATED, 'active'),
        );
      }
      await send(samplePayload('stripe', 'customer.created'));
      const all = await served.pay.objects.list({ variant: 'stripe' });
      expect(all.map((o) => o.objectType)).to.deep.equal([
        'customer',
        ...Array(5).fill('subscription'),
      ]);
      const first = await served.pay.objects.list({
        variant: 'stripe',
        type: 'subscription',
        limit: 2,
      });
      expect(first.map((o) => o.objectId)).to.deep.equal(['sub_list_4', 'sub_list_3']);
      const second = await served.pay.objects.list({
        variant: 'stripe',
        type: 'subscription',
        limit: 2,
        before: first.at(-1)?.id,
      });
      expect(second.map((o) => o.objectId)).to.deep.equal(['sub_list_2', 'sub_list_1']);
      const last = await served.pay.objects.list({
        type: 'subscription',
        limit: 2,
        before: second.at(-1)?.id,
      });
      expect(last.map((o) => o.objectId)).to.deep.equal(['sub_list_0']);
      expect(await served.pay.objects.list({ variant: 'stripe_api' })).to.deep.equal([]);
      expect(await served.pay.objects.list({ needsRefresh: false })).to.have.length(6);
      expect(await served.pay.objects.get('stripe', 'subscription', 'sub_none')).to.equal(
        undefined,
      );
    });
  });
