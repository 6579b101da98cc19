import { expect } from 'chai';
import Emittery from 'emittery';
import Koa from 'koa';
import { SilenceWatch } from '../../src/alerts/silence.js';
import {
  ConfigurationError,
  createRegistry,
  type Payments,
  type PaymentsHooks,
  payments,
} from '../../src/index.js';
import { tableNames } from '../../src/store/table-names.js';
import { VariantActivity } from '../../src/store/variant-activity.js';
import { sendCharge } from '../helpers/charges.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { memorySdk, points } from '../helpers/otel.js';
import { listen, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_silence_test';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const variants = { stripe: { provider: 'stripe' as const, endpointSecret: SECRET } };

for (const dialect of DIALECTS)
  describe(`silent variants (expectEvery) on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments | undefined;
    let server: TestServer | undefined;
    let now = T0;

    /** An instance's watch of `stripe` every 6 h, on the test's database and clock. */
    function watch() {
      const hooks = new Emittery<PaymentsHooks>();
      const reports: string[] = [];
      hooks.on('variant.silent', (s) => {
        reports.push(
          `silent since ${s.silentSince.toISOString()}, last ${s.lastWebhookAt?.toISOString() ?? 'never'}, every ${s.expectEvery}`,
        );
      });
      hooks.on('variant.resumed', (r) => {
        reports.push(
          `resumed at ${r.lastWebhookAt.toISOString()}, silent since ${r.silentSince.toISOString()}`,
        );
      });
      const silence = new SilenceWatch({
        expectEvery: new Map([['stripe', 6 * HOUR]]),
        activity: new VariantActivity((pay as Payments).knex, tableNames('payments_')),
        hooks,
        logger: quiet,
        now: () => now,
      });
      return { silence, reports };
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      now = T0;
      pay = payments({ database: db.setting, worker: false, logger: false, variants });
      await pay.migrate();
    });
    afterEach(async () => {
      await server?.close();
      await pay?.close();
      server = undefined;
      pay = undefined;
      await db.cleanup();
    });

    it('reports a variant silent once across instances after expectEvery without a webhook, and resumed at the next one', async () => {
      const a = watch();
      const b = watch();
      a.silence.seen('stripe');
      await a.silence.check();
      now = T0 + 6 * HOUR; // exactly expectEvery: not yet
      await Promise.all([a.silence.check(), b.silence.check()]);
      expect([...a.reports, ...b.reports]).to.deep.equal([]);
      now = T0 + 6 * HOUR + 60_000;
      await a.silence.check();
      await b.silence.check();
      await b.silence.check();
      expect([...a.reports, ...b.reports]).to.deep.equal([
        `silent since 2026-03-01T06:00:00.000Z, last 2026-03-01T00:00:00.000Z, every ${6 * HOUR}`,
      ]);
      expect((await b.silence.silentVariants()).map((s) => s.variant)).to.deep.equal(['stripe']);
      expect(await a.silence.silence()).to.deep.equal(new Map([['stripe', true]]));

      now = T0 + 7 * HOUR;
      b.silence.seen('stripe'); // b saw it silent: it checks at once
      await b.silence.check();
      await a.silence.check();
      expect([...a.reports, ...b.reports]).to.have.length(2);
      expect(b.reports[b.reports.length - 1]).to.equal(
        'resumed at 2026-03-01T07:00:00.000Z, silent since 2026-03-01T06:00:00.000Z',
      );
      expect(await a.silence.silentVariants()).to.deep.equal([]);
    });

    it('counts a variant that never received a webhook from when it was first watched, across restarts', async () => {
      const first = watch();
      await first.silence.check();
      now = T0 + 5 * HOUR;
      const restarted = watch(); // a deploy: a new instance, the same database
      await restarted.silence.check();
      expect(restarted.reports).to.deep.equal([]);
      now = T0 + 6 * HOUR + 1;
      await restarted.silence.check();
      expect(restarted.reports).to.deep.equal([
        `silent since 2026-03-01T06:00:00.000Z, last never, every ${6 * HOUR}`,
      ]);
    });

    it('keeps a variant quiet while webhooks come within expectEvery, whichever instance receives them', async () => {
      const web = watch();
      const worker = watch();
      for (let hour = 0; hour <= 24; hour += 5) {
        now = T0 + hour * HOUR;
        web.silence.seen('stripe');
        await web.silence.check(); // writes what it saw (the worker reads it)
        await worker.silence.check();
      }
      expect([...web.reports, ...worker.reports]).to.deep.equal([]);
    });

    it('writes a webhook seen while an earlier write was going on, before the check reads', async () => {
      const web = watch();
      const worker = watch();
      web.silence.seen('stripe'); // its write begins, not awaited
      now = T0 + 5 * HOUR;
      web.silence.seen('stripe'); // while that write goes on
      await web.silence.check();
      now = T0 + 10 * HOUR; // 5 h after the second webhook, 10 h after the first
      await worker.silence.check();
      expect([...web.reports, ...worker.reports]).to.deep.equal([]);
    });

    it('emits variant.silent from the worker, shows it on the overview and in the gauge, and variant.resumed at the next webhook', async () => {
      const sdk = memorySdk();
      // The last webhook on record came 7 hours ago, before this instance started.
      const sevenHoursAgo = new Date(Date.now() - 7 * HOUR);
      await pay?.knex('payments_variant_activity').insert({
        variant: 'stripe',
        watched_since: sevenHoursAgo,
        last_webhook_at: sevenHoursAgo,
      });
      await pay?.close();
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function ledger() {});
      pay = payments({
        database: db.setting,
        registry,
        worker: { pollIntervalMs: 5 },
        logger: false,
        variants: { stripe: { ...variants.stripe, expectEvery: '6h' } },
        telemetry: { meterProvider: sdk.meterProvider },
      });
      const silent = await pay.once('variant.silent');
      expect(silent).to.deep.include({ variant: 'stripe', expectEvery: 6 * HOUR });
      expect(silent.lastWebhookAt?.getTime()).to.equal(sevenHoursAgo.getTime());
      expect(silent.silentSince.getTime()).to.equal(sevenHoursAgo.getTime() + 6 * HOUR);
      expect(points((await sdk.metrics()).get('payments.variant.silent'))).to.deep.equal([
        [{ variant: 'stripe' }, 1],
      ]);

      const app = new Koa();
      app.use(pay.dashboard({ path: '/admin', authorize: () => true }));
      app.use(pay.middleware);
      server = await listen(app);
      const overview = await fetch(`${server.origin}/admin/`).then((r) => r.text());
      expect(overview).to.match(
        /<strong>Silent variants<\/strong><ul><li><a href="\/admin\/requests\?variant=stripe">stripe<\/a>: no valid webhook since <time [^>]+>[^<]+<\/time>; one is expected every 6 h\./,
      );

      const resumed = pay.once('variant.resumed');
      expect((await sendCharge(server.origin, 'evt_back', SECRET)).status).to.equal(200);
      expect(await resumed).to.deep.include({ variant: 'stripe', silentSince: silent.silentSince });
      const cleared = await fetch(`${server.origin}/admin/`).then((r) => r.text());
      expect(cleared).to.not.include('Silent variants');
      await sdk.shutdown();
    });
  });

describe('expectEvery', () => {
  it('refuses what is not a duration of a minute or more, naming the variant', () => {
    for (const expectEvery of ['6 hours', '30s', '', 6]) {
      expect(() =>
        payments({
          database: ':memory:',
          worker: false,
          variants: { stripe: { ...variants.stripe, expectEvery: expectEvery as string } },
        }),
      )
        .to.throw(ConfigurationError, /a duration of a minute or more/)
        .with.property('option', 'variants.stripe.expectEvery');
    }
  });
});
