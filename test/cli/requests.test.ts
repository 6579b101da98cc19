import { expect } from 'chai';
import { appWith, listen, post, type TestServer, tempDir } from '../helpers/server.js';
import { type DeliveriesFixture, deliveriesFixture } from './fixture.js';
import { runCli, runMain } from './run.js';

describe('koa-payments CLI: requests list and requests show', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fixture: DeliveriesFixture;
  let server: TestServer;
  let charge: string;
  const BIG = 70_000;

  before(async () => {
    tmp = tempDir();
    fixture = await deliveriesFixture(tmp.dir, 'requests');
    charge = await fixture.store('charge.succeeded'); // line 1, event 1
    await fixture.store('customer.created'); // line 2, event 2
    server = await listen(appWith(fixture.pay));
    // Line 3: refused, with a credential header and a body larger than requestLog.maxBody.
    const refused = await post(
      `${server.origin}/payments/process/stripe/`,
      JSON.stringify({ id: 'evt_forged', padding: 'x'.repeat(BIG) }),
      {
        'content-type': 'application/json',
        'stripe-signature': 't=1,v1=00',
        authorization: 'Bearer sk_live_leaked',
      },
    );
    expect(refused.status).to.equal(400);
  });
  after(async () => {
    await server.close();
    await fixture.close();
    tmp.remove();
  });

  const run = (...args: string[]) => runMain([...args, '--config', fixture.config]);

  it('lists the log newest first as a table, refused requests included', async () => {
    const { code, stdout } = await runCli(['requests', 'list', '--config', fixture.config]);
    expect(code).to.equal(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(
      /^ID\s+RECEIVED\s+VARIANT\s+FROM\s+STATUS\s+VALID\s+EVENT\s+MS\s+ERROR$/,
    );
    expect(lines[1]).to.match(
      /^3\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z\s+stripe\s+127\.0\.0\.1\s+400\s+no\s+-\s+\d+\s+invalid_signature:no_matching_signature$/,
    );
    expect(lines[2]).to.match(/^2\s+.*stripe\s+\S+\s+200\s+yes\s+2\s+\d+\s+-$/);
    expect(lines[3]).to.match(/^1\s+.*stripe\s+\S+\s+200\s+yes\s+1\s+\d+\s+-$/);
    expect(lines).to.have.length(4);
  });

  it('filters by validity, variant, status, time and count, and prints JSON', async () => {
    const ids = async (...args: string[]) => {
      const { code, stdout } = await run('requests', 'list', '--json', ...args);
      expect(code).to.equal(0);
      return (JSON.parse(stdout) as { id: number }[]).map((r) => r.id);
    };
    expect(await ids('--invalid')).to.deep.equal([3]);
    expect(await ids('--status', '200')).to.deep.equal([2, 1]);
    expect(await ids('--variant', 'stripe', '--invalid', '--since', '1h')).to.deep.equal([3]);
    expect(await ids('--since', '2999-01-01')).to.deep.equal([]);
    expect(await ids('--limit', '2')).to.deep.equal([3, 2]);
    expect(await ids('--variant', 'paystack')).to.deep.equal([]);
    const [line] = JSON.parse((await run('requests', 'list', '--json', '--invalid')).stdout);
    expect(line).to.include({ variant: 'stripe', valid: false, statusCode: 400, event: null });
    expect(line.headers.authorization).to.equal('[redacted]');
    expect(line.body).to.have.length(64 * 1024);
    expect(line.bodySize).to.be.greaterThan(BIG);
    expect((await run('requests', 'list', '--variant', 'paystack')).stdout).to.equal(
      'No requests.\n',
    );
  });

  it('shows a refused request: why, its headers redacted, its body truncated as stored', async () => {
    const { code, stdout } = await runCli(['requests', 'show', '3', '--config', fixture.config]);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Request 3 {2}refused \(400\)\n/);
    expect(stdout).to.include('  error      invalid_signature:no_matching_signature\n');
    expect(stdout).to.include("  Usually: no signature matched the variant's secret");
    expect(stdout).to.include('Headers (as stored: secrets redacted)\n');
    expect(stdout).to.include('  authorization: [redacted]\n');
    expect(stdout).to.include('  stripe-signature: t=1,v1=00\n');
    expect(stdout).to.not.include('sk_live_leaked');
    expect(stdout).to.match(
      /Body \(the first 65536 of \d+ bytes, as stored: requestLog\.maxBody\)\n {2}\{"id":"evt_forged","padding":"x+\n$/,
    );
  });

  it('shows an accepted request with its event and its body', async () => {
    const { code, stdout } = await run('requests', 'show', '1');
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Request 1 {2}accepted \(200\)\n/);
    expect(stdout).to.include('  event      1 (koa-payments events show 1)\n');
    expect(stdout).to.not.include('Usually:');
    expect(stdout).to.include('Body (as stored)\n');
    expect(stdout).to.include(`"id":"${charge}"`);
    const json = JSON.parse((await run('requests', 'show', '1', '--json')).stdout);
    expect(json).to.include({ id: 1, valid: true, statusCode: 200, event: 1 });
  });

  it('exits 1 for a request that is not logged and 2 for a bad id, value or subcommand', async () => {
    const missing = await run('requests', 'show', '999');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('no logged request 999');
    const [bad, status, group, help] = await Promise.all([
      run('requests', 'show', 'evt_1'),
      run('requests', 'list', '--status', 'bad'),
      runMain(['requests']),
      runMain(['help', 'requests']),
    ]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("<id> is a request's row id");
    expect(status.code).to.equal(2);
    expect(status.stderr).to.include("--status expects an HTTP status code such as 400, got 'bad'");
    expect(group.code).to.equal(2);
    expect(group.stderr).to.include("'requests' needs a subcommand: list or show");
    expect(help.stdout).to.include('Usage: koa-payments requests <list|show> [options]');
  });
});
