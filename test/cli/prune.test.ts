import { expect } from 'chai';
import { tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture, STRIPE } from './fixture.js';
import { runCli, runMain, writeConfig } from './run.js';

const DAY = 24 * 60 * 60 * 1000;

describe('koa-payments CLI: prune', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'prune');
    for (const type of ['customer.created', 'invoice.paid', 'customer.created']) {
      await fixture.store(type);
    }
    // Two of the three request-log lines are 40 days old.
    const ids = (await fixture.pay
      .knex('payments_requests')
      .orderBy('id')
      .limit(2)
      .pluck('id')) as number[];
    await fixture.pay
      .knex('payments_requests')
      .whereIn('id', ids)
      .update({ received_at: new Date(Date.now() - 40 * DAY) });
  });
  after(async () => {
    await fixture.close();
    tmp.remove();
  });

  const lines = async () =>
    Number((await fixture.pay.knex('payments_requests').count({ n: '*' }))[0]?.n);

  it('deletes the lines older than the retention (30 days by default) and keeps events', async () => {
    const { code, stdout } = await runCli(['prune', '--config', fixture.config]);
    expect(code).to.equal(0);
    expect(stdout).to.match(
      /^Deleted 2 request-log lines received before \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z\.\n/,
    );
    expect(stdout.split('\n')[1]).to.equal(
      'Events are kept: no events.retentionDays (--events-older-than prunes them).',
    );
    expect(await lines()).to.equal(1);
    expect((await fixture.pay.events.list()).length).to.equal(3);
  });

  it('takes --older-than and --before, and prints JSON', async () => {
    const none = await runMain([
      'prune',
      '--before',
      '2000-01-01',
      '--json',
      '--config',
      fixture.config,
    ]);
    expect(JSON.parse(none.stdout)).to.deep.equal({
      requests: { deleted: 0, before: '2000-01-01T00:00:00.000Z' },
      events: { deleted: 0, deliveries: 0, before: null },
      dryRun: false,
    });
    const recent = await runMain([
      'prune',
      '--older-than',
      '1ms',
      '--json',
      '--config',
      fixture.config,
    ]);
    expect(recent.code).to.equal(0);
    expect(JSON.parse(recent.stdout).requests.deleted).to.equal(1);
    expect(await lines()).to.equal(0);
  });

  it('deletes settled events older than --events-older-than, after a --dry-run that deletes nothing', async () => {
    // One of the three events was received and settled 100 days ago.
    const [old] = (await fixture.pay
      .knex('payments_events')
      .orderBy('id')
      .limit(1)
      .pluck('id')) as number[];
    const longAgo = new Date(Date.now() - 100 * DAY);
    await fixture.pay
      .knex('payments_events')
      .where({ id: old })
      .update({ received_at: longAgo, processed_at: longAgo });
    const args = ['prune', '--events-older-than', '90d', '--config', fixture.config];
    const dry = await runCli([...args, '--dry-run']);
    expect(dry.code).to.equal(0);
    expect(dry.stdout.split('\n')[1]).to.match(
      /^Would delete 1 settled event and 1 delivery, received and settled before \d{4}-\d{2}-\d{2} /,
    );
    expect((await fixture.pay.events.list()).length).to.equal(3);
    const done = await runCli(args);
    expect(done.stdout.split('\n')[1]).to.match(/^Deleted 1 settled event and 1 delivery, /);
    expect((await fixture.pay.events.list()).map((e) => e.id)).not.to.include(old);
    expect((await fixture.pay.events.list()).length).to.equal(2);
  });

  it('exits 2 on a duration it cannot read', async () => {
    const { code, stderr } = await runMain([
      'prune',
      '--older-than',
      'soon',
      '--config',
      fixture.config,
    ]);
    expect(code).to.equal(2);
    expect(stderr).to.include(
      "--older-than expects a duration such as 30d, 12h, 90m or 2w, got 'soon'",
    );
  });

  it('says what it leaves alone: the request log when it is off, events without a retention', async () => {
    const config = writeConfig(
      tmp.dir,
      'no-log.mjs',
      `export default { requestLog: false, database: ${JSON.stringify(fixture.db)}, variants: { stripe: ${JSON.stringify(STRIPE)} } };\n`,
    );
    const { code, stdout } = await runMain(['prune', '--config', config]);
    expect(code).to.equal(0);
    expect(stdout).to.equal(
      'The request log is off (requestLog: false).\n' +
        'Events are kept: no events.retentionDays (--events-older-than prunes them).\n',
    );
  });
});
