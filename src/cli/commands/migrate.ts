/** `koa-payments migrate [--status] [--json]`: runs, or lists, the shipped migrations. */
import type { Knex } from 'knex';
import { resolveSettings } from '../../settings.js';
import { migrationSource, tableNames } from '../../store/migrations.js';
import type { Command } from '../command.js';

interface MigrationState {
  name: string;
  applied: boolean;
}

/** Every shipped migration and whether this database has it. Reads only: creates no table. */
async function states(knex: Knex, tablePrefix: string): Promise<MigrationState[]> {
  const source = migrationSource(tablePrefix);
  const names = (await source.getMigrations([])).map((m) => source.getMigrationName(m));
  const table = tableNames(tablePrefix).migrations;
  const applied = new Set<string>();
  if (await knex.schema.hasTable(table)) {
    for (const row of (await knex(table).select('name')) as { name: string }[])
      applied.add(row.name);
  }
  return names.map((name) => ({ name, applied: applied.has(name) }));
}

export const migrate: Command = {
  name: 'migrate',
  summary: 'create or update the payments tables',
  args: '',
  description:
    "Runs the shipped Knex migrations, recorded in the library's own migrations table " +
    '(<tablePrefix>knex_migrations). Idempotent. With --status, lists them without changing anything.',
  options: {
    status: { type: 'boolean', description: 'list the migrations and whether each is applied' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    return withPayments(async (pay, { settings }) => {
      const prefix = resolveSettings(settings).tablePrefix;
      const before = await states(pay.knex, prefix);
      if (values.status === true) {
        const pending = before.filter((m) => !m.applied).length;
        if (values.json === true) {
          out.json({ migrations: before, pending });
          return 0;
        }
        out.table(
          [
            { header: 'MIGRATION', value: (m: MigrationState) => m.name },
            { header: 'STATUS', value: (m: MigrationState) => (m.applied ? 'applied' : 'pending') },
          ],
          before,
        );
        out.line();
        out.line(
          pending === 0
            ? 'Up to date.'
            : `${pending} pending: run \`koa-payments migrate\` to apply ${pending === 1 ? 'it' : 'them'}.`,
        );
        return 0;
      }
      await pay.migrate();
      const after = await states(pay.knex, prefix);
      const applied = after
        .filter((m, i) => m.applied && before[i]?.applied !== true)
        .map((m) => m.name);
      if (values.json === true) {
        out.json({ applied, migrations: after });
      } else if (applied.length === 0) {
        out.line(`Already up to date (${after.length} migrations applied).`);
      } else {
        for (const name of applied) out.line(`applied  ${name}`);
        out.line(`${applied.length} migration${applied.length === 1 ? '' : 's'} applied.`);
      }
      return 0;
    });
  },
};
