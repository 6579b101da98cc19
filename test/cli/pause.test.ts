import { expect } from 'chai';
import { tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture } from './fixture.js';
import { runCli, runMain } from './run.js';

describe('koa-payments CLI: pause and resume', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;
  let charge: string;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'pause');
    charge = await fixture.store('charge.succeeded'); // audit succeeds, flaky fails
  });
  after(async () => {
    await fixture.close();
    tmp.remove();
  });

  const run = (...args: string[]) => runMain([...args, '--config', fixture.config]);

  it('pauses a receiver on the database, says so in events show, and resumes it', async () => {
    const paused = await runCli([
      'pause',
      'flaky',
      '--reason',
      'ledger deploy',
      '--config',
      fixture.config,
    ]);
    expect(paused.stderr).to.equal('');
    expect(paused.code).to.equal(0);
    expect(paused.stdout).to.equal(
      'Paused flaky: its deliveries stay pending on every instance until `koa-payments resume flaky`.\n' +
        '1 of its deliveries waits to run.\n',
    );
    expect((await fixture.pay.paused()).map((p) => [p.receiver, p.reason])).to.deep.equal([
      ['flaky', 'ledger deploy'],
    ]);
    // The instance of the app (another process's view of the same file) holds its deliveries.
    expect(await fixture.pay.runDueDeliveries()).to.equal(0);

    const again = await run('pause', 'flaky');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(
      /^flaky was already paused \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: ledger deploy\)\.\n/,
    );

    const shown = await run('events', 'show', charge);
    expect(shown.stdout).to.match(/flaky\s+failed \(paused\)\s+1\s+/);
    expect(shown.stdout).to.match(/audit\s+succeeded\s+1/);
    expect(shown.stdout).to.match(
      /\n {2}flaky is paused \(since [^)]+: ledger deploy\): its deliveries wait until `koa-payments resume flaky`\.\n/,
    );
    const json = JSON.parse((await run('events', 'show', charge, '--json')).stdout);
    expect(json.pausedReceivers).to.have.length(1);
    expect(json.pausedReceivers[0]).to.include({ receiver: 'flaky', reason: 'ledger deploy' });

    const resumed = await run('resume', 'flaky', '--json');
    expect(resumed.code).to.equal(0);
    expect(JSON.parse(resumed.stdout)).to.deep.equal({
      receiver: 'flaky',
      paused: false,
      pausedAt: null,
      reason: null,
      changed: true,
      waiting: 1,
    });
    expect((await run('events', 'show', charge)).stdout).to.not.include('paused');
    const twice = await run('resume', 'flaky');
    expect(twice.stdout).to.equal(
      'flaky was not paused.\n1 of its deliveries waits; the retry worker runs it at its next poll.\n',
    );
  });

  it('refuses a name no receiver has, and a config without receivers', async () => {
    const unknown = await run('pause', 'flakey');
    expect(unknown.code).to.equal(1);
    expect(unknown.stdout).to.equal('');
    expect(unknown.stderr).to.equal(
      'koa-payments: No receiver named "flakey" is registered in this process, so it cannot be paused; the receivers are audit, flaky.\n',
    );
    const bare = await runMain(['pause', 'flaky', '--config', fixture.bareConfig]);
    expect(bare.code).to.equal(1);
    expect(bare.stderr).to.include(
      'koa-payments: no receivers are registered in this process, so there is no name to pause.',
    );
    const missing = await run('pause');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("'pause' needs <receiver>");
    expect(await fixture.pay.paused()).to.deep.equal([]);
  });
});
