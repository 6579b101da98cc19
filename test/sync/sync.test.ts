/**
 * `pay.sync()` for each provider with an API, on SQLite and Postgres: a real `payments()` server
 * receives signed webhooks while a loopback fake plays the provider's API, and sync stores what
 * the API lists through the same store and receivers, deduplicated with the webhooks both ways.
 */
import { expect } from 'chai';
import {
  ConfigurationError,
  createRegistry,
  ProviderUnavailableError,
  SyncError,
  type SyncProgress,
  type VariantSettings,
} from '../../src/index.js';
import { builtinProviders } from '../../src/providers/index.js';
import { fakeForEach } from '../fakes/server.js';
import { count, DIALECTS } from '../helpers/databases.js';
import { rejection, servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';
import { type ApiFake, CASES, type SyncCase } from './cases.js';

/** A served instance with two variants on `c`'s fake: `direct` as users configure it, `tuned` with a short timeout and a recorded sleep. */
function servedSync(c: SyncCase, dialect: (typeof DIALECTS)[number]) {
  const api = fakeForEach(() => c.fake());
  const calls: { eventId: string; source: string; variant: string }[] = [];
  const slept: number[] = [];
  const served = servedForEach(dialect, (db) => {
    const registry = createRegistry();
    registry.receiver('*', async function record({ event, source, variant }) {
      calls.push({ eventId: event.eventId, source, variant });
    });
    const options = c.options(api.current.origin);
    const tuned = builtinProviders[c.provider].create(options as never, {
      variant: 'tuned',
      webhookUrl: () => '',
      http: {
        timeoutMs: 150,
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    });
    return {
      database: db.setting,
      registry,
      variants: {
        direct: { provider: c.provider, ...options } as VariantSettings,
        tuned: { provider: tuned },
      },
    };
  });
  beforeEach(() => {
    calls.length = 0;
    slept.length = 0;
  });
  return {
    served,
    calls,
    slept,
    get fake(): ApiFake {
      return api.current;
    },
  };
}

/** The stored rows of a variant, by event id. */
async function rows(
  knex: import('knex').Knex,
  variant: string,
): Promise<Map<string, { source: string; status: string }>> {
  const all = (await knex('payments_events').where({ variant })) as {
    event_id: string;
    source: string;
    status: string;
  }[];
  return new Map(all.map((row) => [row.event_id, { source: row.source, status: row.status }]));
}

for (const c of CASES)
  for (const dialect of DIALECTS)
    describe(`${c.provider} sync on ${dialect}`, () => {
      const t = servedSync(c, dialect);

      it('stores every page the API lists since `since` as sync events, and runs their receivers', async () => {
        t.fake.pageSize = 2;
        const payments = [5, 4, 3, 2, 1].map((minutes) => c.payment(t.fake, minutes));
        c.payment(t.fake, 5 * 24 * 60); // before the window
        const progress: SyncProgress[] = [];
        const result = await t.served.pay.sync('direct', {
          since: '72h',
          onProgress: (p) => progress.push(p),
        });
        expect(result).to.deep.equal({ fetched: 5, stored: 5, duplicates: 0 });
        expect(t.fake.requests.filter(c.listing)).to.have.length(3);
        expect(progress.at(-1)).to.deep.equal({ fetched: 5, stored: 5, duplicates: 0, pages: 3 });
        expect(progress.map((p) => p.pages)).to.include.members([1, 2, 3]);
        const stored = await rows(t.served.pay.knex, 'direct');
        expect([...stored.keys()].sort()).to.deep.equal(payments.map((p) => p.id).sort());
        for (const row of stored.values())
          expect(row).to.deep.equal({ source: 'sync', status: 'processed' });
        expect(t.calls.map((call) => call.eventId).sort()).to.deep.equal(
          payments.map((p) => p.id).sort(),
        );
        expect(new Set(t.calls.map((call) => call.source))).to.deep.equal(new Set(['sync']));
        const event = await t.served.pay.events.get(payments[0]?.id as string, 'direct');
        expect(event).to.include({ source: 'sync', type: payments[0]?.type });
      });

      it('counts an event whose webhook came first as a duplicate, leaving the webhook row as it was', async () => {
        const early = c.payment(t.fake, 10);
        const late = c.payment(t.fake, 5);
        const res = await post(t.served.url('direct'), early.body, early.headers);
        expect(res.body).to.deep.equal({ received: true, event: early.id, duplicate: false });
        const result = await t.served.pay.sync('direct', { since: '1h' });
        expect(result).to.deep.equal({ fetched: 2, stored: 1, duplicates: 1 });
        const stored = await rows(t.served.pay.knex, 'direct');
        expect(stored.get(early.id)).to.deep.equal({ source: 'webhook', status: 'processed' });
        expect(stored.get(late.id)).to.deep.equal({ source: 'sync', status: 'processed' });
        expect(t.calls.map((call) => [call.eventId, call.source])).to.deep.equal([
          [early.id, 'webhook'],
          [late.id, 'sync'],
        ]);
      });

      it('answers the webhook of a synced event as a duplicate, without running its receivers again', async () => {
        const payment = c.payment(t.fake, 3);
        expect(
          await t.served.pay.sync('direct', { since: new Date(Date.now() - 3_600_000) }),
        ).to.deep.equal({ fetched: 1, stored: 1, duplicates: 0 });
        const res = await post(t.served.url('direct'), payment.body, payment.headers);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ received: true, event: payment.id, duplicate: true });
        expect(t.calls).to.deep.equal([{ eventId: payment.id, source: 'sync', variant: 'direct' }]);
        expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
        // A second sync finds it stored.
        expect(await t.served.pay.sync('direct', { since: '1h' })).to.deep.equal({
          fetched: 1,
          stored: 0,
          duplicates: 1,
        });
      });

      it('compares with the store and stores nothing in a dry run', async () => {
        const stored = c.payment(t.fake, 4);
        c.payment(t.fake, 3);
        c.payment(t.fake, 2);
        await post(t.served.url('direct'), stored.body, stored.headers);
        const result = await t.served.pay.sync('direct', { since: '1h', dryRun: true });
        expect(result).to.deep.equal({ fetched: 3, stored: 0, duplicates: 1, missing: 2 });
        expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
        expect(t.calls).to.have.length(1);
      });
    });

for (const c of CASES)
  describe(`${c.provider} sync when the API fails`, () => {
    const t = servedSync(c, 'sqlite');

    /** Three payments listed on two pages (2 + 1). */
    function threeOnTwoPages() {
      t.fake.pageSize = 2;
      return [3, 2, 1].map((minutes) => c.payment(t.fake, minutes));
    }

    it('stops at a page that fails with 5xx after the retries, keeping what it stored, and carries on when run again', async () => {
      threeOnTwoPages();
      t.fake.script(c.laterPage, { status: 500 }, { status: 502 }, { status: 503 });
      const error = (await rejection(t.served.pay.sync('tuned', { since: '1h' }))) as SyncError;
      expect(error).to.be.instanceOf(SyncError);
      expect(error).to.include({ code: 'sync_failed', variant: 'tuned', pages: 1 });
      expect(error.result).to.deep.equal({ fetched: 2, stored: 2, duplicates: 0 });
      expect(error.cause).to.be.instanceOf(ProviderUnavailableError);
      expect(error.cause).to.include({ reason: 'server_error' });
      expect(error.message).to.match(
        /^Sync of variant tuned stopped at page 2: The \w+ API failed GET /,
      );
      expect(error.message).to.include(
        '2 events stored before it stay stored (2 fetched, 0 already stored); run it again to carry on.',
      );
      expect(error.message).not.to.include(c.key);
      expect(await count(t.served.pay.knex, 'payments_events')).to.equal(2);
      expect(t.calls).to.have.length(2);

      const again = await t.served.pay.sync('tuned', { since: '1h' });
      expect(again).to.deep.equal({ fetched: 3, stored: 1, duplicates: 2 });
      expect(t.calls).to.have.length(3);
    });

    it("waits a 429's Retry-After and goes on", async () => {
      threeOnTwoPages();
      t.fake.script(c.laterPage, { status: 429, headers: { 'retry-after': '2' } });
      const result = await t.served.pay.sync('tuned', { since: '1h' });
      expect(result).to.deep.equal({ fetched: 3, stored: 3, duplicates: 0 });
      expect(t.slept).to.deep.equal([2000]);
    });

    it('stops with a timeout on a hung socket, keeping the first page', async () => {
      threeOnTwoPages();
      t.fake.script(c.laterPage, 'hang', 'hang', 'hang');
      const error = (await rejection(t.served.pay.sync('tuned', { since: '1h' }))) as SyncError;
      expect(error).to.be.instanceOf(SyncError);
      expect(error.cause).to.include({ reason: 'timeout' });
      expect(error.result.stored).to.equal(2);
      expect(await count(t.served.pay.knex, 'payments_events')).to.equal(2);
    });

    it('stops before storing anything when the listing itself is not found (404)', async () => {
      threeOnTwoPages();
      t.fake.script(c.listing, { status: 404, body: { message: 'Not found' } });
      const error = (await rejection(t.served.pay.sync('tuned', { since: '1h' }))) as SyncError;
      expect(error).to.be.instanceOf(SyncError);
      expect(error.result).to.deep.equal({ fetched: 0, stored: 0, duplicates: 0 });
      expect(error.message).to.include('stopped at page 1');
      expect(await count(t.served.pay.knex, 'payments_events')).to.equal(0);
    });
  });

describe('sync options', () => {
  const c = CASES[0] as SyncCase;
  const t = servedSync(c, 'sqlite');

  it('refuses a since that is neither a Date nor a duration, or is in the future', async () => {
    for (const since of ['yesterday', '72', '-1h', new Date(Number.NaN), undefined]) {
      const error = await rejection(t.served.pay.sync('direct', { since: since as never }));
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.match(
        /since to be a Date or a duration back from now such as '72h'/,
      );
    }
    const future = await rejection(
      t.served.pay.sync('direct', { since: new Date(Date.now() + 3_600_000) }),
    );
    expect(future.message).to.match(/since \(.*\) is in the future/);
    expect(t.fake.requests).to.deep.equal([]);
  });

  it('refuses types that are not event types or patterns', async () => {
    for (const types of [[], ['charge succeeded'], 'charge.succeeded', [42]]) {
      const error = await rejection(
        t.served.pay.sync('direct', { since: '1h', types: types as never }),
      );
      expect(error).to.be.instanceOf(TypeError);
    }
  });

  it('passes types to the listing', async () => {
    c.payment(t.fake, 2);
    const result = await t.served.pay.sync('direct', {
      since: '1h',
      types: ['charge.*', 'payment_intent.succeeded'],
    });
    expect(result.stored).to.equal(1);
    const queries = t.fake.requests.filter(c.listing).map((r) => Object.fromEntries(r.query));
    expect(queries.map((q) => q['types[0]'] ?? q.type)).to.deep.equal([
      'payment_intent.succeeded',
      'charge.*',
    ]);
  });

  it('stops between two events when its signal aborts, keeping what it stored', async () => {
    t.fake.pageSize = 1;
    c.payment(t.fake, 3);
    c.payment(t.fake, 2);
    const abort = new AbortController();
    const error = (await rejection(
      t.served.pay.sync('direct', {
        since: '1h',
        signal: abort.signal,
        onProgress: ({ stored }) => {
          if (stored === 1) abort.abort(new Error('enough'));
        },
      }),
    )) as SyncError;
    expect(error).to.be.instanceOf(SyncError);
    expect(error.cause).to.have.property('message', 'enough');
    expect(error.result).to.deep.equal({ fetched: 1, stored: 1, duplicates: 0 });
    expect(await count(t.served.pay.knex, 'payments_events')).to.equal(1);
  });

  it('refuses an unknown variant', async () => {
    const error = await rejection(t.served.pay.sync('nope', { since: '1h' }));
    expect(error).to.include({ code: 'unknown_variant' });
  });
});

describe('sync without API credentials', () => {
  const served = servedForEach('sqlite', (db) => ({
    database: db.setting,
    registry: createRegistry(),
    variants: {
      stripe: { provider: 'stripe', endpointSecret: 'whsec_no_api_key' },
      square: {
        provider: 'square',
        signatureKey: 'square-signature-key',
        notificationUrl: 'https://shop.test/payments/process/square/',
      },
    },
  }));

  it('throws a ConfigurationError naming the option to set', async () => {
    const error = await rejection(served.pay.sync('stripe', { since: '1h' }));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(error.message).to.match(
      /^koa-payments: variants\.stripe\.apiKey: sync\(\) asks the provider's API/,
    );
    const square = await rejection(served.pay.sync('square', { since: '1h' }));
    expect(square).to.include({ option: 'variants.square.provider', variant: 'square' });
    expect(square.message).to.include('the square provider has no API support');
  });
});
