import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../helpers/server.js';
import { ROOT, runCli, runMain, writeConfig } from './run.js';

const COMMANDS = [
  'migrate',
  'send',
  'events list',
  'events show',
  'replay',
  'retry',
  'worker',
  'prune',
  'requests list',
  'requests show',
  'sync',
  'reconcile',
  'endpoints create',
  'endpoints list',
];

describe('koa-payments CLI: usage', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.remove());

  describe('through the bin', () => {
    it('lists every command with --help and exits 0', async () => {
      const { code, stdout } = await runCli(['--help']);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^Usage: koa-payments <command> \[options\]/);
      for (const command of COMMANDS) expect(stdout).to.include(`  ${command}`);
      expect(stdout).to.include('Exit codes: 0 ok, 1 failure, 2 usage error.');
    });

    it('exits 2 on an unknown command, names it and suggests the closest one', async () => {
      const { code, stdout, stderr } = await runCli(['migrat']);
      expect(code).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr).to.include("unknown command 'migrat'; did you mean 'migrate'?");
      expect(stderr).to.include("Run 'koa-payments --help' for usage.");
    });

    it('exits 1 and says where it looked when there is no config', async () => {
      const { code, stderr } = await runCli(['events', 'list'], { cwd: tmp.dir });
      expect(code).to.equal(1);
      expect(stderr).to.include(
        'no configuration found: pass --config <file>, set KOA_PAYMENTS_CONFIG',
      );
      expect(stderr).to.include('payments.config.mjs, payments.config.js, payments.config.ts');
    });
  });

  it('declares the bin in package.json, built from src/cli/index.ts with a node shebang', () => {
    // No build in the suite: check that the bin is where tsconfig.build.json puts the source.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    expect(pkg.bin).to.deep.equal({ 'koa-payments': './dist/cli/index.js' });
    expect(build.compilerOptions).to.include({ rootDir: 'src', outDir: 'dist' });
    expect(pkg.files).to.include('dist');
    const source = readFileSync(join(ROOT, 'src/cli/index.ts'), 'utf8');
    expect(source.startsWith('#!/usr/bin/env node\n')).to.equal(true);
  });

  // The many help and usage cases go through the same main() in this process: a child process
  // per case would only add seconds.
  describe('through main()', () => {
    it('prints the version', async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      const { code, stdout } = await runMain(['--version']);
      expect(code).to.equal(0);
      expect(stdout.trim()).to.equal(version);
    });

    it('exits 2 on an unknown option, naming it and the command', async () => {
      const { code, stderr } = await runMain(['events', 'list', '--colour']);
      expect(code).to.equal(2);
      expect(stderr).to.include("unknown option '--colour' for 'events list'");
      expect(stderr).to.include("Run 'koa-payments events list --help' for usage.");
    });

    it('prints the help of each command, with its options, without needing a config', async () => {
      const results = await Promise.all(
        COMMANDS.map((command) => runMain([...command.split(' '), '--help'], { cwd: tmp.dir })),
      );
      results.forEach(({ code, stdout }, i) => {
        expect(code, COMMANDS[i]).to.equal(0);
        expect(stdout, COMMANDS[i]).to.match(new RegExp(`^Usage: koa-payments ${COMMANDS[i]}`));
        expect(stdout, COMMANDS[i]).to.include('--config <file>');
      });
      expect(results[1]?.stdout).to.include('--data <json>').and.include('--count <n>');
      expect(results[2]?.stdout).to.include('--status <status>').and.include('--json');
      expect(results[5]?.stdout).to.include('--failed').and.include('--since <when>');
      expect(results[7]?.stdout).to.include('--older-than <age>');
      const group = await runMain(['help', 'events']);
      expect(group.stdout).to.include('Usage: koa-payments events <list|show> [options]');
    });

    it('exits 2 on a missing argument, a missing subcommand, an extra argument or a bad value', async () => {
      const [missing, group, extra, limit, count, data, status, nothing] = await Promise.all([
        runMain(['send', 'stripe']),
        runMain(['events']),
        runMain(['migrate', 'now']),
        runMain(['events', 'list', '--limit', 'ten']),
        runMain(['send', 'stripe', 'charge.succeeded', '--count', '0']),
        runMain(['send', 'stripe', 'charge.succeeded', '--data', '{oops']),
        runMain(['events', 'list', '--status', 'paid']),
        runMain([]),
      ]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.include("'send' needs <type>");
      expect(group.code).to.equal(2);
      expect(group.stderr).to.include("'events' needs a subcommand: list or show");
      expect(extra.code).to.equal(2);
      expect(extra.stderr).to.include("unexpected argument 'now' for 'migrate'");
      expect(limit.code).to.equal(2);
      expect(limit.stderr).to.include("--limit expects a whole number from 1 to 100000, got 'ten'");
      expect(count.code).to.equal(2);
      expect(count.stderr).to.include('--count expects a whole number');
      expect(data.code).to.equal(2);
      expect(data.stderr).to.include('--data is not valid JSON');
      expect(status.code).to.equal(2);
      expect(status.stderr).to.include(
        "--status 'paid' is not one of pending, processed, failed, ignored",
      );
      expect(nothing.code).to.equal(2);
      expect(nothing.stderr).to.include('no command given');
    });

    it('exits 1 on a config file that does not exist or does not export settings', async () => {
      writeConfig(tmp.dir, 'empty.mjs', 'export const nothing = 1;\n');
      const [absent, empty] = await Promise.all([
        runMain(['migrate', '--config', 'nope.mjs'], { cwd: tmp.dir }),
        runMain(['migrate', '--config', 'empty.mjs'], { cwd: tmp.dir }),
      ]);
      expect(absent.code).to.equal(1);
      expect(absent.stderr).to.include(
        `config file not found: ${join(tmp.dir, 'nope.mjs')} (from --config)`,
      );
      expect(empty.code).to.equal(1);
      expect(empty.stderr).to.include('must `export default` the payments() settings');
    });

    it('exits 1 with the option path when payments() refuses the settings', async () => {
      writeConfig(
        tmp.dir,
        'wrong.mjs',
        `export default { database: ${JSON.stringify(tmp.file('wrong.sqlite3'))}, variants: { stripe: { provider: 'stripe', endpointSecret: 'sk_test_not_a_webhook_secret' } } };\n`,
      );
      // send signs with the variant's secret, so it builds the variants as configured.
      const { code, stderr } = await runMain(
        ['send', 'stripe', 'charge.succeeded', '--config', 'wrong.mjs'],
        { cwd: tmp.dir },
      );
      expect(code).to.equal(1);
      expect(stderr).to.include('variants.stripe.endpointSecret: looks like an API key');
    });
  });
});
