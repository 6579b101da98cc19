/**
 * How the objects mirror holds a state (src/objects/mirror.ts), over HTTP on SQLite and
 * Postgres: a pointer into the event's payload when the state is a plain subtree of it (Stripe's
 * `data.object`), a copy otherwise; a prune writes the state into the entries pointing at the
 * events it deletes, so reads return the same state before and after.
 */
import { expect } from 'chai';
import { createRegistry, type Provider } from '../../src/index.js';
import { factsOf } from '../../src/objects/facts.js';
import { entryState } from '../../src/objects/mirror.js';
import { samplePayload, sendWebhook } from '../../src/testing/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { servedForEach, webhookRequest } from '../helpers/provider.js';

const SECRET = 'whsec_mirror_pointer';
const CREATED = 1_750_000_000; // Unix seconds
const DAY = 86_400_000;

/** A provider whose facts name `data` as the object's path, but whose `signal.data` is built. */
const BUILDING: Provider = {
  name: 'acme',
  verify({ rawBody }) {
    const payload = JSON.parse(rawBody.toString('utf8'));
    return { id: payload.id, type: payload.type, data: { ...payload.data, built: true }, payload };
  },
  facts(_type, payload) {
    const data = (payload as { data: { id: string } }).data;
    return { object: { type: 'thing', id: data.id, path: ['data'] } };
  },
};

/**
 * A provider whose requests carry several events, each item's `data` a plain subtree of the item
 * (its `payload`), with no `payloadText` of its own: each event is stored with the whole body.
 */
const BATCHING: Provider = {
  name: 'batcher',
  verify({ rawBody }) {
    const { events } = JSON.parse(rawBody.toString('utf8')) as {
      events: { id: string; type: string; data: { id: string } }[];
    };
    return events.map((item) => ({ id: item.id, type: item.type, data: item.data, payload: item }));
  },
  facts(_type, payload) {
    const data = (payload as { data: { id: string } }).data;
    return { object: { type: 'thing', id: data.id, path: ['data'] } };
  },
};

describe('the path an object names in its payload', () => {
  it('reads no state, rather than failing, from a payload that is not JSON', () => {
    expect(entryState(null, '["data"]', '{"data":{"id":"x"}}')).to.deep.equal({ id: 'x' });
    expect(entryState(null, '["data"]', 'id=x&status=paid')).to.equal(null);
    expect(entryState('{"id":"y"}', null, null)).to.deep.equal({ id: 'y' });
  });

  it('is kept when it is a short list of keys, and makes the object malformed otherwise', () => {
    const withPath = (path: unknown): Provider => ({
      name: 'p',
      verify: () => ({ id: 'e', type: 't', data: null, payload: null }),
      facts: () => ({ object: { type: 'thing', id: '1', path: path as string[] } }),
    });
    expect(factsOf(withPath(['data', 'object']), 't', {}).facts.object).to.deep.equal({
      type: 'thing',
      id: '1',
      path: ['data', 'object'],
    });
    const holed: string[] = new Array(2);
    holed[1] = 'x';
    for (const path of ['data', [1], holed, Array.from({ length: 17 }, () => 'a')]) {
      const reading = factsOf(withPath(path), 't', {});
      expect(reading.facts, JSON.stringify(path)).to.deep.equal({});
      expect(reading.errors.map((e) => e.message)).to.deep.equal([
        "the p provider's facts() named a malformed object",
      ]);
    }
  });
});

for (const dialect of DIALECTS)
  describe(`the objects mirror's pointers on ${dialect}`, () => {
    const served = servedForEach(dialect, (db) => ({
      database: db.setting,
      registry: createRegistry(),
      worker: false,
      events: { retentionDays: 90 },
      variants: {
        stripe: { provider: 'stripe', endpointSecret: SECRET },
        paystack: { provider: 'paystack', secretKey: 'sk_test_mirror_pointer' },
        acme: { provider: BUILDING },
        batcher: { provider: BATCHING },
      },
    }));

    const subscription = (id: string, created: number, status: string) => {
      const payload = samplePayload('stripe', 'customer.subscription.updated', {
        id: `evt_${id}_${created}`,
        created,
        data: { object: { id, status } },
      });
      return payload as typeof payload & { id: string; data: { object: unknown } };
    };
    const send = async (variant: string, payload: object) => {
      const sent = await sendWebhook(served.pay, variant, payload);
      expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    };
    const row = async (variant: string, id: string) =>
      (await served.db
        .reader('payments_objects')
        .where({ variant, object_id: id })
        .first('data', 'data_path', 'event')) as Record<string, unknown>;

    it("stores a Stripe object as a path into its event's payload, and reads it back as it was", async () => {
      const payload = subscription('sub_ptr', CREATED, 'active');
      await send('stripe', payload);
      const event = await served.pay.events.get(payload.id, 'stripe');
      expect(await row('stripe', 'sub_ptr')).to.deep.equal({
        data: null,
        data_path: '["data","object"]',
        event: event?.id,
      });
      const entry = await served.pay.objects.get('stripe', 'subscription', 'sub_ptr');
      expect(entry?.data).to.deep.equal(payload.data.object);
      const [listed] = await served.pay.objects.list({ variant: 'stripe' });
      expect(listed).to.deep.equal(entry);

      // A newer event points at its own payload.
      const newer = subscription('sub_ptr', CREATED + 5, 'past_due');
      await send('stripe', newer);
      const newerEvent = await served.pay.events.get(newer.id, 'stripe');
      expect(await row('stripe', 'sub_ptr')).to.include({ data: null, event: newerEvent?.id });
      expect(
        (await served.pay.objects.get('stripe', 'subscription', 'sub_ptr'))?.data,
      ).to.deep.equal(newer.data.object);
    });

    it('stores a copy when the state is not a plain subtree of the payload', async () => {
      // Paystack's facts name no path; this provider names one, but its data is built.
      const sent = await sendWebhook(served.pay, 'paystack', 'charge.success');
      expect(sent.status).to.equal(200);
      const stored = (await served.db
        .reader('payments_events')
        .where({ variant: 'paystack' })
        .first('payload')) as { payload: string };
      const { data } = JSON.parse(stored.payload) as { data: { id: number } };
      expect(await row('paystack', String(data.id))).to.include({ data_path: null });
      const paystack = await served.pay.objects.get('paystack', 'transaction', String(data.id));
      expect(paystack?.data).to.deep.equal(data);

      const body = JSON.stringify({
        id: 'evt_acme',
        type: 'thing.updated',
        data: { id: 'thing_1' },
      });
      await (await served.pay.receive('acme', webhookRequest(body, {}))).dispatched;
      expect(await row('acme', 'thing_1')).to.deep.include({
        data: '{"id":"thing_1","built":true}',
        data_path: null,
      });
      expect((await served.pay.objects.get('acme', 'thing', 'thing_1'))?.data).to.deep.equal({
        id: 'thing_1',
        built: true,
      });
    });

    it('stores copies of the events of a request that carries several: each is stored with the whole body, which the path does not lead through', async () => {
      const body = JSON.stringify({
        events: [
          { id: 'evt_b1', type: 'thing.updated', data: { id: 'thing_b1', n: 1 } },
          { id: 'evt_b2', type: 'thing.updated', data: { id: 'thing_b2', n: 2 } },
        ],
      });
      await (await served.pay.receive('batcher', webhookRequest(body, {}))).dispatched;
      for (const [id, n] of [
        ['thing_b1', 1],
        ['thing_b2', 2],
      ] as const) {
        expect(await row('batcher', id), id).to.deep.include({
          data: JSON.stringify({ id, n }),
          data_path: null,
        });
        expect((await served.pay.objects.get('batcher', 'thing', id))?.data, id).to.deep.equal({
          id,
          n,
        });
      }
    });

    it('writes the state into the entry before a prune deletes its event, and reads the same state after', async () => {
      const old = subscription('sub_pruned', CREATED, 'active');
      const kept = subscription('sub_kept', CREATED, 'trialing');
      await send('stripe', old);
      await send('stripe', kept);
      const before = await served.pay.objects.get('stripe', 'subscription', 'sub_pruned');
      const then = new Date(Date.now() - 100 * DAY);
      await served.pay
        .knex('payments_events')
        .where({ event_id: old.id })
        .update({ received_at: then, processed_at: then });

      expect(await served.pay.prune()).to.deep.include({ events: 1 });
      expect(await served.pay.events.get(old.id, 'stripe')).to.equal(undefined);
      const materialised = await row('stripe', 'sub_pruned');
      expect(materialised).to.include({ data_path: null, event: null });
      expect(JSON.parse(String(materialised.data))).to.deep.equal(old.data.object);
      const after = await served.pay.objects.get('stripe', 'subscription', 'sub_pruned');
      expect(after).to.deep.equal({ ...before, event: null });
      // The entry of an event the prune kept still points at it.
      expect(await row('stripe', 'sub_kept')).to.include({ data: null });
    });
  });
