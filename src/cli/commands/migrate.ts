/** `koa-payments migrate [--status] [--json]`: runs, or lists, the shipped migrations. */
import { resolveSettings } from '../../settings.js';
import { type MigrationState, migrationStates } from '../../store/migrate.js';
import type { Command } from '../command.js';
import type { Output } from '../output.js';
import { storeMissing } from '../store.js';

/** Prints the migrations and whether each is applied (`--status`). */
function printStatus(out: Output, states: MigrationState[], json: boolean): void {
  const pending = states.filter((m) => !m.applied).length;
  if (json) {
    out.json({ migrations: states, pending });
    return;
  }
  out.table(
    [
      { header: 'MIGRATION', value: (m: MigrationState) => m.name },
      { header: 'STATUS', value: (m: MigrationState) => (m.applied ? 'applied' : 'pending') },
    ],
    states,
  );
  out.line();
  out.line(
    pending === 0
      ? 'Up to date.'
      : `${pending} pending: run \`koa-payments migrate\` to apply ${pending === 1 ? 'it' : 'them'}.`,
  );
}

export const migrate: Command = {
  name: 'migrate',
  summary: 'create or update the payments tables',
  args: '',
  description:
    "Runs the shipped Knex migrations, recorded in the library's own migrations table " +
    '(<tablePrefix>knex_migrations). Idempotent. With --status, lists them without changing ' +
    "anything. Needs the database, not the providers' secrets.",
  options: {
    status: { type: 'boolean', description: 'list the migrations and whether each is applied' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, config, withPayments }) {
    const json = values.json === true;
    if (values.status === true) {
      const { settings } = await config();
      // No SQLite file yet: everything is pending, and opening it would create it.
      if (storeMissing(settings.database)) {
        const prefix = resolveSettings(settings).tablePrefix;
        printStatus(out, await migrationStates(undefined, prefix), json);
        return 0;
      }
    }
    return withPayments(
      async (pay, { settings }) => {
        const prefix = resolveSettings(settings).tablePrefix;
        const before = await migrationStates(pay.knex, prefix);
        if (values.status === true) {
          printStatus(out, before, json);
          return 0;
        }
        await pay.migrate();
        const after = await migrationStates(pay.knex, prefix);
        const applied = after
          .filter((m, i) => m.applied && before[i]?.applied !== true)
          .map((m) => m.name);
        if (json) {
          out.json({ applied, migrations: after });
        } else if (applied.length === 0) {
          out.line(`Already up to date (${after.length} migrations applied).`);
        } else {
          for (const name of applied) out.line(`applied  ${name}`);
          out.line(`${applied.length} migration${applied.length === 1 ? '' : 's'} applied.`);
        }
        return 0;
      },
      { store: 'migrate' },
    );
  },
};
