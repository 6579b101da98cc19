/**
 * The periodic catch-up (`sync: { every, lookback }` on a variant): validated at construction,
 * one run per period and one process at a time through the `sync_state` lease row, its last run
 * recorded; with two worker processes on one database (SQLite and Postgres).
 */
import { expect } from 'chai';
import {
  createRegistry,
  type Payments,
  type PaymentsSettings,
  payments,
  type VariantSettings,
} from '../../src/index.js';
import { fakeForEach } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { type Child, startChild } from '../helpers/processes.js';
import { configurationErrorOf, servedForEach } from '../helpers/provider.js';
import { until } from '../helpers/sync.js';

const KEY = 'sk_test_51SyncChildProcess';
const SECRET = 'whsec_sync_child';

describe('the sync option of a variant', () => {
  const make = (variant: Record<string, unknown>) => () =>
    payments({
      database: ':memory:',
      registry: createRegistry(),
      worker: false,
      variants: {
        stripe: { provider: 'stripe', endpointSecret: SECRET, ...variant } as VariantSettings,
      },
    });
  const withKey = { apiKey: KEY };

  it('needs the API key', () => {
    const error = configurationErrorOf(make({ sync: { every: '15m', lookback: '1h' } }));
    expect(error.message).to.equal(
      "koa-payments: variants.stripe.sync: lists the provider's API, and the stripe variant has no API credentials (apiKey)",
    );
  });

  it('refuses a period, a lookback or types it cannot read, and unknown keys', () => {
    const cases: [unknown, string][] = [
      ['15m', 'variants.stripe.sync'],
      [{ every: 15, lookback: '1h' }, 'variants.stripe.sync.every'],
      [{ every: '500ms', lookback: '1h' }, 'variants.stripe.sync.every'],
      [{ every: '15m' }, 'variants.stripe.sync.lookback'],
      [{ every: '15m', lookback: 'an hour' }, 'variants.stripe.sync.lookback'],
      [{ every: '15m', lookback: '1h', types: ['charge succeeded'] }, 'variants.stripe.sync.types'],
      [{ every: '15m', lookback: '1h', period: '1h' }, 'variants.stripe.sync.period'],
    ];
    for (const [sync, option] of cases) {
      const error = configurationErrorOf(make({ ...withKey, sync }));
      expect(error.option, JSON.stringify(sync)).to.equal(option);
      expect(error.variant).to.equal('stripe');
    }
  });

  it('accepts a valid schedule, which the provider itself never sees', async () => {
    const pay = make({ ...withKey, sync: { every: '15m', lookback: '1h', types: ['charge.*'] } })();
    await pay.close();
  });
});

describe('periodic sync in one process', () => {
  const api = fakeForEach(() => new StripeApiFake(KEY));
  const served = servedForEach('sqlite', (db) => ({
    database: db.setting,
    registry: createRegistry(),
    worker: false,
    variants: {
      stripe: {
        provider: 'stripe',
        endpointSecret: SECRET,
        apiKey: KEY,
        apiBase: api.current.origin,
        sync: { every: '15m', lookback: '1h' },
      },
    },
  }));
  const state = () => served.pay.knex('payments_sync_state').where({ variant: 'stripe' });

  it('runs once per period, lists the last lookback, stores what is missing and records the run', async () => {
    const first = api.current.addChargeAgo(10);
    api.current.addChargeAgo(120); // before the lookback
    const before = Date.now();
    expect(await served.pay.runDueSyncs()).to.deep.equal(['stripe']);
    expect(await served.pay.runDueSyncs()).to.deep.equal([]); // not due again for 15 minutes
    const [listing] = api.current.requests;
    const since = Number(listing?.query.get('created[gte]')) * 1000;
    const lastRun = await served.pay.syncState('stripe');
    const start = lastRun?.lastRunAt?.getTime() as number;
    expect(start).to.be.within(before, Date.now());
    expect(since).to.be.within(start - 3_600_000 - 1000, start - 3_600_000);
    expect(lastRun).to.deep.include({
      variant: 'stripe',
      lastStatus: 'succeeded',
      leaseHolder: null,
      leaseUntil: null,
    });
    expect(lastRun?.coveredUntil?.getTime()).to.equal(start);
    expect(lastRun?.lastResult).to.deep.include({ fetched: 1, stored: 1, duplicates: 0 });
    expect(lastRun?.lastFinishedAt?.getTime()).to.be.at.least(start);
    const event = await served.pay.events.get(first, 'stripe');
    expect(event?.source).to.equal('sync');
  });

  it('records a failed run, and the next run lists from where the last successful one ended', async () => {
    api.current.addChargeAgo(5);
    api.current.script('/v1/events', {
      status: 401,
      body: { error: { type: 'invalid_request_error' } },
    });
    expect(await served.pay.runDueSyncs()).to.deep.equal(['stripe']);
    const failed = await served.pay.syncState('stripe');
    expect(failed).to.deep.include({ lastStatus: 'failed', coveredUntil: null });
    expect(failed?.lastResult?.error?.code).to.equal('sync_failed');
    expect(failed?.lastResult?.error?.message).to.include('refused the API key');

    // Three hours later, the last success having ended five hours ago: the gap is listed too.
    const coveredUntil = new Date(Date.now() - 5 * 3_600_000);
    await state().update({
      last_run_at: new Date(Date.now() - 3 * 3_600_000),
      covered_until: coveredUntil,
    });
    api.current.requests.length = 0;
    expect(await served.pay.runDueSyncs()).to.deep.equal(['stripe']);
    const since = Number(api.current.requests[0]?.query.get('created[gte]'));
    expect(since).to.equal(Math.floor(coveredUntil.getTime() / 1000));
    expect(await served.pay.syncState('stripe')).to.deep.include({ lastStatus: 'succeeded' });
  });

  it('leaves a variant to the process whose lease holds, and takes it over once the lease expires', async () => {
    await served.pay.runDueSyncs();
    await state().update({
      last_run_at: new Date(Date.now() - 3_600_000),
      lease_token: 'another-process',
      lease_holder: 'elsewhere:1',
      lease_until: new Date(Date.now() + 60_000),
    });
    expect(await served.pay.runDueSyncs()).to.deep.equal([]);
    await state().update({ lease_until: new Date(Date.now() - 1) });
    expect(await served.pay.runDueSyncs()).to.deep.equal(['stripe']);
    expect(await served.pay.syncState('stripe')).to.deep.include({ leaseHolder: null });
  });
});

describe('periodic sync before the migrations', () => {
  const api = fakeForEach(() => new StripeApiFake(KEY));
  let pay: Payments | undefined;
  afterEach(async () => {
    await pay?.close();
    pay = undefined;
  });

  it('touches no table before migrate() is done, then runs', async () => {
    const logger = recordingLogger();
    const id = api.current.addChargeAgo(5);
    pay = payments({
      database: ':memory:',
      registry: createRegistry(),
      logger,
      worker: { pollIntervalMs: 10 },
      variants: {
        stripe: {
          provider: 'stripe',
          endpointSecret: SECRET,
          apiKey: KEY,
          apiBase: api.current.origin,
          sync: { every: '1s', lookback: '1h' },
        },
      },
    });
    const touched: string[] = [];
    let queries = 0;
    pay.knex.on('query', ({ sql }: { sql: string }) => {
      queries += 1;
      if (/payments_(sync_state|events)\b/.test(sql)) touched.push(sql);
    });
    // The loops look for the tables a few times, and touch none.
    await until(() => queries >= 10);
    expect(touched).to.deep.equal([]);
    expect(logger.at('error')).to.deep.equal([]);
    expect(api.current.requests).to.deep.equal([]);
    const synced = pay.once('sync.completed');
    await pay.migrate();
    expect((await synced).result).to.deep.equal({ fetched: 1, stored: 1, duplicates: 0 });
    expect((await pay.events.get(id, 'stripe'))?.source).to.equal('sync');
    expect(logger.at('error')).to.deep.equal([]);
  });
});

for (const dialect of DIALECTS)
  describe(`periodic sync in two worker processes on ${dialect}`, function () {
    this.timeout(120_000);
    const api = fakeForEach(() => new StripeApiFake(KEY));
    let db: TestDatabase;
    let setup: Payments;
    let children: Child[];

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      const settings: PaymentsSettings = {
        database: db.config(),
        registry: createRegistry(),
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      };
      setup = payments(settings);
      await setup.migrate();
      children = [];
    });
    afterEach(async () => {
      await Promise.all(children.map((child) => child.kill()));
      await setup.close();
      await db.cleanup();
    });

    it('runs the catch-up once per period between them, each event stored once', async () => {
      const ids = [api.current.addChargeAgo(3), api.current.addChargeAgo(2)];
      const extra = {
        KP_API_BASE: api.current.origin,
        KP_EVERY: '1s',
      };
      for (let i = 0; i < 2; i++) {
        children.push(
          await startChild(db.setting, {
            role: 'worker',
            receiver: 'record',
            fixture: 'test/fixtures/sync-child.ts',
            extra,
          }),
        );
      }
      const runs = () =>
        children.flatMap((child) =>
          child
            .output()
            .split('\n')
            .filter((line) => line.startsWith('SYNC '))
            .map(
              (line) => line.split(' ').slice(1).map(Number) as [number, number, number, number],
            ),
        );
      await until(() => runs().length >= 4, {
        timeoutMs: 60_000,
        message: 'four periodic runs between the two processes',
      });
      await Promise.all(children.map((child) => child.stop()));

      const all = runs().sort((a, b) => a[0] - b[0]);
      const starts = all.map(([start]) => start);
      // Each run started at least a period after the one before, whichever process made it.
      for (let i = 1; i < starts.length; i++) {
        expect((starts[i] as number) - (starts[i - 1] as number)).to.be.at.least(1000);
      }
      // One listing per run: no process listed the events in a period another already had. (A
      // run the stop interrupted listed too, and says so.)
      const interrupted = children.flatMap((child) =>
        child
          .output()
          .split('\n')
          .filter((line) => line.startsWith('SYNC_FAILED')),
      );
      for (const line of interrupted) expect(line).to.include('the worker is stopping');
      expect(api.current.requests.filter((r) => r.path === '/v1/events')).to.have.length(
        all.length + interrupted.length,
      );
      // The two events, stored by the first run, came back as duplicates afterwards.
      expect(all.map(([, , stored]) => stored)).to.deep.equal([2, ...all.slice(1).map(() => 0)]);
      expect(all.slice(1).every(([, , , duplicates]) => duplicates === 2)).to.equal(true);
      const rows = await db.reader('payments_events').select('event_id', 'source');
      expect(rows.map((row: { event_id: string }) => row.event_id).sort()).to.deep.equal(
        ids.sort(),
      );
      const [state] = await db.reader('payments_sync_state');
      expect(state).to.include({ variant: 'stripe', lease_token: null });
    });
  });
