/**
 * The "done when": an app that was down for a day recovers every Stripe event it missed
 * with one command, `koa-payments sync stripe --since 24h`. Each missed event is stored once and
 * each of its receivers runs once; what the webhooks delivered before the outage runs nothing
 * again; Stripe's late retries and a second run of the command change nothing. The app keeps
 * serving while the command runs, on SQLite and on Postgres.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { type Payments, type PaymentsSettings, payments } from '../../src/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { fakeForEach } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer, tempDir } from '../helpers/server.js';
import { LIBRARY, runCli, writeConfig } from './run.js';

const KEY = 'sk_test_51RecoveryAfterADay';
const SECRET = 'whsec_recovery_after_a_day';
const HOUR = 3_600_000;

/** The receivers of the app, and the event types each runs for. */
const RECEIVERS = {
  charges: ['charge.succeeded', 'charge.refunded'],
  fulfil: ['checkout.session.completed'],
  ledger: ['invoice.paid'],
  audit: [
    'charge.succeeded',
    'charge.refunded',
    'checkout.session.completed',
    'invoice.paid',
    'customer.created',
  ],
} as const;
const TYPES = RECEIVERS.audit;

/** A Stripe event of `type` created `hoursAgo`. */
function stripeEvent(type: string, hoursAgo: number): Record<string, unknown> {
  const created = Math.floor((Date.now() - hoursAgo * HOUR) / 1000);
  return samplePayload('stripe', type, { created, livemode: false });
}

for (const dialect of DIALECTS)
  describe(`after a day down, on ${dialect}`, function () {
    this.timeout(120_000);
    const api = fakeForEach(() => new StripeApiFake(KEY));
    let db: TestDatabase;
    let tmp: ReturnType<typeof tempDir>;
    let pay: Payments;
    let server: TestServer;
    let config: string;
    let runsFile: string;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      tmp = tempDir();
      runsFile = join(tmp.dir, 'runs');
      writeFileSync(runsFile, '');
      const { log: _log, ...database } = db.config();
      // The app's config module, shared by the app and the CLI, as docs/cli.md advises: every
      // receiver appends "<receiver> <event id>" to a file, from whichever process runs it.
      config = writeConfig(
        tmp.dir,
        'payments.config.mjs',
        `import { appendFileSync } from 'node:fs';
import { createRegistry } from ${JSON.stringify(LIBRARY)};

const registry = createRegistry();
const ran = (name) => ({ event }) => appendFileSync(${JSON.stringify(runsFile)}, name + ' ' + event.eventId + '\\n');
registry.receiver('charge.*', ran('charges'), { name: 'charges' });
registry.receiver('checkout.session.completed', ran('fulfil'), { name: 'fulfil' });
registry.receiver('invoice.paid', ran('ledger'), { name: 'ledger', atomic: true });
registry.receiver('*', ran('audit'), { name: 'audit' });

export default {
  registry,
  database: ${JSON.stringify(dialect === 'sqlite' ? db.setting : database)},
  host: 'shop.test',
  variants: {
    stripe: {
      provider: 'stripe',
      endpointSecret: ${JSON.stringify(SECRET)},
      apiKey: ${JSON.stringify(KEY)},
      apiBase: ${JSON.stringify(api.current.origin)},
    },
  },
};
`,
      );
      const settings = (await import(pathToFileURL(config).href)).default as PaymentsSettings;
      pay = payments(settings);
      await pay.migrate();
      server = await listen(appWith(pay));
    });

    afterEach(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
      tmp.remove();
    });

    /** Delivers `event` to the app as Stripe does; returns the answer's body. */
    async function deliver(event: Record<string, unknown>): Promise<unknown> {
      const { body, headers } = signWebhook('stripe', { payload: event, secret: SECRET });
      const res = await post(`${server.origin}/payments/process/stripe/`, body, headers);
      expect(res.status).to.equal(200);
      return res.body;
    }

    /** The receiver runs so far, as "<receiver> <event id>" lines, sorted. */
    function runs(): string[] {
      return readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).sort();
    }

    /** The runs `events` call for: each receiver of each event's type, once. */
    function expectedRuns(events: readonly Record<string, unknown>[]): string[] {
      return events
        .flatMap((event) =>
          Object.entries(RECEIVERS)
            .filter(([, types]) => (types as readonly string[]).includes(String(event.type)))
            .map(([name]) => `${name} ${event.id}`),
        )
        .sort();
    }

    it('recovers every missed event with `koa-payments sync stripe --since 24h`: each stored once, each receiver run once', async () => {
      const fake = api.current;
      // Before the outage, Stripe's webhooks came through: three the day before, one this morning.
      const delivered = [
        stripeEvent('charge.succeeded', 30),
        stripeEvent('invoice.paid', 28),
        stripeEvent('checkout.session.completed', 26),
        stripeEvent('charge.succeeded', 23.5),
      ];
      for (const event of delivered) {
        fake.addEvent(event);
        expect(await deliver(event)).to.deep.include({ duplicate: false });
      }
      expect(runs()).to.deep.equal(expectedRuns(delivered));

      // Then the endpoint was down for a day: 250 events, of every type, whose webhooks failed
      // (three pages of Stripe's event list).
      const missed = Array.from({ length: 250 }, (_, i) =>
        stripeEvent(TYPES[i % TYPES.length] as string, 23 - (i * 22.9) / 250),
      );
      for (const event of missed) fake.addEvent(event, { deliverySuccess: false });

      // Back up, one command.
      const { code, stdout, stderr } = await runCli([
        'sync',
        'stripe',
        '--since',
        '24h',
        '--config',
        config,
      ]);
      expect(stderr).to.equal('');
      expect(code).to.equal(0);
      expect(stdout).to.match(
        /^Synced stripe since \S+ \S+Z: 251 fetched, 250 events stored, 1 already stored\.\n$/,
      );
      expect(fake.seen('/v1/events')).to.have.length(3);

      // Every missed event is stored once, from sync; the webhooks' rows are as they were.
      const rows = (await db.reader('payments_events').select('event_id', 'source', 'status')) as {
        event_id: string;
        source: string;
        status: string;
      }[];
      expect(rows).to.have.length(delivered.length + missed.length);
      const byId = new Map(rows.map((row) => [row.event_id, row]));
      for (const event of missed) {
        expect(byId.get(String(event.id)), String(event.id)).to.deep.include({
          source: 'sync',
          status: 'processed',
        });
      }
      for (const event of delivered) expect(byId.get(String(event.id))?.source).to.equal('webhook');
      // Each receiver ran once per event: the missed events' now, the delivered ones' before.
      expect(runs()).to.deep.equal(expectedRuns([...delivered, ...missed]));
      const deliveries = await db.reader('payments_deliveries').whereNot({ status: 'succeeded' });
      expect(deliveries).to.deep.equal([]);

      // Stripe's own retries of some missed events arrive late: duplicates, nothing runs again.
      for (const event of missed.slice(0, 5)) {
        expect(await deliver(event)).to.deep.include({ duplicate: true });
      }
      // Running the command again finds everything stored.
      const again = await runCli(['sync', 'stripe', '--since', '24h', '--config', config]);
      expect(again.code).to.equal(0);
      expect(again.stdout).to.include('251 fetched, 0 events stored, 251 already stored.');
      expect(runs()).to.deep.equal(expectedRuns([...delivered, ...missed]));
      expect(await db.reader('payments_events').count({ n: '*' })).to.satisfy(
        ([row]: { n: number | string }[]) => Number(row?.n) === delivered.length + missed.length,
      );
    });
  });
