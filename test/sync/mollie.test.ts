/**
 * `pay.sync()` of a Mollie variant, on SQLite and Postgres: the Mollie API fake lists payments
 * (newest first, no date filter) and sync stores each payment created in the window as the event
 * its status makes, with the id its classic webhook gets, so the two deduplicate both ways.
 */
import { expect } from 'chai';
import { createRegistry } from '../../src/index.js';
import { samplePayload } from '../../src/testing/index.js';
import { MollieApiFake } from '../fakes/mollie-api.js';
import { fakeForEach } from '../fakes/server.js';
import { DIALECTS } from '../helpers/databases.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

const KEY = 'test_syncSyncSyncSyncSyncSyncSync';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Mollie's time format, `minutes` ago. */
const ago = (minutes: number) =>
  `${new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19)}+00:00`;

/** A paid Mollie payment created `minutes` ago. */
function paid(minutes: number): { id: string; createdAt: string } & Record<string, unknown> {
  const payment = samplePayload('mollie', 'payment.paid');
  return { ...payment, id: String(payment.id), createdAt: ago(minutes) };
}

for (const dialect of DIALECTS)
  describe(`pay.sync() of a mollie variant on ${dialect}`, () => {
    const api = fakeForEach(() => new MollieApiFake(KEY));
    const calls: { eventId: string; source: string }[] = [];
    beforeEach(() => {
      calls.length = 0;
    });
    const options = () =>
      ({ provider: 'mollie', apiKey: KEY, apiBase: api.current.origin }) as const;
    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('payment.*', async function record({ event, source }) {
        calls.push({ eventId: event.eventId, source });
      });
      return {
        database: db.setting,
        registry,
        // Two endpoints of one account, one dedupe group (events are unique per group).
        variants: {
          mollie: { ...options(), dedupeGroup: 'shop' },
          mollie_b: { ...options(), dedupeGroup: 'shop' },
        },
      };
    });

    it('stores the payments created in the window once, deduplicated with the classic webhook', async () => {
      const recent = paid(30);
      const old = paid(180);
      api.current.setPayment(recent).setPayment(old);

      const first = await served.pay.sync('mollie', { since: '1h' });
      expect(first).to.deep.equal({ fetched: 1, stored: 1, duplicates: 0 });
      const rows = await served.pay.knex('payments_events').orderBy('id');
      expect(rows.map((row) => [row.event_id, row.type, row.source])).to.deep.equal([
        [`${recent.id}:paid`, 'payment.paid', 'sync'],
      ]);
      expect(calls).to.deep.equal([{ eventId: `${recent.id}:paid`, source: 'sync' }]);

      // Mollie's classic webhook for the same payment, later: a duplicate, nothing runs again.
      const webhook = await post(served.url('mollie'), `id=${recent.id}`, FORM);
      expect(webhook.body).to.include({ duplicate: true });
      // A second run finds it stored.
      const second = await served.pay.sync('mollie', { since: '1h' });
      expect(second).to.deep.equal({ fetched: 1, stored: 0, duplicates: 1 });
      expect(calls).to.have.length(1);
    });

    it('counts what another variant of the dedupe group stored as a duplicate, in a dry run and a real one', async () => {
      const recent = paid(30);
      api.current.setPayment(recent);
      const webhook = await post(served.url('mollie'), `id=${recent.id}`, FORM);
      expect(webhook.body).to.include({ duplicate: false });

      const dry = await served.pay.sync('mollie_b', { since: '1h', dryRun: true });
      expect(dry).to.deep.equal({ fetched: 1, stored: 0, duplicates: 1, missing: 0 });
      const real = await served.pay.sync('mollie_b', { since: '1h' });
      expect(real).to.deep.equal({ fetched: 1, stored: 0, duplicates: 1 });
      expect(await served.pay.knex('payments_events').count({ n: '*' })).to.deep.equal([
        { n: dialect === 'postgres' ? '1' : 1 },
      ]);
      expect(calls).to.deep.equal([{ eventId: `${recent.id}:paid`, source: 'webhook' }]);
    });
  });
