/**
 * An instance's catch-up members: sync and reconcile store what the provider's API reports
 * through the pipeline (sync/), and the periodic catch-up's state and due runs. Each delegates
 * to the part payments.ts wired for it.
 */
import type { Payments } from '../payments-types.js';
import type { SyncStateStore } from '../store/sync-state.js';
import type { PeriodicSync } from '../sync/periodic.js';
import { checkReferences, runReconcile } from '../sync/reconcile.js';
import { type CatchUpDependencies, runSync, syncRequest } from '../sync/sync.js';

/** What {@link catchUpMethods} delegate to. */
export interface CatchUpMethodsDependencies {
  /** What sync and reconcile store through. */
  catchUp: CatchUpDependencies;
  /** The stored state of each variant's periodic catch-up. */
  state: SyncStateStore;
  periodic: PeriodicSync;
}

/** The catch-up members of an instance. */
export type CatchUpMethods = Pick<Payments, 'sync' | 'reconcile' | 'syncState' | 'runDueSyncs'>;

export function catchUpMethods(dependencies: CatchUpMethodsDependencies): CatchUpMethods {
  const { catchUp, state, periodic } = dependencies;
  return {
    sync: async (variant, options) => runSync(catchUp, variant, syncRequest(options)),
    reconcile: async (variant, references) =>
      runReconcile(catchUp, variant, checkReferences(references)),
    syncState: (variant) => state.get(variant),
    runDueSyncs: () => periodic.runDue(),
  };
}
