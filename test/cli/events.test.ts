import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { type PaymentsSettings, payments } from '../../src/index.js';
import { samplePayload, sendWebhook } from '../../src/testing/index.js';
import { tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture, STRIPE } from './fixture.js';
import { LIBRARY, runCli, runMain, writeConfig } from './run.js';

describe('koa-payments CLI: events list and events show', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;
  let charge: string;
  let customer: string;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'events');
    charge = await fixture.store('charge.succeeded'); // audit succeeds, flaky fails
    customer = await fixture.store('customer.created'); // audit only
  });
  after(async () => {
    await fixture.close();
    tmp.remove();
  });

  const run = (...args: string[]) => runMain([...args, '--config', fixture.config]);

  it('lists the events newest first as a table', async () => {
    const { code, stdout } = await runCli(['events', 'list', '--config', fixture.config]);
    expect(code).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^ID\s+RECEIVED\s+VARIANT\s+TYPE\s+EVENT ID\s+STATUS$/);
    expect(lines[1]).to.match(
      new RegExp(
        `^2\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z\\s+stripe\\s+customer\\.created\\s+${customer}\\s+processed$`,
      ),
    );
    expect(lines[2]).to.match(new RegExp(`^1\\s+.*charge\\.succeeded\\s+${charge}\\s+failed$`));
    expect(lines).to.have.length(3);
  });

  it('filters by status, type, variant, time and count, and prints JSON', async () => {
    const ids = async (...args: string[]) => {
      const { code, stdout } = await run('events', 'list', '--json', ...args);
      expect(code).to.equal(0);
      return (JSON.parse(stdout) as { eventId: string }[]).map((e) => e.eventId);
    };
    expect(await ids('--status', 'failed')).to.deep.equal([charge]);
    expect(await ids('--status', 'failed,processed')).to.deep.equal([customer, charge]);
    expect(await ids('--type', 'customer.created')).to.deep.equal([customer]);
    expect(await ids('--limit', '1')).to.deep.equal([customer]);
    expect(await ids('--since', '1h')).to.deep.equal([customer, charge]);
    expect(await ids('--since', '2999-01-01')).to.deep.equal([]);
    expect(await ids('--variant', 'paystack')).to.deep.equal([]);
    const [event] = JSON.parse((await run('events', 'list', '--json', '--limit', '1')).stdout);
    expect(event).to.include({
      id: 2,
      variant: 'stripe',
      provider: 'stripe',
      type: 'customer.created',
    });
    expect(event.payload.id).to.equal(customer);
    expect((await run('events', 'list', '--variant', 'paystack')).stdout).to.equal('No events.\n');
  });

  it('shows an event with its deliveries and request-log lines', async () => {
    const { code, stdout } = await runCli(['events', 'show', '1', '--config', fixture.config]);
    expect(code).to.equal(0);
    expect(stdout).to.include(`Event 1  ${charge}`);
    expect(stdout).to.match(/ {2}variant {4}stripe \(stripe\)/);
    expect(stdout).to.match(/ {2}status {5}failed/);
    expect(stdout).to.include('Deliveries (2)');
    expect(stdout).to.match(/RECEIVER\s+STATUS\s+ATTEMPTS\s+NEXT ATTEMPT\s+COMPLETED\s+LAST ERROR/);
    expect(stdout).to.match(/audit\s+succeeded\s+1\s+-\s+\d{4}-/);
    expect(stdout).to.match(/flaky\s+failed\s+1\s+\d{4}-.*Error: flaky: the ledger is down/);
    expect(stdout).to.include('Requests (1)');
    expect(stdout).to.match(/127\.0\.0\.1\s+200\s+yes\s+\d+\s+\d+\s+-/);
    expect(stdout).to.not.include('Payload');
  });

  it('finds an event by its provider id, and prints it as JSON or with its payload', async () => {
    const json = await run('events', 'show', charge, '--json');
    expect(json.code).to.equal(0);
    const details = JSON.parse(json.stdout);
    expect(details).to.include({ id: 1, eventId: charge, status: 'failed' });
    expect(
      details.deliveries.map((d: { receiver: string; status: string }) => [d.receiver, d.status]),
    ).to.deep.equal([
      ['audit', 'succeeded'],
      ['flaky', 'failed'],
    ]);
    expect(details.requests).to.have.length(1);
    expect(details.requests[0]).to.include({ statusCode: 200, valid: true, event: 1 });
    const withPayload = await run('events', 'show', customer, '--payload');
    expect(withPayload.stdout).to.include('Payload\n  {\n');
    expect(withPayload.stdout).to.include(`"id": "${customer}"`);
  });

  it('shows a delivery its receiver deferred (RetryLater) as deferred, with the reason', async () => {
    const deferred = await fixture.store('charge.succeeded');
    const event = await fixture.pay.events.get(deferred);
    // What the dispatcher records for a RetryLater (test/dispatch/retry-later.test.ts).
    await fixture.pay
      .knex('payments_deliveries')
      .where({ event: event?.id, receiver: 'flaky' })
      .update({
        status: 'pending',
        attempts: 0,
        last_error: null,
        next_attempt_at: new Date(Date.now() + 60_000),
        deferred_since: new Date(),
        deferred_reason: 'order 7 not created yet',
      });
    const { code, stdout } = await run('events', 'show', deferred);
    expect(code).to.equal(0);
    expect(stdout).to.match(/flaky\s+deferred\s+0\s+\d{4}-/);
    expect(stdout).to.match(
      /flaky is deferred \(RetryLater\) since \d{4}-\S+ \S+: order 7 not created yet/,
    );
    const json = JSON.parse((await run('events', 'show', deferred, '--json')).stdout);
    expect(json.deliveries[1]).to.include({
      receiver: 'flaky',
      status: 'pending',
      deferredReason: 'order 7 not created yet',
    });
  });

  it('exits 1 when there is no such event', async () => {
    const { code, stdout, stderr } = await run('events', 'show', '999999');
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.include('no stored event 999999');
  });
});

describe('koa-payments CLI: events show of a stale event', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.remove());

  it('says the event is stale and how to run its skipped deliveries', async () => {
    const db = tmp.file('stale.sqlite3');
    const config = writeConfig(
      tmp.dir,
      'stale.config.mjs',
      `import { createRegistry } from ${JSON.stringify(LIBRARY)};
const registry = createRegistry();
registry.receiver('customer.subscription.*', function sync() {}, { name: 'sync', skipStale: true });
export default { registry, database: ${JSON.stringify(db)}, variants: { stripe: ${JSON.stringify(STRIPE)} } };
`,
    );
    const settings = (await import(pathToFileURL(config).href)).default as PaymentsSettings;
    const pay = payments({ ...settings, worker: false });
    try {
      await pay.migrate();
      const send = async (type: string, created: number) => {
        const payload = samplePayload('stripe', type, {
          created,
          data: { object: { id: 'sub_cli' } },
        });
        const sent = await sendWebhook(pay, 'stripe', payload, { settings: STRIPE });
        expect(sent.status).to.equal(200);
        return sent.event?.id as number;
      };
      await send('customer.subscription.updated', 1_750_000_005);
      const stale = await send('customer.subscription.created', 1_750_000_000);
      const { code, stdout } = await runMain(['events', 'show', String(stale), '--config', config]);
      expect(code).to.equal(0);
      expect(stdout).to.match(/ {2}stale {6}yes: a newer event about its object was stored first/);
      expect(stdout).to.match(/sync\s+skipped\s+0\s+-\s+\d{4}-/);
      expect(stdout).to.include(
        `skipped: the event is stale and these receivers have skipStale; \`koa-payments replay ${stale} --receiver <name>\` runs one anyway`,
      );
      const list = await runMain(['events', 'list', '--config', config]);
      expect(list.stdout).to.match(
        new RegExp(`^${stale} .*customer\\.subscription\\.created .* processed \\(stale\\)$`, 'm'),
      );
      expect(list.stdout).to.match(/customer\.subscription\.updated .* processed$/m);
      const fresh = await runMain(['events', 'show', String(stale - 1), '--config', config]);
      expect(fresh.stdout).to.match(/ {2}stale {6}no/);
      expect(fresh.stdout).not.to.include('skipped:');
    } finally {
      await pay.close();
    }
  });
});
