import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { count, createTestDatabase, postgresConnection } from '../helpers/databases.js';
import { tempDir } from '../helpers/server.js';
import { runCli, runMain, writeConfig } from './run.js';

const MIGRATIONS = [
  '20261122000000_events_and_deliveries',
  '20261122000100_requests',
  '20261123000000_events_row_slack',
  '20261124120000_deliveries_lease_token',
  '20261124120100_events_ignored_reason',
  '20261202000000_objects_and_payment_signals',
  '20261206000000_deliveries_deferred',
  '20261206000100_once',
  '20261206000200_events_dedupe_group',
  '20261206000300_paused_receivers',
  '20261206000400_variant_activity',
  '20261206000500_events_source',
  '20261206000600_sync_state',
  '20261206000700_events_event_id_unique',
  '20261208000000_objects_data_path',
];

/** The tables of a SQLite file. */
async function tablesOf(file: string): Promise<string[]> {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
  });
  try {
    const rows = (await knex('sqlite_master').where({ type: 'table' }).select('name')) as {
      name: string;
    }[];
    return rows.map((r) => r.name).filter((name) => !name.startsWith('sqlite_'));
  } finally {
    await knex.destroy();
  }
}

const settingsSource = (database: string) =>
  `{ database: ${JSON.stringify(database)}, variants: { d: { provider: 'dummy' } } }`;

describe('koa-payments CLI: migrate and the config', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.remove());

  it('lists pending migrations with --status without creating anything, then applies them', async () => {
    const db = tmp.file('migrate.sqlite3');
    const config = writeConfig(tmp.dir, 'migrate.mjs', `export default ${settingsSource(db)};\n`);

    const status = await runMain(['migrate', '--status', '--config', config]);
    expect(status.code).to.equal(0);
    expect(status.stdout).to.match(/MIGRATION\s+STATUS/);
    for (const name of MIGRATIONS) expect(status.stdout).to.match(new RegExp(`${name}\\s+pending`));
    expect(status.stdout).to.include(
      `${MIGRATIONS.length} pending: run \`koa-payments migrate\` to apply them.`,
    );
    expect(await tablesOf(db)).to.deep.equal([]);

    const applied = await runMain(['migrate', '--config', config]);
    expect(applied.code).to.equal(0);
    expect(applied.stdout).to.include(`applied  ${MIGRATIONS[0]}`);
    expect(applied.stdout).to.include(`${MIGRATIONS.length} migrations applied.`);
    expect(await tablesOf(db)).to.include.members([
      'payments_events',
      'payments_deliveries',
      'payments_requests',
      'payments_knex_migrations',
    ]);

    const again = await runMain(['migrate', '--config', config]);
    expect(again.stdout).to.equal(
      `Already up to date (${MIGRATIONS.length} migrations applied).\n`,
    );
    const json = await runMain(['migrate', '--status', '--json', '--config', config]);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      migrations: MIGRATIONS.map((name) => ({ name, applied: true })),
      pending: 0,
    });
  });

  it('finds payments.config.mjs in the working directory (through the bin)', async () => {
    const dir = join(tmp.dir, 'app');
    mkdirSync(dir);
    writeConfig(
      dir,
      'payments.config.mjs',
      `export default ${settingsSource(join(dir, 'app.sqlite3'))};\n`,
    );
    const { code, stdout } = await runCli(['migrate'], { cwd: dir });
    expect(code).to.equal(0);
    expect(stdout).to.include(`${MIGRATIONS.length} migrations applied.`);
    expect(await tablesOf(join(dir, 'app.sqlite3'))).to.include('payments_events');
  });

  it('loads a TypeScript config, and a default export that is a function', async () => {
    const dir = join(tmp.dir, 'ts-app');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const db = join(dir, 'ts.sqlite3');
    writeConfig(
      dir,
      'payments.config.ts',
      `const database: string = ${JSON.stringify(db)};\n` +
        `export default async () => ({ database, variants: { d: { provider: 'dummy' as const } } });\n`,
    );
    const { code, stdout, stderr } = await runMain(['migrate'], { cwd: dir });
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout).to.include(`${MIGRATIONS.length} migrations applied.`);
    expect(await tablesOf(db)).to.include('payments_events');
  });

  it('reads KOA_PAYMENTS_CONFIG and KOA_PAYMENTS_DATABASE', async () => {
    const config = writeConfig(
      tmp.dir,
      'env.mjs',
      `export default ${settingsSource(tmp.file('configured.sqlite3'))};\n`,
    );
    const other = tmp.file('from-env.sqlite3');
    const { code } = await runMain(['migrate'], {
      cwd: tmp.dir,
      env: { KOA_PAYMENTS_CONFIG: config, KOA_PAYMENTS_DATABASE: other },
    });
    expect(code).to.equal(0);
    expect(await tablesOf(other)).to.include('payments_events');
    expect(await tablesOf(tmp.file('configured.sqlite3'))).to.deep.equal([]);
  });

  it('reads a postgres:// URL in KOA_PAYMENTS_DATABASE as payments() does, for every command', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const { host, port, user, password } = postgresConnection();
      const { database } = db.config().connection as Knex.PgConnectionConfig;
      const url = `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
      const config = writeConfig(
        tmp.dir,
        'postgres-env.mjs',
        `export default ${settingsSource(tmp.file('unused.sqlite3'))};\n`,
      );
      const env = { KOA_PAYMENTS_CONFIG: config, KOA_PAYMENTS_DATABASE: url };
      for (const args of [['migrate'], ['migrate', '--status'], ['events', 'list']]) {
        const result = await runMain(args, { cwd: tmp.dir, env });
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(0);
        expect(result.stdout + result.stderr).not.to.contain(password);
      }
      expect(await count(db.reader, 'payments_events')).to.equal(0);
      expect(await tablesOf(tmp.file('unused.sqlite3'))).to.deep.equal([]);
    } finally {
      await db.cleanup();
    }
  });
});
