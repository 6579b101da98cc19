import { expect } from 'chai';
import { STRIPE_EVENT_TYPES } from '../../src/providers/stripe/event-types.js';
import { STRIPE_THIN_EVENT_TYPES } from '../../src/providers/stripe/thin-event-types.js';
import { catchUpForEach, STRIPE_KEY } from './catch-up.js';
import { runCli, runMain } from './run.js';

const URL = 'https://shop.test/payments/process/stripe/';

describe('koa-payments CLI: endpoints create and list', () => {
  const t = catchUpForEach();
  const run = t.run;

  it("registers webhookUrl(variant) with the types the variant's receivers listen to, wildcards widened, and prints the secret once", async () => {
    const { code, stdout, stderr } = await runCli([
      'endpoints',
      'create',
      'stripe',
      '--config',
      t.files.config,
    ]);
    expect(code, stderr).to.equal(0);
    const charges = STRIPE_EVENT_TYPES.filter((type) => type.startsWith('charge.'));
    const expected = [...charges, 'checkout.session.completed'];
    const [endpoint] = t.fake.endpoints.webhookEndpoints;
    expect(endpoint).to.deep.include({
      url: URL,
      enabled_events: expected,
      api_version: null,
      description: 'koa-payments, variant stripe',
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal(`Created webhook endpoint ${endpoint?.id} for ${URL}`);
    expect(lines[1]).to.equal("  api version  the account's default");
    expect(lines[2]).to.equal(`  events       ${expected.join(', ')} (${expected.length})`);
    expect(lines[3]).to.equal(
      'Signing secret (shown this once; set it as the endpointSecret of variant stripe):',
    );
    expect(lines[4]).to.match(/^whsec_[0-9a-f]{32}$/);
    expect(lines).to.have.length(5);
    expect(stderr).to.equal('');
    const [request] = t.fake.requests;
    expect(request?.headers.authorization).to.equal(`Bearer ${STRIPE_KEY}`);
  });

  it('refuses a second endpoint for the same URL unless --force, and pins --api-version', async () => {
    expect((await run('endpoints', 'create', 'stripe', '--events', 'all')).code).to.equal(0);
    const again = await run('endpoints', 'create', 'stripe');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include(
      `koa-payments: Stripe already delivers to ${URL} (we_fake1, enabled)`,
    );
    const forced = await run(
      'endpoints',
      'create',
      'stripe',
      '--force',
      '--api-version',
      '2025-03-31.basil',
      '--events',
      'invoice.paid,customer.subscription.*',
      '--json',
    );
    expect(forced.code).to.equal(0);
    const created = JSON.parse(forced.stdout);
    expect(created).to.deep.include({
      id: 'we_fake2',
      apiVersion: '2025-03-31.basil',
      payload: 'snapshot',
    });
    expect(created.secret).to.match(/^whsec_/);
    const endpoints = t.fake.endpoints.webhookEndpoints;
    expect(endpoints.map((e) => e.enabled_events)).to.deep.equal([
      ['*'],
      ['invoice.paid', ...STRIPE_EVENT_TYPES.filter((t) => t.startsWith('customer.subscription.'))],
    ]);
  });

  it('creates an event destination with thin payloads with --thin, widening to thin types, which takes no --api-version', async () => {
    const { code, stdout, stderr } = await run(
      'endpoints',
      'create',
      'stripe',
      '--thin',
      '--events',
      'v1.billing.meter.*,charge.succeeded,v2.core.event_destination.ping',
    );
    expect(code, stderr).to.equal(0);
    const meters = STRIPE_THIN_EVENT_TYPES.filter((type) => type.startsWith('v1.billing.meter.'));
    expect(meters).to.include('v1.billing.meter.error_report_triggered');
    const [destination] = t.fake.endpoints.destinations;
    expect(destination).to.deep.include({
      type: 'webhook_endpoint',
      event_payload: 'thin',
      enabled_events: [...meters, 'v2.core.event_destination.ping'],
      name: 'koa-payments stripe',
    });
    // A snapshot type is left out: a thin destination sends v1.charge.succeeded instead.
    expect(stderr).to.equal(
      'Note: charge.succeeded names snapshot events; a thin destination sends v1.charge.succeeded instead, which a receiver of charge.succeeded does not match; left out.\n',
    );
    expect(stdout).to.include(
      `Created event destination (thin events) ${destination?.id} for ${URL}`,
    );
    const webhook = destination?.webhook_endpoint as { signing_secret: string };
    expect(stdout).to.include(webhook.signing_secret);

    // Every thin type with --events all (a destination takes exact types).
    expect(
      (await run('endpoints', 'create', 'stripe', '--thin', '--force', '--events', 'all')).code,
    ).to.equal(0);
    expect(t.fake.endpoints.destinations[1]?.enabled_events).to.deep.equal([
      ...STRIPE_THIN_EVENT_TYPES,
    ]);
    // The receivers of the config listen to snapshot types only: nothing to enable.
    const auto = await run('endpoints', 'create', 'stripe', '--thin', '--force');
    expect(auto.code).to.equal(1);
    expect(auto.stderr).to.include('Note: charge.* names snapshot events');
    expect(auto.stderr).to.include('no Stripe event type to enable');

    const pinned = await run(
      'endpoints',
      'create',
      'stripe',
      '--thin',
      '--api-version',
      '2025-03-31.basil',
    );
    expect(pinned.code).to.equal(2);
    expect(pinned.stderr).to.include('thin events are not pinned to an API version');
  });

  it("lists the account's endpoints and destinations, marking the app's", async () => {
    t.fake.endpoints.webhookEndpoints.push({
      id: 'we_other',
      object: 'webhook_endpoint',
      url: 'https://elsewhere.test/hooks',
      status: 'disabled',
      api_version: '2024-06-20',
      enabled_events: ['invoice.paid'],
      description: null,
    });
    await run('endpoints', 'create', 'stripe', '--events', 'all');
    await run(
      'endpoints',
      'create',
      'stripe',
      '--thin',
      '--force',
      '--events',
      'v1.billing.meter.error_report_triggered',
    );
    const { code, stdout } = await runCli([
      'endpoints',
      'list',
      'stripe',
      '--config',
      t.files.config,
    ]);
    expect(code).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^OURS\s+ID\s+STATUS\s+PAYLOAD\s+API VERSION\s+EVENTS\s+URL$/);
    expect(lines[1]).to.match(
      new RegExp(`^\\*\\s+we_fake1\\s+enabled\\s+snapshot\\s+-\\s+\\*\\s+${URL}$`),
    );
    expect(lines[2]).to.match(
      /^\s+we_other\s+disabled\s+snapshot\s+2024-06-20\s+1\s+https:\/\/elsewhere\.test\/hooks$/,
    );
    expect(lines[3]).to.match(
      new RegExp(`^\\*\\s+ed_fake2\\s+enabled\\s+thin\\s+-\\s+1\\s+${URL}$`),
    );
    expect(lines[4]).to.equal(`* delivers to ${URL} (webhookUrl('stripe')).`);
    expect(stdout).not.to.match(/whsec_/);
    const json = await run('endpoints', 'list', 'stripe', '--json');
    expect(
      JSON.parse(json.stdout).map((e: { id: string; ours: boolean }) => [e.id, e.ours]),
    ).to.deep.equal([
      ['we_fake1', true],
      ['we_other', false],
      ['ed_fake2', true],
    ]);
  });

  it('says when none is the app’s', async () => {
    const { code, stdout } = await run('endpoints', 'list', 'stripe');
    expect(code).to.equal(0);
    expect(stdout).to.equal(
      `No endpoints. None delivers to ${URL} (webhookUrl('stripe')): run \`koa-payments endpoints create stripe\`.\n`,
    );
  });

  it('passes on what Stripe says when it refuses, and refuses what it cannot do', async () => {
    const refused = await run('endpoints', 'create', 'stripe', '--events', 'charge.nope');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include(
      'Note: charge.nope is not an event type this version knows; Stripe may refuse it.',
    );
    expect(refused.stderr).to.include(
      'koa-payments: The Stripe API refused POST /v1/webhook_endpoints (400, request req_fake',
    );
    expect(refused.stderr).to.include(
      "Invalid enabled_events: 'charge.nope' is not a valid event type",
    );
    const cases: [string[], number, string][] = [
      [['endpoints', 'create', 'nokey'], 1, 'variant nokey has no apiKey'],
      [['endpoints', 'create', 'paystack'], 2, 'variant paystack is not a stripe variant'],
      [['endpoints', 'list', 'nope'], 2, "unknown variant 'nope'"],
      [['endpoints'], 2, "'endpoints' needs a subcommand: create or list"],
      [
        ['endpoints', 'create', 'stripe', '--events', 'payment:*'],
        1,
        'no Stripe event type to enable',
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).to.equal(code);
      expect(result.stderr, args.join(' ')).to.include(message);
      expect(result.stderr + result.stdout).not.to.include(STRIPE_KEY);
    }
    expect(refused.stderr + refused.stdout).not.to.include(STRIPE_KEY);
    // A revoked key: Stripe's 401 says which option to check, never the key.
    t.fake.script('/v1/webhook_endpoints', {
      status: 401,
      body: {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' },
      },
    });
    const revoked = await run('endpoints', 'list', 'stripe');
    expect(revoked.code).to.equal(1);
    expect(revoked.stderr).to.include('refused the API key');
    expect(revoked.stderr + revoked.stdout).not.to.include(STRIPE_KEY);
    const bare = await runMain(['endpoints', 'create', 'stripe', '--config', t.files.bare]);
    expect(bare.code).to.equal(1);
    expect(bare.stderr).to.include('no receiver of variant stripe is registered in this process');
  });
});
