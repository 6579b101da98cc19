/**
 * The shipped schema, as a Knex `migrationSource` (never a `directory`: Knex would silently drop
 * the source). Migrations are recorded in the library's own table `<tablePrefix>knex_migrations`.
 */
import type { Knex } from 'knex';
import { materialiseEntries } from '../objects/mirror.js';
import { dialectOfKnex } from './database.js';
import { ROW_SLACK_COLUMN } from './row-slack.js';
import { tableNames } from './table-names.js';

/** One migration: a timestamped name, `up` and `down`. */
interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Whether a Knex instance talks to SQLite (any driver), as the store decides it. */
function isSqlite(knex: Knex): boolean {
  return dialectOfKnex(knex) === 'sqlite';
}

function migrations(tablePrefix: string): Migration[] {
  const t = tableNames(tablePrefix);
  /** An `event` column that outlives the event (SET NULL), indexed for the event's deletion. */
  const eventThatOutlives = (table: Knex.CreateTableBuilder, name: string): void => {
    table
      .integer('event')
      .unsigned()
      .nullable()
      .references('id')
      .inTable(t.events)
      .onDelete('SET NULL')
      .withKeyName(`${name}_event_foreign`);
    table.index(['event'], `${name}_event_index`);
  };
  return [
    {
      name: '20261122000000_events_and_deliveries',
      async up(knex) {
        await knex.schema.createTable(t.events, (table) => {
          table.increments('id');
          table.string('variant', 64).notNullable();
          table.string('provider', 64).notNullable();
          table.string('event_id', 255).notNullable();
          table.string('type', 255).notNullable();
          table.boolean('livemode').nullable();
          table.string('status', 16).notNullable().defaultTo('pending');
          table.timestamp('received_at', { useTz: true }).notNullable();
          table.timestamp('created_at', { useTz: true }).nullable();
          table.timestamp('processed_at', { useTz: true }).nullable();
          // SQLite: the row keeps one size whatever its status (see row-slack.ts), and the
          // payload comes last, so that a status change rewrites the row's first page alone.
          if (isSqlite(knex)) table.binary(ROW_SLACK_COLUMN).nullable();
          table.text('payload').notNullable();
          table.unique(['variant', 'event_id'], {
            indexName: `${t.events}_variant_event_id_unique`,
          });
          table.index(['status', 'received_at'], `${t.events}_status_received_at_index`);
          table.index(['type'], `${t.events}_type_index`);
        });
        await knex.schema.createTable(t.deliveries, (table) => {
          table.increments('id');
          table
            .integer('event')
            .unsigned()
            .notNullable()
            .references('id')
            .inTable(t.events)
            .onDelete('CASCADE')
            .withKeyName(`${t.deliveries}_event_foreign`);
          table.string('receiver', 255).notNullable();
          table.string('status', 16).notNullable().defaultTo('pending');
          table.integer('attempts').notNullable().defaultTo(0);
          table.text('last_error').nullable();
          table.timestamp('next_attempt_at', { useTz: true }).nullable();
          table.timestamp('locked_until', { useTz: true }).nullable();
          table.timestamp('completed_at', { useTz: true }).nullable();
          table.timestamp('created_at', { useTz: true }).notNullable();
          table.unique(['event', 'receiver'], {
            indexName: `${t.deliveries}_event_receiver_unique`,
          });
          table.index(
            ['status', 'next_attempt_at'],
            `${t.deliveries}_status_next_attempt_at_index`,
          );
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.deliveries);
        await knex.schema.dropTableIfExists(t.events);
      },
    },
    {
      name: '20261122000100_requests',
      async up(knex) {
        await knex.schema.createTable(t.requests, (table) => {
          table.increments('id');
          table.string('variant', 64).notNullable();
          table.timestamp('received_at', { useTz: true }).notNullable();
          table.string('remote_ip', 64).nullable();
          table.text('headers').notNullable();
          table.text('body').nullable();
          table.integer('body_size').nullable();
          table.boolean('valid').notNullable();
          table.integer('status_code').notNullable();
          table.string('error', 64).nullable();
          table
            .integer('event')
            .unsigned()
            .nullable()
            .references('id')
            .inTable(t.events)
            .onDelete('SET NULL')
            .withKeyName(`${t.requests}_event_foreign`);
          table.integer('duration_ms').notNullable();
          table.index(['received_at'], `${t.requests}_received_at_index`);
          table.index(['event'], `${t.requests}_event_index`);
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.requests);
      },
    },
    {
      // SQLite databases created by development builds before the events table had row_slack
      // (0.1.0 creates it with the table). There it comes after the payload: large payloads
      // are still not rewritten, but a status change also writes the payload's last page.
      name: '20261123000000_events_row_slack',
      async up(knex) {
        if (isSqlite(knex) && !(await knex.schema.hasColumn(t.events, ROW_SLACK_COLUMN))) {
          await knex.schema.alterTable(t.events, (table) => {
            table.binary(ROW_SLACK_COLUMN).nullable();
          });
        }
      },
      async down() {
        // The column belongs to the events table, which the first migration's down() drops.
      },
    },
    {
      // The token of the lease a runner holds a delivery under (deliveries.ts): a runner whose
      // lease another runner has taken over records nothing.
      name: '20261124120000_deliveries_lease_token',
      async up(knex) {
        await knex.schema.alterTable(t.deliveries, (table) => {
          table.string('lease_token', 36).nullable();
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.deliveries, (table) => {
          table.dropColumn('lease_token');
        });
      },
    },
    {
      // Why an event was stored without deliveries, when the library decided it (a variant's
      // `mode`). Set once, at insert: on SQLite it comes after the payload, and an in-place
      // update of the status does not touch it (row-slack.ts).
      name: '20261124120100_events_ignored_reason',
      async up(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.string('ignored_reason', 64).nullable();
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.dropColumn('ignored_reason');
        });
      },
    },
    {
      // The objects mirror, the emitted payment signals and each event's staleness
      // (docs/objects-and-payments.md), all written in the storing transaction. On SQLite
      // `stale` lands after the payload; it never changes once the storing transaction commits,
      // so a status change still rewrites no overflow page. The event columns of the new tables
      // outlive the event (SET NULL), indexed so that deleting an event scans neither table.
      name: '20261202000000_objects_and_payment_signals',
      async up(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.boolean('stale').notNullable().defaultTo(false);
        });
        await knex.schema.createTable(t.objects, (table) => {
          table.increments('id');
          table.string('variant', 64).notNullable();
          table.string('object_type', 255).notNullable();
          table.string('object_id', 255).notNullable();
          // Microseconds since the epoch (see ObjectRef.version); null when the provider gives none.
          table.bigInteger('version').nullable();
          table.text('data').notNullable();
          eventThatOutlives(table, t.objects);
          table.timestamp('updated_at', { useTz: true }).notNullable();
          table.timestamp('refresh_requested_at', { useTz: true }).nullable();
          table.unique(['variant', 'object_type', 'object_id'], {
            indexName: `${t.objects}_variant_object_type_object_id_unique`,
          });
        });
        await knex.schema.createTable(t.paymentSignals, (table) => {
          table.increments('id');
          table.string('variant', 64).notNullable();
          table.string('key', 255).notNullable();
          table.string('signal', 32).notNullable();
          eventThatOutlives(table, t.paymentSignals);
          table.timestamp('created_at', { useTz: true }).notNullable();
          table.unique(['variant', 'key'], {
            indexName: `${t.paymentSignals}_variant_key_unique`,
          });
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.paymentSignals);
        await knex.schema.dropTableIfExists(t.objects);
        await knex.schema.alterTable(t.events, (table) => {
          table.dropColumn('stale');
        });
      },
    },
    {
      // A receiver that threw RetryLater: since when its delivery is deferred (the first
      // deferral; deferFor counts from it) and why. Both null once it succeeds or dies.
      name: '20261206000000_deliveries_deferred',
      async up(knex) {
        await knex.schema.alterTable(t.deliveries, (table) => {
          table.timestamp('deferred_since', { useTz: true }).nullable();
          table.text('deferred_reason').nullable();
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.deliveries, (table) => {
          table.dropColumn('deferred_reason');
          table.dropColumn('deferred_since');
        });
      },
    },
    {
      // pay.runOnce(): one row per key that ran or is running (run-once.ts).
      name: '20261206000100_once',
      async up(knex) {
        await knex.schema.createTable(t.once, (table) => {
          table.string('key', 255).notNullable().primary(`${t.once}_pkey`);
          table.string('status', 16).notNullable();
          table.string('token', 36).nullable();
          table.timestamp('locked_until', { useTz: true }).nullable();
          table.timestamp('created_at', { useTz: true }).notNullable();
          table.timestamp('completed_at', { useTz: true }).nullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.once);
      },
    },
    {
      // Variants in one dedupe group share event identity: UNIQUE(dedupe_group, event_id)
      // replaces UNIQUE(variant, event_id). Existing rows get their variant as their group,
      // which was their identity until now. On SQLite the column comes after the payload,
      // written once at insert (row-slack.ts).
      name: '20261206000200_events_dedupe_group',
      async up(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.string('dedupe_group', 64).nullable();
        });
        await knex(t.events).update({ dedupe_group: knex.ref('variant') });
        await knex.schema.alterTable(t.events, (table) => {
          table.dropUnique(['variant', 'event_id'], `${t.events}_variant_event_id_unique`);
          table.unique(['dedupe_group', 'event_id'], {
            indexName: `${t.events}_dedupe_group_event_id_unique`,
          });
          // Lookups by a variant's own event id (pay.events.get(id, variant)) keep an index.
          table.index(['variant', 'event_id'], `${t.events}_variant_event_id_index`);
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.dropIndex(['variant', 'event_id'], `${t.events}_variant_event_id_index`);
          table.dropUnique(
            ['dedupe_group', 'event_id'],
            `${t.events}_dedupe_group_event_id_unique`,
          );
          table.unique(['variant', 'event_id'], {
            indexName: `${t.events}_variant_event_id_unique`,
          });
          table.dropColumn('dedupe_group');
        });
      },
    },
    {
      // Receivers paused by pay.pause() (src/store/paused-receivers.ts): every instance and
      // worker reads it, so that a pause holds across them all.
      name: '20261206000300_paused_receivers',
      async up(knex) {
        await knex.schema.createTable(t.pausedReceivers, (table) => {
          table.string('receiver', 255).primary(`${t.pausedReceivers}_pkey`);
          table.timestamp('paused_at', { useTz: true }).notNullable();
          table.string('reason', 255).nullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.pausedReceivers);
      },
    },
    {
      // The silence alarm of variants with `expectEvery` (src/alerts/silence.ts): since when
      // each is watched, when it last received a valid webhook, since when it is silent.
      name: '20261206000400_variant_activity',
      async up(knex) {
        await knex.schema.createTable(t.variantActivity, (table) => {
          table.string('variant', 64).primary(`${t.variantActivity}_pkey`);
          table.timestamp('watched_since', { useTz: true }).notNullable();
          table.timestamp('last_webhook_at', { useTz: true }).nullable();
          table.timestamp('silent_since', { useTz: true }).nullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.variantActivity);
      },
    },
    {
      // Where an event came from: a webhook, or the provider's API (sync, reconcile). Rows from
      // before it came from webhooks. On SQLite the column lands after the payload; it never
      // changes after the INSERT, so a status change still rewrites no overflow page.
      name: '20261206000500_events_source',
      async up(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.string('source', 16).notNullable().defaultTo('webhook');
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.dropColumn('source');
        });
      },
    },
    {
      // The periodic catch-up (src/sync/periodic.ts): one row per variant, leased by the
      // process running its sync, with what the last run found.
      name: '20261206000600_sync_state',
      async up(knex) {
        await knex.schema.createTable(t.syncState, (table) => {
          table.string('variant', 64).primary(`${t.syncState}_pkey`);
          table.string('lease_token', 64).nullable();
          table.string('lease_holder', 255).nullable();
          table.timestamp('lease_until', { useTz: true }).nullable();
          table.timestamp('last_run_at', { useTz: true }).nullable();
          table.timestamp('last_finished_at', { useTz: true }).nullable();
          table.string('last_status', 16).nullable();
          table.text('last_result').nullable();
          table.timestamp('covered_until', { useTz: true }).nullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(t.syncState);
      },
    },
    {
      // One index on the provider's event id instead of two: UNIQUE(event_id, dedupe_group)
      // keeps an event once per dedupe group, as UNIQUE(dedupe_group, event_id) did (ON CONFLICT
      // names the columns in any order), and with the event id first it also serves lookups by
      // event id alone or with a variant, for which (variant, event_id) was kept. Every new event
      // wrote an entry at a random place in each: with a million events stored, one random
      // index page fewer to read and write per event.
      name: '20261206000700_events_event_id_unique',
      async up(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.unique(['event_id', 'dedupe_group'], {
            indexName: `${t.events}_event_id_dedupe_group_unique`,
          });
        });
        await knex.schema.alterTable(t.events, (table) => {
          table.dropIndex(['variant', 'event_id'], `${t.events}_variant_event_id_index`);
          table.dropUnique(
            ['dedupe_group', 'event_id'],
            `${t.events}_dedupe_group_event_id_unique`,
          );
        });
      },
      async down(knex) {
        await knex.schema.alterTable(t.events, (table) => {
          table.unique(['dedupe_group', 'event_id'], {
            indexName: `${t.events}_dedupe_group_event_id_unique`,
          });
          table.index(['variant', 'event_id'], `${t.events}_variant_event_id_index`);
        });
        await knex.schema.alterTable(t.events, (table) => {
          table.dropUnique(
            ['event_id', 'dedupe_group'],
            `${t.events}_event_id_dedupe_group_unique`,
          );
        });
      },
    },
    {
      // An objects entry whose state is a plain subtree of its event's payload (Stripe's
      // `data.object`) holds its path there instead of a second copy (src/objects/mirror.ts):
      // `data` becomes nullable, `data_path` is the path as a JSON array. Existing entries keep
      // their copy. Postgres drops NOT NULL in place; on SQLite Knex rebuilds the table, keeping
      // its indexes and foreign key. down() writes every pointed-at state back into `data` first.
      name: '20261208000000_objects_data_path',
      async up(knex) {
        await knex.schema.alterTable(t.objects, (table) => {
          table.setNullable('data');
          table.text('data_path').nullable();
        });
      },
      async down(knex) {
        await knex.transaction(async (trx) => {
          await materialiseEntries(trx, t, trx(t.objects).select('event'));
          // An entry whose event was deleted outside the library has lost its state.
          await trx(t.objects).whereNull('data').update({ data: 'null' });
        });
        await knex.schema.alterTable(t.objects, (table) => {
          table.dropColumn('data_path');
        });
        await knex.schema.alterTable(t.objects, (table) => {
          table.dropNullable('data');
        });
      },
    },
  ];
}

/**
 * The library's migrations as a Knex migration source, for hosts that run migrations themselves.
 * Use it with the library's own migrations table so its history never mixes with yours.
 *
 * @example
 * await knex.migrate.latest({
 *   migrationSource: migrationSource('payments_'),
 *   tableName: 'payments_knex_migrations',
 * });
 */
export function migrationSource(tablePrefix = 'payments_'): Knex.MigrationSource<Migration> {
  const list = migrations(tablePrefix);
  return {
    getMigrations: async () => list,
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => migration,
  };
}
