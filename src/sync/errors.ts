/**
 * How a sync or a reconciliation fails: it stops at the first page or reference it could not
 * handle, keeps what it stored before, and says so. Run it again to carry on: what is already
 * stored comes back as duplicates.
 */
import { PaymentsError } from '../errors.js';
import type { ReconcileResult, SyncResult } from './types.js';

/** The cause's message, for ours. */
function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * `pay.sync()` stopped: a page the provider's API would not give (unreachable, 5xx or 429 after
 * the retries, a refused key), or an event the store would not take. `result` counts what was
 * done before; those events stay stored. `cause` is the `ProviderApiError` (or store error).
 *
 * @example
 * try { await pay.sync('stripe', { since: '72h' }); } catch (error) {
 *   if (error instanceof SyncError) console.log(error.result.stored, 'stored before', error.cause);
 * }
 */
export class SyncError extends PaymentsError {
  readonly variant: string;
  /** What the sync did before it stopped. */
  readonly result: SyncResult;
  /** Pages done in full before it stopped. */
  readonly pages: number;

  constructor(variant: string, result: SyncResult, pages: number, cause: unknown) {
    super(
      'sync_failed',
      503,
      `Sync of variant ${variant} stopped at page ${pages + 1}: ${reason(cause)} ` +
        `${result.stored} event${result.stored === 1 ? '' : 's'} stored before it stay stored ` +
        `(${result.fetched} fetched, ${result.duplicates} already stored); run it again to carry on.`,
      { cause },
    );
    this.name = 'SyncError';
    this.variant = variant;
    this.result = result;
    this.pages = pages;
  }
}

/**
 * `pay.reconcile()` stopped at a reference the provider's API could not answer about (or whose
 * event the store would not take). `results` holds the references done before it, whose events
 * stay stored; `reference` is the one it stopped at.
 */
export class ReconcileError extends PaymentsError {
  readonly variant: string;
  readonly reference: string;
  /** The references reconciled before it stopped. */
  readonly results: ReconcileResult[];

  constructor(variant: string, reference: string, results: ReconcileResult[], cause: unknown) {
    super(
      'reconcile_failed',
      503,
      `Reconciling ${reference} of variant ${variant} failed: ${reason(cause)} ` +
        `The ${results.length} reference${results.length === 1 ? '' : 's'} before it ${results.length === 1 ? 'is' : 'are'} done.`,
      { cause },
    );
    this.name = 'ReconcileError';
    this.variant = variant;
    this.reference = reference;
    this.results = results;
  }
}
