/**
 * An instance's lifecycle members: migrating the schema, starting and stopping the retry worker
 * with the periodic catch-up, running a worker batch now, and closing. `isClosing()` tells the
 * middleware to refuse new webhooks (503) once `close()` has been called.
 */
import type Emittery from 'emittery';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Worker } from '../dispatch/worker.js';
import type { Payments } from '../payments-types.js';
import type { Database } from '../store/database.js';
import { migrateLatest } from '../store/migrate.js';
import type { TableNames } from '../store/table-names.js';
import type { PeriodicSync } from '../sync/periodic.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Logger, PaymentsHooks } from '../types.js';

/** What {@link lifecycle} works with. */
export interface LifecycleDependencies {
  db: Database;
  tablePrefix: string;
  tables: TableNames;
  worker: Worker;
  periodic: PeriodicSync;
  dispatcher: Dispatcher;
  hooks: Emittery<PaymentsHooks>;
  telemetry: Telemetry;
  logger: Logger;
}

/** The lifecycle members of an instance. */
export type LifecycleMethods = Pick<
  Payments,
  'migrate' | 'startWorker' | 'stopWorker' | 'runDueDeliveries' | 'close'
>;

/** The lifecycle members, and whether `close()` has been called. */
export function lifecycle(dependencies: LifecycleDependencies): {
  methods: LifecycleMethods;
  isClosing(): boolean;
} {
  const { db, worker, periodic, dispatcher, hooks } = dependencies;
  let closing: Promise<void> | undefined;
  const methods: LifecycleMethods = {
    async migrate() {
      await migrateLatest(db, dependencies.tablePrefix, dependencies.tables);
      worker.schemaMigrated();
    },
    startWorker() {
      worker.start();
      periodic.start();
    },
    async stopWorker() {
      await Promise.all([worker.stop(), periodic.stop()]);
    },
    runDueDeliveries: () => worker.runOnce(),
    close(options = {}) {
      closing ??= (async () => {
        const deadline = Date.now() + (options.timeoutMs ?? 10_000);
        await Promise.all([
          worker.stop(Math.max(0, deadline - Date.now())),
          periodic.stop(Math.max(0, deadline - Date.now())),
        ]);
        const left = await dispatcher.drain(Math.max(0, deadline - Date.now()));
        if (left > 0) {
          dispatcher.abandon();
          dependencies.logger.warn(
            { inFlight: left },
            'koa-payments: closing with receivers still running; their leases expire and they are retried',
          );
        }
        hooks.clearListeners();
        dependencies.telemetry.close();
        await db.checkpointer?.stop();
        if (db.owned) await db.knex.destroy();
      })();
      return closing;
    },
  };
  return { methods, isClosing: () => closing !== undefined };
}
