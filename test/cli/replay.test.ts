import { expect } from 'chai';
import { tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture } from './fixture.js';
import { runCli, runMain } from './run.js';

describe('koa-payments CLI: replay and retry', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'replay');
  });
  beforeEach(() => fixture.fix(false));
  after(async () => {
    await fixture.close();
    tmp.remove();
  });

  const run = (...args: string[]) => runMain([...args, '--config', fixture.config]);
  const statusOf = async (eventId: string) =>
    (
      (await fixture.pay.knex('payments_events').where({ event_id: eventId }).first()) as {
        status: string;
      }
    ).status;

  it('replays the failed deliveries of an event and exits 0 once they succeed', async () => {
    const eventId = await fixture.store('charge.succeeded');
    const still = await run('replay', eventId);
    expect(still.code).to.equal(1);
    expect(still.stdout).to.match(
      new RegExp(
        `^#\\d+ ${eventId} failed: flaky failed \\(attempt 2\\): Error: flaky: the ledger is down\\n$`,
      ),
    );

    fixture.fix(true);
    const audited = fixture.audited().length;
    const { code, stdout } = await run('replay', eventId);
    expect(code).to.equal(0);
    expect(stdout).to.match(new RegExp(`^#\\d+ ${eventId} processed: flaky succeeded\\n$`));
    expect(await statusOf(eventId)).to.equal('processed');
    expect(fixture.audited()).to.have.length(audited); // the succeeded receiver did not run again
  });

  it('re-runs every receiver with --all, and named ones with --receiver', async () => {
    const eventId = await fixture.store('customer.created');
    const nothing = await run('replay', eventId);
    expect(nothing.code).to.equal(0);
    expect(nothing.stdout).to.include(
      'skipped: no failed deliveries (--all re-runs every receiver)',
    );

    const all = await run('replay', eventId, '--all', '--json');
    expect(all.code).to.equal(0);
    const [outcome] = JSON.parse(all.stdout);
    expect(outcome).to.include({ eventId, status: 'processed', failed: false });
    expect(
      outcome.deliveries.map((d: { receiver: string; attempts: number }) => [
        d.receiver,
        d.attempts,
      ]),
    ).to.deep.equal([['audit', 2]]);
    expect(fixture.audited().filter((id) => id === eventId)).to.have.length(2);

    const named = await run('replay', eventId, '--receiver', 'audit');
    expect(named.stdout).to.include('processed: audit succeeded');
    const unknown = await run('replay', eventId, '--receiver', 'nope');
    expect(unknown.code).to.equal(1);
    expect(unknown.stdout).to.include('receiver nope is not registered in this process');
    const both = await run('replay', eventId, '--all', '--receiver', 'audit');
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('--all and --receiver do not go together');
  });

  it('refuses to replay without receivers, and for an unknown event', async () => {
    const eventId = await fixture.store('charge.refunded');
    const bare = await runMain(['replay', eventId, '--config', fixture.bareConfig]);
    expect(bare.code).to.equal(1);
    expect(bare.stderr).to.include('no receivers are registered in this process');
    expect(await statusOf(eventId)).to.equal('failed'); // no attempt was spent
    const missing = await run('replay', 'evt_missing');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('no stored event evt_missing');
  });

  it('retries every failed event with a line per event on a non-terminal', async () => {
    fixture.fix(true);
    await run('retry', '--failed'); // settles the earlier tests' events
    fixture.fix(false);
    const ids = [
      await fixture.store('charge.succeeded'),
      await fixture.store('charge.refunded'),
      await fixture.store('charge.succeeded'),
    ];
    fixture.fix(true);
    const { code, stdout, stderr } = await runCli([
      'retry',
      '--failed',
      '--config',
      fixture.config,
    ]);
    expect(code).to.equal(0);
    expect(stderr).to.include('Retrying 3 failed events…');
    const lines = stdout.trimEnd().split('\n');
    // Newest first, one plain line per event (no progress bar: stderr is not a terminal).
    [...ids].reverse().forEach((id, i) => {
      expect(lines[i]).to.match(
        new RegExp(`^\\[${i + 1}/3\\] #\\d+ ${id} processed: flaky succeeded$`),
      );
    });
    expect(lines[3]).to.equal('3 events: 3 ok, 0 still failing, 0 with nothing to run.');
    for (const id of ids) expect(await statusOf(id)).to.equal('processed');

    const none = await run('retry', '--failed');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.equal('No failed events.\n');
  });

  it('exits 1 when a retried delivery still fails, and filters with --since and --type', async () => {
    const eventId = await fixture.store('charge.failed');
    const future = await run('retry', '--failed', '--since', '2999-01-01');
    expect(future.stdout).to.equal('No failed events.\n');
    const other = await run('retry', '--failed', '--type', 'charge.refunded');
    expect(other.stdout).to.equal('No failed events.\n');
    const { code, stdout } = await run('retry', '--failed', '--since', '1h', '--json');
    expect(code).to.equal(1);
    const outcomes = JSON.parse(stdout);
    expect(outcomes).to.have.length(1);
    expect(outcomes[0]).to.include({ eventId, failed: true, status: 'failed' });
  });

  it('asks what to retry without --failed', async () => {
    const { code, stderr } = await run('retry');
    expect(code).to.equal(2);
    expect(stderr).to.include('`retry --failed` re-runs the failed deliveries of failed events');
  });
});
