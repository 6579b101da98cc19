import { expect } from 'chai';
import knexFactory from 'knex';
import { createRegistry, migrationSource, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS } from '../helpers/databases.js';
import { webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';

const variants = { stripe: { provider: 'stripe', endpointSecret: 'whsec_migrations' } } as const;

async function tables(knex: ReturnType<typeof knexFactory>): Promise<string[]> {
  if (knex.client.config.client === 'pg') {
    const result = (await knex.raw(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    )) as { rows: { name: string }[] };
    return result.rows.map((r) => r.name);
  }
  const rows = (await knex.raw(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  )) as { name: string }[];
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  for (const dialect of DIALECTS)
    it(`creates the tables behind tablePrefix, recorded in its own migrations table, idempotently, on ${dialect}`, async () => {
      const db = await createTestDatabase(dialect);
      const pay = payments({ database: db.setting, tablePrefix: 'shop_pay_', variants });
      try {
        await pay.migrate();
        await pay.migrate();
        expect(await tables(pay.knex)).to.deep.equal([
          'shop_pay_deliveries',
          'shop_pay_events',
          'shop_pay_knex_migrations',
          'shop_pay_knex_migrations_lock',
          'shop_pay_objects',
          'shop_pay_once',
          'shop_pay_paused_receivers',
          'shop_pay_payment_signals',
          'shop_pay_requests',
          'shop_pay_sync_state',
          'shop_pay_variant_activity',
        ]);
        const done = await pay.knex('shop_pay_knex_migrations').orderBy('id').select('name');
        expect(done).to.deep.equal([
          { name: '20261122000000_events_and_deliveries' },
          { name: '20261122000100_requests' },
          { name: '20261123000000_events_row_slack' },
          { name: '20261124120000_deliveries_lease_token' },
          { name: '20261124120100_events_ignored_reason' },
          { name: '20261202000000_objects_and_payment_signals' },
          { name: '20261206000000_deliveries_deferred' },
          { name: '20261206000100_once' },
          { name: '20261206000200_events_dedupe_group' },
          { name: '20261206000300_paused_receivers' },
          { name: '20261206000400_variant_activity' },
          { name: '20261206000500_events_source' },
          { name: '20261206000600_sync_state' },
          { name: '20261206000700_events_event_id_unique' },
          { name: '20261208000000_objects_data_path' },
        ]);
        // row_slack keeps SQLite rows one size (src/store/row-slack.ts); Postgres has no use
        // for it. The payload comes after every column a status change rewrites: only columns
        // written once, at insert, and added by later migrations, follow it.
        const columns = Object.keys(await pay.knex('shop_pay_events').columnInfo());
        expect(columns.includes('row_slack')).to.equal(dialect === 'sqlite');
        // (Knex lists Postgres columns in no set order.)
        if (dialect === 'sqlite') {
          expect(columns.slice(columns.indexOf('payload'))).to.deep.equal([
            'payload',
            'ignored_reason',
            'stale',
            'dedupe_group',
            'source',
          ]);
        }
        // down() of every migration leaves nothing behind.
        await pay.knex.migrate.rollback(
          { migrationSource: migrationSource('shop_pay_'), tableName: 'shop_pay_knex_migrations' },
          true,
        );
        expect(await tables(pay.knex)).to.deep.equal([
          'shop_pay_knex_migrations',
          'shop_pay_knex_migrations_lock',
        ]);
      } finally {
        await pay.close();
        await db.cleanup();
      }
    });

  it('runs the SQLite connection in WAL mode with synchronous=FULL, a busy timeout, foreign keys, sparser checkpoints, a WAL size limit and in-memory journals', async () => {
    const pay = payments({ database: tmp.file(), variants });
    await pay.migrate();
    const pragma = async (name: string) => {
      const rows = (await pay.knex.raw(`PRAGMA ${name}`)) as Record<string, unknown>[];
      return Object.values(rows[0]!)[0];
    };
    expect(await pragma('journal_mode')).to.equal('wal');
    expect(await pragma('synchronous')).to.equal(2); // FULL
    expect(await pragma('busy_timeout')).to.equal(5000);
    expect(await pragma('foreign_keys')).to.equal(1);
    expect(await pragma('wal_autocheckpoint')).to.equal(4000);
    expect(await pragma('journal_size_limit')).to.equal(256 * 1024 * 1024);
    expect(await pragma('temp_store')).to.equal(2); // MEMORY
    await pay.close();
  });

  it('lives beside a host app’s own migrations without mixing histories', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
    });
    try {
      await knex.schema.createTable('knex_migrations', (t) => {
        t.increments('id');
        t.string('name');
      });
      await knex('knex_migrations').insert({ name: 'host_001_orders' });
      const pay = payments({ database: knex, variants });
      await pay.migrate();
      await pay.close();
      expect(await knex('knex_migrations').select('name')).to.deep.equal([
        { name: 'host_001_orders' },
      ]);
      const shipped = (await migrationSource().getMigrations([])).length;
      expect(await knex('payments_knex_migrations').count({ n: '*' })).to.deep.equal([
        { n: shipped },
      ]);
    } finally {
      await knex.destroy();
    }
  });

  it('adds row_slack to an events table created before it had one, and stores events there', async () => {
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function noop() {});
    const pay = payments({ database: tmp.file(), registry, worker: false, variants });
    try {
      await pay.migrate();
      // An events table without row_slack, as development builds before 0.1.0 made it (they
      // also had the payload before status, which changes only what an update writes).
      await pay.knex.raw('ALTER TABLE payments_events DROP COLUMN row_slack');
      await pay
        .knex('payments_knex_migrations')
        .where({ name: '20261123000000_events_row_slack' })
        .del();
      expect(await pay.knex.schema.hasColumn('payments_events', 'row_slack')).to.equal(false);
      await pay.migrate();
      expect(await pay.knex.schema.hasColumn('payments_events', 'row_slack')).to.equal(true);
      const signed = signWebhook('stripe', {
        secret: variants.stripe.endpointSecret,
        payload: { id: 'evt_old_db', type: 'charge.succeeded', data: { object: {} } },
      });
      const received = await pay.receive('stripe', webhookRequest(signed.body, signed.headers));
      await received.dispatched;
      const rows = await pay.knex.raw(
        'SELECT status, length(row_slack) AS slack FROM payments_events',
      );
      expect(rows).to.deep.equal([{ status: 'processed', slack: 0 }]);
    } finally {
      await pay.close();
    }
  });

  for (const dialect of DIALECTS)
    it(`gives the events stored before the source column the source 'webhook', on ${dialect}`, async () => {
      const db = await createTestDatabase(dialect);
      const pay = payments({ database: db.setting, worker: false, variants });
      const options = {
        migrationSource: migrationSource('payments_'),
        tableName: 'payments_knex_migrations',
      };
      try {
        await pay.migrate();
        // Back to the schema before the column, with an event stored then.
        await pay.knex.migrate.down({ ...options, name: '20261206000700_events_event_id_unique' });
        await pay.knex.migrate.down({ ...options, name: '20261206000600_sync_state' });
        await pay.knex.migrate.down({ ...options, name: '20261206000500_events_source' });
        expect(await pay.knex.schema.hasColumn('payments_events', 'source')).to.equal(false);
        await pay.knex('payments_events').insert({
          variant: 'stripe',
          provider: 'stripe',
          event_id: 'evt_before_source',
          dedupe_group: 'stripe',
          type: 'charge.succeeded',
          status: 'processed',
          received_at: new Date(),
          payload: '{}',
        });
        await pay.migrate();
        const event = await pay.events.get('evt_before_source');
        expect(event?.source).to.equal('webhook');
      } finally {
        await pay.close();
        await db.cleanup();
      }
    });

  for (const dialect of DIALECTS)
    it(`keeps one index on the event id, first in the unique key, and the events stored before it, on ${dialect}`, async () => {
      const db = await createTestDatabase(dialect);
      const pay = payments({ database: db.setting, worker: false, variants });
      const options = {
        migrationSource: migrationSource('payments_'),
        tableName: 'payments_knex_migrations',
      };
      const row = (dedupeGroup: string) => ({
        variant: 'stripe',
        provider: 'stripe',
        event_id: 'evt_before_index',
        dedupe_group: dedupeGroup,
        type: 'charge.succeeded',
        status: 'processed',
        received_at: new Date(),
        payload: '{}',
      });
      try {
        await pay.migrate();
        await pay.knex.migrate.down({ ...options, name: '20261206000700_events_event_id_unique' });
        await pay.knex('payments_events').insert([row('stripe'), row('stripe-eu')]);
        await pay.migrate();
        const kept = await pay.knex('payments_events').where({ event_id: 'evt_before_index' });
        expect(kept.map((e: { dedupe_group: string }) => e.dedupe_group).sort()).to.deep.equal([
          'stripe',
          'stripe-eu',
        ]);
        // Still one event per dedupe group.
        let refused: unknown;
        try {
          await pay.knex('payments_events').insert(row('stripe'));
        } catch (err) {
          refused = err;
        }
        expect(String(refused)).to.match(/unique/i);
        if (dialect === 'postgres') {
          const { rows } = (await pay.knex.raw(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'payments_events' AND indexdef LIKE '%event_id%'",
          )) as { rows: { indexname: string }[] };
          expect(rows.map((r) => r.indexname)).to.deep.equal([
            'payments_events_event_id_dedupe_group_unique',
          ]);
        }
        if (dialect === 'sqlite') {
          const indexes = (await pay.knex.raw("PRAGMA index_list('payments_events')")) as {
            name: string;
          }[];
          const names = indexes.map((i) => i.name).filter((n) => n.includes('event_id'));
          expect(names).to.deep.equal(['payments_events_event_id_dedupe_group_unique']);
          const plan = (await pay.knex.raw(
            "EXPLAIN QUERY PLAN SELECT * FROM payments_events WHERE event_id = 'evt_x' AND variant = 'stripe'",
          )) as { detail: string }[];
          expect(plan.map((p) => p.detail).join(' ')).to.include(
            'payments_events_event_id_dedupe_group_unique',
          );
        }
      } finally {
        await pay.close();
        await db.cleanup();
      }
    });

  for (const dialect of DIALECTS)
    it(`lets an objects entry point into its event's payload, keeping older entries' copies, and writes the states back on down(), on ${dialect}`, async () => {
      const db = await createTestDatabase(dialect);
      const pay = payments({ database: db.setting, worker: false, variants });
      const options = {
        migrationSource: migrationSource('payments_'),
        tableName: 'payments_knex_migrations',
      };
      const send = async (id: string, object: Record<string, unknown>) => {
        const { body, headers } = signWebhook('stripe', {
          secret: variants.stripe.endpointSecret,
          payload: { id, type: 'customer.updated', created: 1_700_000_000, data: { object } },
        });
        await (await pay.receive('stripe', webhookRequest(body, headers))).dispatched;
      };
      const entry = (id: string) =>
        pay.knex('payments_objects').where({ object_id: id }).first('data', 'data_path');
      try {
        await pay.migrate();
        await pay.knex.migrate.down({ ...options, name: '20261208000000_objects_data_path' });
        expect(await pay.knex.schema.hasColumn('payments_objects', 'data_path')).to.equal(false);
        // Stored before the migration: a copy.
        const before = { id: 'cus_before', object: 'customer', name: 'Ada' };
        await pay.knex('payments_objects').insert({
          variant: 'stripe',
          object_type: 'customer',
          object_id: 'cus_before',
          version: 1_700_000_000_000_000,
          data: JSON.stringify(before),
          updated_at: new Date(),
        });
        await pay.migrate();
        expect(await entry('cus_before')).to.deep.equal({
          data: JSON.stringify(before),
          data_path: null,
        });
        const after = { id: 'cus_after', object: 'customer', name: 'Grace' };
        await send('evt_after', after);
        expect(await entry('cus_after')).to.deep.equal({
          data: null,
          data_path: '["data","object"]',
        });
        expect((await pay.objects.get('stripe', 'customer', 'cus_before'))?.data).to.deep.equal(
          before,
        );
        expect((await pay.objects.get('stripe', 'customer', 'cus_after'))?.data).to.deep.equal(
          after,
        );
        if (dialect === 'sqlite') {
          // Knex rebuilt the table to drop NOT NULL: its indexes and foreign key are still there.
          const indexes = (await pay.knex.raw("PRAGMA index_list('payments_objects')")) as {
            name: string;
          }[];
          expect(indexes.map((i) => i.name).sort()).to.include.members([
            'payments_objects_event_index',
            'payments_objects_variant_object_type_object_id_unique',
          ]);
          const keys = (await pay.knex.raw("PRAGMA foreign_key_list('payments_objects')")) as {
            table: string;
            on_delete: string;
          }[];
          expect(keys.map((k) => [k.table, k.on_delete])).to.deep.equal([
            ['payments_events', 'SET NULL'],
          ]);
        }

        await pay.knex.migrate.down({ ...options, name: '20261208000000_objects_data_path' });
        expect(await pay.knex.schema.hasColumn('payments_objects', 'data_path')).to.equal(false);
        const data = await pay.knex('payments_objects').orderBy('id').pluck('data');
        expect(data.map((d: string) => JSON.parse(d))).to.deep.equal([before, after]);
      } finally {
        await pay.close();
        await db.cleanup();
      }
    });

  it('exports a migrationSource whose down() removes the tables', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
    });
    try {
      const options = { migrationSource: migrationSource('x_'), tableName: 'x_knex_migrations' };
      await knex.migrate.latest(options);
      expect(await tables(knex)).to.include.members(['x_events', 'x_deliveries', 'x_requests']);
      await knex.migrate.rollback(options, true);
      expect(await tables(knex)).not.to.include.members(['x_events']);
      expect(await tables(knex)).not.to.include('x_deliveries');
      expect(await tables(knex)).not.to.include('x_requests');
      expect(await tables(knex)).not.to.include('x_sync_state');
    } finally {
      await knex.destroy();
    }
  });
});

for (const dialect of DIALECTS)
  describe(`concurrent migrate() on a fresh ${dialect} database`, () => {
    it('lets several instances migrate at once, leaving one history and one lock row', async () => {
      const db = await createTestDatabase(dialect);
      const instances = Array.from({ length: 4 }, () =>
        payments({ database: db.config(), worker: false, variants }),
      );
      try {
        await Promise.all(instances.map((pay) => pay.migrate()));
        const knex = instances[0]!.knex;
        const history = await knex('payments_knex_migrations').orderBy('id').select('name');
        expect(history.map((r: { name: string }) => r.name)).to.deep.equal([
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
        ]);
        expect(await knex('payments_knex_migrations_lock').select('is_locked')).to.deep.equal([
          { is_locked: 0 },
        ]);
        await instances[1]!.migrate(); // and still works afterwards
      } finally {
        await Promise.all(instances.map((pay) => pay.close()));
        await db.cleanup();
      }
    });
  });
