import { expect } from 'chai';
import { tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture } from './fixture.js';
import { runMain, startCli } from './run.js';

describe('koa-payments CLI: worker', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'worker');
  });
  beforeEach(() => fixture.fix(false));
  after(async () => {
    await fixture.close();
    tmp.remove();
  });

  const deliveryOf = async (eventId: string, receiver: string) =>
    (await fixture.pay
      .knex('payments_deliveries as d')
      .join('payments_events as e', 'e.id', 'd.event')
      .where({ 'e.event_id': eventId, 'd.receiver': receiver })
      .first('d.status', 'd.attempts')) as { status: string; attempts: number };

  it('runs due deliveries in the foreground until SIGTERM, then stops cleanly', async () => {
    // The config retries after 1 ms: both flaky deliveries are due at once.
    const first = await fixture.store('charge.succeeded');
    const second = await fixture.store('charge.refunded');
    fixture.fix(true);

    const worker = startCli(['worker', '--config', fixture.config]);
    await worker.waitFor(
      /Worker running: polling every 50 ms; 2 receivers \(audit, flaky\)\. Ctrl-C to stop\.\n/,
    );
    await worker.waitFor(new RegExp(`succeeded  #\\d+ ${first}  flaky  \\(attempt 2\\)\\n`));
    await worker.waitFor(new RegExp(`succeeded  #\\d+ ${second}  flaky  \\(attempt 2\\)\\n`));
    worker.child.kill('SIGTERM');
    const { code, stdout } = await worker.result;

    expect(code).to.equal(0);
    expect(stdout).to.include(
      'SIGTERM: stopping, waiting for running receivers…\nWorker stopped.\n',
    );
    expect(await deliveryOf(first, 'flaky')).to.deep.equal({ status: 'succeeded', attempts: 2 });
    expect(await deliveryOf(second, 'flaky')).to.deep.equal({ status: 'succeeded', attempts: 2 });
  });

  it('prints each failed attempt and the dead delivery, and stops on SIGINT', async () => {
    const eventId = await fixture.store('charge.failed');
    const worker = startCli(['worker', '--config', fixture.config]);
    await worker.waitFor(
      new RegExp(`failed     #\\d+ ${eventId}  flaky  \\(attempt 2; next \\d{4}-`),
    );
    await worker.waitFor(
      new RegExp(`dead       #\\d+ ${eventId}  flaky  \\(attempt 10, the last\\)\\n`),
    );
    worker.child.kill('SIGINT');
    const { code, stdout } = await worker.result;
    expect(code).to.equal(0);
    expect(stdout).to.include('SIGINT: stopping');
    expect(await deliveryOf(eventId, 'flaky')).to.deep.equal({ status: 'dead', attempts: 10 });
  });

  it('runs what is due once and exits with --once', async () => {
    const eventId = await fixture.store('charge.succeeded');
    fixture.fix(true);
    const { code, stdout } = await runMain(['worker', '--once', '--config', fixture.config]);
    expect(code).to.equal(0);
    expect(stdout).to.equal('Ran 1 due delivery.\n');
    expect(await deliveryOf(eventId, 'flaky')).to.deep.equal({ status: 'succeeded', attempts: 2 });
  });

  it('refuses to start without receivers', async () => {
    const { code, stderr } = await runMain(['worker', '--once', '--config', fixture.bareConfig]);
    expect(code).to.equal(1);
    expect(stderr).to.include(
      'no receivers are registered in this process, so the worker would only fail deliveries',
    );
  });
});
