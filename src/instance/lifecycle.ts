/**
 * An instance's lifecycle members: migrating the schema, starting and stopping the retry worker
 * with the periodic catch-up, running a worker batch now, and closing. `admit()` counts in each
 * webhook the middleware or `pay.receive()` takes, so that `close()` waits for it, and refuses
 * new ones (503) once `close()` has been called.
 */
import type Emittery from 'emittery';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Worker } from '../dispatch/worker.js';
import { shuttingDownError } from '../errors.js';
import { InFlight, MAX_TIMER_MS } from '../in-flight.js';
import type { Payments } from '../payments-types.js';
import type { Database } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
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
  /** The group committer, when group commit is on: `close()` flushes the batch gathering. */
  committer: GroupCommitter | undefined;
  hooks: Emittery<PaymentsHooks>;
  telemetry: Telemetry;
  logger: Logger;
}

/** The lifecycle members of an instance. */
export type LifecycleMethods = Pick<
  Payments,
  'migrate' | 'startWorker' | 'stopWorker' | 'runDueDeliveries' | 'close'
>;

/** The lifecycle members, and the admission of webhooks. */
export function lifecycle(dependencies: LifecycleDependencies): {
  methods: LifecycleMethods;
  /** Throws the 503 `store_unavailable` once `close()` has been called. */
  refuseIfClosing(): void;
  /**
   * Takes a webhook in (the middleware's, or a `pay.receive()` call): returns the function to
   * call once it is answered, which `close()` waits for. Throws a 503 `store_unavailable` once
   * `close()` has been called.
   */
  admit(): () => void;
} {
  const { db, worker, periodic, dispatcher, hooks, logger } = dependencies;
  const webhooks = new InFlight();
  let closing: Promise<void> | undefined;
  const refuseIfClosing = (): void => {
    if (closing !== undefined) throw shuttingDownError();
  };
  const methods: LifecycleMethods = {
    async migrate() {
      await migrateLatest(db, dependencies.tablePrefix, dependencies.tables);
      worker.schemaMigrated();
    },
    startWorker() {
      if (closing !== undefined) return; // closed: it would claim deliveries nobody runs
      worker.start();
      periodic.start();
    },
    async stopWorker() {
      await Promise.all([worker.stop(), periodic.stop()]);
    },
    // Closed: claims would count attempts for runs that never start.
    runDueDeliveries: () => (closing === undefined ? worker.runOnce() : Promise.resolve(0)),
    close(options = {}) {
      const timeoutMs = options.timeoutMs ?? 10_000;
      if (closing === undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
        return Promise.reject(
          new TypeError('koa-payments: close({ timeoutMs }) needs a number ≥ 0 (or Infinity)'),
        );
      }
      closing ??= (async () => {
        // Past what a timer can wait (about 24.8 days), as long as it takes.
        const deadline = Date.now() + (timeoutMs > MAX_TIMER_MS ? Infinity : timeoutMs);
        const left = () => Math.max(0, deadline - Date.now());
        // A batch gathering commits now: it waits no more for webhooks still being verified.
        dependencies.committer?.flush();
        // The webhooks taken in finish first: stored, and (inline) their receivers run and
        // recorded, or handed to the dispatcher, whose drain below waits for them.
        const [receiving] = await Promise.all([
          webhooks.drain(left()),
          worker.stop(left()),
          periodic.stop(left()),
        ]);
        // From here on no receiver starts: its outcome could not be recorded once the database
        // is closed, and it would run again after its lease. A webhook stored later (past the
        // deadline) gives its deliveries back for a worker (or, the database closed, leaves them
        // leased: a worker runs them once the lease expires).
        dispatcher.close();
        if (receiving > 0) {
          logger.warn(
            { inFlight: receiving },
            'koa-payments: closing with webhooks still being received; those not stored yet are answered 503 and redelivered, and the receivers of those stored are left to a worker',
          );
        }
        const running = await dispatcher.drain(left());
        if (running > 0) {
          dispatcher.abandon();
          logger.warn(
            { inFlight: running },
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
  return {
    methods,
    refuseIfClosing,
    admit() {
      refuseIfClosing();
      return webhooks.enter();
    },
  };
}
