/**
 * An instance's catch-up members: sync and reconcile store what the provider's API reports
 * through the pipeline (sync/), and the periodic catch-up's state and due runs. Each delegates
 * to the part payments.ts wired for it; those that write are counted in for `close()`, which
 * waits for them, and refused once it has been called.
 */
import type { Payments } from '../payments-types.js';
import type { SyncStateStore } from '../store/sync-state.js';
import type { PeriodicSync } from '../sync/periodic.js';
import { checkReferences, runReconcile } from '../sync/reconcile.js';
import { type CatchUpDependencies, runSync, syncRequest } from '../sync/sync.js';
import type { Operate } from './shutdown.js';

/** What {@link catchUpMethods} delegate to. */
export interface CatchUpMethodsDependencies {
  /** What sync and reconcile store through. */
  catchUp: CatchUpDependencies;
  /** The stored state of each variant's periodic catch-up. */
  state: SyncStateStore;
  periodic: PeriodicSync;
  /** Counts a call in for `close()`, and refuses it once `close()` has been called. */
  operate: Operate;
  /** A signal `close()` aborts, combined with the caller's. */
  stopping(signal?: AbortSignal | undefined): AbortSignal;
}

/** The catch-up members of an instance. */
export type CatchUpMethods = Pick<Payments, 'sync' | 'reconcile' | 'syncState' | 'runDueSyncs'>;

export function catchUpMethods(dependencies: CatchUpMethodsDependencies): CatchUpMethods {
  const { catchUp, state, periodic, operate, stopping } = dependencies;
  return {
    sync: (variant, options) =>
      operate(() => {
        const request = syncRequest(options);
        return runSync(catchUp, variant, { ...request, signal: stopping(request.signal) });
      }),
    reconcile: (variant, references) =>
      operate(() => runReconcile(catchUp, variant, checkReferences(references))),
    syncState: (variant) => state.get(variant),
    runDueSyncs: () => operate(() => periodic.runDue(new Date(), stopping())),
  };
}
