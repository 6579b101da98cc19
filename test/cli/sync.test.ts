import { expect } from 'chai';
import knexFactory from 'knex';
import { samplePayload } from '../../src/testing/index.js';
import { catchUpForEach, runTerminal, STRIPE_KEY } from './catch-up.js';
import { runCli, runMain } from './run.js';

type Json = Record<string, unknown>;

describe('koa-payments CLI: sync and reconcile', function () {
  this.timeout(30_000);
  const t = catchUpForEach();
  const run = t.run;

  /** The stored events, as rows. */
  async function stored(): Promise<{ event_id: string; source: string }[]> {
    const config = (await import(t.files.bare)).default as { database: string };
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: config.database },
      useNullAsDefault: true,
    });
    try {
      return await knex('payments_events').select('event_id', 'source').orderBy('id');
    } finally {
      await knex.destroy();
    }
  }

  it('syncs through the receivers of the config and prints what it did, without a bar off a terminal', async () => {
    const ids = [t.fake.addChargeAgo(30), t.fake.addChargeAgo(20), t.fake.addChargeAgo(10)];
    const { code, stdout, stderr } = await runCli([
      'sync',
      'stripe',
      '--since',
      '72h',
      '--config',
      t.files.config,
    ]);
    expect(code).to.equal(0);
    expect(stdout).to.match(
      /^Synced stripe since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z: 3 fetched, 3 events stored, 0 already stored\.\n$/,
    );
    expect(stderr).to.equal('');
    expect((await stored()).map((row) => [row.event_id, row.source]).sort()).to.deep.equal(
      ids.map((id) => [id, 'sync']).sort(),
    );
    expect(t.files.seen().sort()).to.deep.equal([...ids].sort());

    const again = await run('sync', 'stripe', '--since', '72h', '--json');
    expect(JSON.parse(again.stdout)).to.deep.include({
      variant: 'stripe',
      dryRun: false,
      fetched: 3,
      stored: 0,
      duplicates: 3,
    });
  });

  it('draws a progress bar on a terminal, on stderr, and clears it', async () => {
    t.fake.pageSize = 1;
    t.fake.addChargeAgo(3);
    t.fake.addChargeAgo(2);
    const { code, stdout, stderr } = await runTerminal(
      ['sync', 'stripe', '--since', '1h', '--config', t.files.config],
      true,
    );
    expect(code).to.equal(0);
    expect(stderr).to.include('████');
    expect(stderr).to.include('stripe: page 1, 1 fetched');
    expect(stderr.endsWith('\r\x1b[2K')).to.equal(true);
    expect(stdout).to.include('2 events stored');
  });

  it('compares without storing in a dry run, which needs no receivers', async () => {
    t.fake.addChargeAgo(3);
    t.fake.addChargeAgo(2);
    await run('sync', 'stripe', '--since', '1h', '--types', 'charge.succeeded');
    t.fake.addChargeAgo(1);
    const { code, stdout } = await runMain([
      'sync',
      'stripe',
      '--since',
      '1h',
      '--dry-run',
      '--config',
      t.files.bare,
    ]);
    expect(code).to.equal(0);
    expect(stdout).to.match(
      /^Dry run of stripe since .*: 3 fetched, 2 events already stored, 1 event missing\. Nothing was stored\.\n$/,
    );
    expect(await stored()).to.have.length(2);
  });

  it('passes --types to the listing', async () => {
    await run('sync', 'stripe', '--since', '1h', '--types', 'charge.*, invoice.paid');
    const queries = t.fake.requests.map((r) => Object.fromEntries(r.query));
    expect(queries.map((q) => q['types[0]'] ?? q.type)).to.deep.equal(['invoice.paid', 'charge.*']);
  });

  it('stops with exit 1 at a page that fails, keeping what it stored', async () => {
    t.fake.pageSize = 1;
    t.fake.addChargeAgo(3);
    t.fake.addChargeAgo(2);
    t.fake.script(
      (request) => request.query.has('starting_after'),
      { status: 500 },
      { status: 500 },
      { status: 500 },
    );
    const { code, stdout, stderr } = await run('sync', 'stripe', '--since', '1h');
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.match(
      /^koa-payments: Sync of variant stripe stopped at page 2: The Stripe API failed GET \/v1\/events \(500/,
    );
    expect(stderr).to.include('1 event stored before it stay stored');
    expect(stderr).not.to.include(STRIPE_KEY);
    expect(await stored()).to.have.length(1);
  });

  it('refuses what it cannot do: no --since, a bad one, no receivers, no API key, an unknown variant', async () => {
    const cases: [string[], number, string][] = [
      [['sync', 'stripe'], 2, '--since is required'],
      [['sync', 'stripe', '--since', 'yesterday'], 2, '--since expects a duration back from now'],
      [
        ['sync', 'stripe', '--since', '1h', '--types', 'charge succeeded'],
        2,
        'expects types to be',
      ],
      [['sync', 'nope', '--since', '1h'], 2, "unknown variant 'nope'"],
      [['sync', 'nokey', '--since', '1h'], 1, 'variants.nokey.apiKey: sync() asks the provider'],
    ];
    for (const [args, code, message] of cases) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).to.equal(code);
      expect(result.stderr, args.join(' ')).to.include(message);
    }
    const bare = await runMain(['sync', 'stripe', '--since', '1h', '--config', t.files.bare]);
    expect(bare.code).to.equal(1);
    expect(bare.stderr).to.include(
      'no receivers are registered in this process, so a sync would only',
    );
    expect(t.fake.requests).to.deep.equal([]);
  });

  it('notes that Stripe keeps events for 30 days when --since reaches further', async () => {
    const { code, stderr } = await run('sync', 'stripe', '--since', '40d');
    expect(code).to.equal(0);
    expect(stderr).to.match(
      /^Stripe keeps events for 30 days: what happened before .* cannot be listed\.\n$/,
    );
  });

  it('reconciles references, one line each, and exits 1 when one is not found', async () => {
    const event = samplePayload('stripe', 'checkout.session.completed');
    const session = (event.data as { object: Json }).object;
    t.fake.addEvent(event).addObject(session);
    const { code, stdout } = await runCli([
      'reconcile',
      'stripe',
      String(session.id),
      'pi_3Unknown',
      '--config',
      t.files.config,
    ]);
    expect(code).to.equal(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^REFERENCE\s+STATUS\s+AT PROVIDER\s+EVENT\s+EVENT ID\s+SOURCE$/);
    expect(lines[1]).to.match(
      new RegExp(
        `^${session.id}\\s+stored\\s+paid\\s+checkout\\.session\\.completed\\s+${event.id}\\s+reconcile$`,
      ),
    );
    expect(lines[2]).to.match(/^pi_3Unknown\s+not_found\s+-\s+-\s+-\s+-$/);

    const again = await run('reconcile', 'stripe', String(session.id), '--json');
    expect(again.code).to.equal(0);
    expect(JSON.parse(again.stdout)[0]).to.deep.include({
      status: 'duplicate',
      paymentStatus: 'paid',
    });
  });

  it('refuses a Stripe reference of another kind as a usage error', async () => {
    const { code, stderr } = await run('reconcile', 'stripe', 'ch_3Pz');
    expect(code).to.equal(2);
    expect(stderr).to.include(
      "a Stripe reference is a PaymentIntent id (pi_...) or a Checkout Session id (cs_...), got 'ch_3Pz'",
    );
  });
});
