/**
 * An instance's lifecycle members: migrating the schema, starting and stopping the retry worker
 * with the periodic catch-up, running a worker batch now, and closing. What `close()` waits for
 * first, and refuses once called (webhooks taken in, operators' calls), is counted in by the
 * {@link Shutdown} it is given.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type Emittery from 'emittery';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Worker } from '../dispatch/worker.js';
import { MAX_TIMER_MS } from '../in-flight.js';
import type { Payments } from '../payments-types.js';
import type { Database } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { migrateLatest } from '../store/migrate.js';
import type { TableNames } from '../store/table-names.js';
import type { PeriodicSync } from '../sync/periodic.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Logger, PaymentsHooks } from '../types.js';
import type { Shutdown } from './shutdown.js';

/**
 * How long close() waits at least for the deliveries of runs that never started to be given back
 * (one write per delivery), past its deadline: long enough for a database that answers.
 */
const GIVE_BACK_GRACE_MS = 1_000;

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
  /** The webhooks and operators' calls in progress, and their refusal once closing. */
  shutdown: Shutdown;
}

/** The lifecycle members of an instance. */
export type LifecycleMethods = Pick<
  Payments,
  'migrate' | 'startWorker' | 'stopWorker' | 'runDueDeliveries' | 'close'
>;

/** The lifecycle members of an instance. */
export function lifecycle(dependencies: LifecycleDependencies): LifecycleMethods {
  const { db, worker, periodic, dispatcher, hooks, logger, shutdown } = dependencies;
  let closing: Promise<void> | undefined;
  const methods: LifecycleMethods = {
    async migrate() {
      await migrateLatest(db, dependencies.tablePrefix, dependencies.tables);
      worker.schemaMigrated();
    },
    startWorker() {
      if (shutdown.closing) return; // closed: it would claim deliveries nobody runs
      worker.start();
      periodic.start();
    },
    async stopWorker() {
      await Promise.all([worker.stop(), periodic.stop()]);
    },
    // Closed: claims would count attempts for runs that never start.
    runDueDeliveries: () =>
      shutdown.closing ? Promise.resolve(0) : shutdown.operate(() => worker.runOnce()),
    close(options = {}) {
      const timeoutMs = options.timeoutMs ?? 10_000;
      if (closing === undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
        return Promise.reject(
          new TypeError('koa-payments: close({ timeoutMs }) needs a number ≥ 0 (or Infinity)'),
        );
      }
      shutdown.begin();
      closing ??= (async () => {
        // Past what a timer can wait (about 24.8 days), as long as it takes.
        const deadline = Date.now() + (timeoutMs > MAX_TIMER_MS ? Infinity : timeoutMs);
        const left = () => Math.max(0, deadline - Date.now());
        // A batch gathering commits now: it waits no more for webhooks still being verified.
        dependencies.committer?.flush();
        // The webhooks taken in and the operators' calls (sync, reconcile, replay, ...) finish
        // first: stored, and (inline) their receivers run and recorded, or handed to the
        // dispatcher, whose drain below waits for them.
        const [{ webhooks: receiving, operations }] = await Promise.all([
          shutdown.drain(left()),
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
        if (operations > 0) {
          logger.warn(
            { operations },
            "koa-payments: closing with operators' calls still running (sync, reconcile, replay, ...); they fail if they write after the database koa-payments opened is closed, and the receivers of what they store are left to a worker",
          );
        }
        const running = await dispatcher.drain(left());
        if (running > 0) {
          logger.warn(
            { inFlight: running },
            'koa-payments: closing with receivers still running; their leases expire and they are retried',
          );
          // Those waiting for a concurrency turn never start: given back before the database
          // closes, for at most what is left of the deadline or a second.
          const grace = Math.max(left(), GIVE_BACK_GRACE_MS);
          const givenBack = dispatcher.abandon();
          await (grace > MAX_TIMER_MS
            ? givenBack
            : Promise.race([givenBack, delay(grace, undefined, { ref: false })]));
        }
        hooks.clearListeners();
        dependencies.telemetry.close();
        await db.checkpointer?.stop();
        if (db.owned) await db.knex.destroy();
      })();
      return closing;
    },
  };
  return methods;
}
