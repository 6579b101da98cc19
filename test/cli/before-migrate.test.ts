/**
 * The CLI on a store that is not there yet, or not migrated, and on a machine without the
 * providers' secrets: what a new user meets first.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import { migrationSource, payments } from '../../src/index.js';
import { sendWebhook } from '../../src/testing/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/server.js';
import { runCli, runMain, writeConfig } from './run.js';

const SECRET = 'whsec_before_migrate';
const MIGRATE_FIRST = 'run `koa-payments migrate` first';

/**
 * A config module that reads the Stripe secret from the environment, as a real one does. This
 * process (where runMain runs) never has the variable: a machine without the secrets.
 */
function config(database?: unknown): string {
  return `export default {
  database: ${database === undefined ? 'undefined' : JSON.stringify(database)},
  variants: { stripe: { provider: 'stripe', endpointSecret: process.env.STRIPE_WEBHOOK_SECRET } },
};
`;
}

/** The same config with the secret written in, for runs in this process that have it. */
function configWithSecret(database: unknown): string {
  return config(database).replace('process.env.STRIPE_WEBHOOK_SECRET', JSON.stringify(SECRET));
}

/** The commands that read or run what is stored. */
const STORE_COMMANDS = [
  ['events', 'list'],
  ['events', 'show', 'evt_1'],
  ['prune'],
  ['replay', 'evt_1'],
  ['retry', '--failed'],
  ['worker', '--once'],
];

describe('koa-payments CLI before migrate', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    expect(process.env.STRIPE_WEBHOOK_SECRET).to.equal(undefined);
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  /** A fresh app directory with a payments.config.mjs and no database. */
  function app(name: string): string {
    const dir = join(tmp.dir, name);
    mkdirSync(dir);
    writeConfig(dir, 'payments.config.mjs', config());
    return dir;
  }

  it('says to run koa-payments migrate, exits 1 and creates no database file', async () => {
    const dir = app('fresh');
    for (const args of STORE_COMMANDS) {
      const { code, stdout, stderr } = await runCli(args, {
        cwd: dir,
        env: { STRIPE_WEBHOOK_SECRET: SECRET },
      });
      expect(code, args.join(' ')).to.equal(1);
      expect(stderr, args.join(' ')).to.equal(
        `koa-payments: no payments database at ${join(dir, 'payments.sqlite3')}: ${MIGRATE_FIRST}\n`,
      );
      expect(stdout).to.equal('');
      expect(readdirSync(dir), args.join(' ')).to.deep.equal(['payments.config.mjs']);
    }
  });

  it('lists every migration as pending with migrate --status, creating nothing', async () => {
    const dir = app('status');
    const { code, stdout } = await runCli(['migrate', '--status'], { cwd: dir });
    expect(code).to.equal(0);
    const shipped = (await migrationSource().getMigrations([])).length;
    expect(stdout).to.include(`${shipped} pending: run \`koa-payments migrate\` to apply them.`);
    expect(readdirSync(dir)).to.deep.equal(['payments.config.mjs']);
  });

  it('says so when the SQLite file exists without the tables, or with some missing', async () => {
    const file = tmp.file('partial.sqlite3');
    const partial = writeConfig(tmp.dir, 'partial.mjs', configWithSecret(file));
    writeFileSync(file, ''); // an empty file is an empty SQLite database
    const empty = await runMain(['events', 'list', '--config', partial]);
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.equal(
      `koa-payments: the payments tables are not in ${file}: ${MIGRATE_FIRST}\n`,
    );

    // Only the first migration applied: a database of an older version.
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
    });
    try {
      await knex.migrate.up({
        migrationSource: migrationSource('payments_'),
        tableName: 'payments_knex_migrations',
      });
    } finally {
      await knex.destroy();
    }
    const behind = await runMain(['prune', '--config', partial]);
    expect(behind.code).to.equal(1);
    const pending = (await migrationSource().getMigrations([])).length - 1;
    expect(behind.stderr).to.equal(
      `koa-payments: ${pending} migrations of the payments tables are pending in ${file}: ${MIGRATE_FIRST}\n`,
    );

    expect((await runMain(['migrate', '--config', partial])).code).to.equal(0);
    const after = await runMain(['events', 'list', '--config', partial]);
    expect(after).to.deep.include({ code: 0, stdout: 'No events.\n' });
  });

  describe('on Postgres', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase('postgres');
    });
    afterEach(() => db.cleanup());

    it('says to run koa-payments migrate, without a stack trace or the connection', async () => {
      const pg = writeConfig(tmp.dir, 'pg.mjs', configWithSecret(db.setting));
      for (const args of STORE_COMMANDS) {
        const { code, stderr } = await runMain([...args, '--config', pg]);
        expect(code, args.join(' ')).to.equal(1);
        expect(stderr, args.join(' ')).to.equal(
          `koa-payments: the payments tables are not in the configured database: ${MIGRATE_FIRST}\n`,
        );
      }
    });
  });

  it('migrates, lists, shows and prunes without the provider secrets in the environment', async () => {
    const file = tmp.file('no-secrets.sqlite3');
    const bare = writeConfig(tmp.dir, 'no-secrets.mjs', config(file));

    const migrated = await runMain(['migrate', '--config', bare]);
    expect(migrated.stderr).to.equal('');
    expect(migrated.code).to.equal(0);

    // The app, which has the secret, stores an event.
    const settings = { provider: 'stripe', endpointSecret: SECRET } as const;
    const pay = payments({ database: file, worker: false, variants: { stripe: settings } });
    try {
      const sent = await sendWebhook(pay, 'stripe', 'customer.created', { settings });
      expect(sent.status).to.equal(200);
    } finally {
      await pay.close();
    }

    const list = await runMain(['events', 'list', '--json', '--config', bare]);
    expect(list.stderr).to.equal('');
    expect(list.code).to.equal(0);
    const [event] = JSON.parse(list.stdout) as { eventId: string; variant: string }[];
    expect(event?.variant).to.equal('stripe');

    const show = await runMain(['events', 'show', String(event?.eventId), '--config', bare]);
    expect(show.code).to.equal(0);
    expect(show.stdout).to.include('stripe (stripe)');

    const prune = await runMain(['prune', '--json', '--config', bare]);
    expect(prune.code).to.equal(0);
    expect(JSON.parse(prune.stdout).requests.deleted).to.equal(0);
  });

  it('still needs the secrets to run receivers: replay, retry and worker', async () => {
    const file = tmp.file('run.sqlite3');
    const bare = writeConfig(tmp.dir, 'run.mjs', config(file));
    expect((await runMain(['migrate', '--config', bare])).code).to.equal(0);
    for (const args of [
      ['replay', 'evt_1'],
      ['retry', '--failed'],
      ['worker', '--once'],
    ]) {
      const { code, stderr } = await runMain([...args, '--config', bare]);
      expect(code, args.join(' ')).to.equal(1);
      expect(stderr, args.join(' ')).to.match(/variants\.stripe\.endpointSecret: is required/);
    }
    expect(existsSync(file)).to.equal(true);
  });
});
