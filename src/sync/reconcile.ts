/**
 * `pay.reconcile()`: asks the provider about specific payments (Payshift's check of pending
 * payments) and stores what it reports as the event its webhook carries, through the same store
 * and receivers, with `source: 'reconcile'`. One result per reference, in order.
 */
import { NotFoundAtProviderError } from '../providers/shared/api-errors.js';
import type { ReconcileFinding } from '../providers/types.js';
import { ReconcileError } from './errors.js';
import { apiOf, type CatchUpDependencies } from './sync.js';
import type { ReconcileResult } from './types.js';

/** Checks the references of `pay.reconcile()`: non-empty strings. */
export function checkReferences(references: unknown): readonly string[] {
  const list = typeof references === 'string' ? [references] : references;
  if (
    !Array.isArray(list) ||
    !list.every((reference) => typeof reference === 'string' && reference.trim() !== '')
  ) {
    throw new TypeError(
      'koa-payments: reconcile(variant, references) expects references to be an array of non-empty strings',
    );
  }
  return list;
}

/**
 * Reconciles each reference in turn. A reference the API cannot answer about stops it with a
 * {@link ReconcileError} that holds the results before it (their events stay stored).
 */
export async function runReconcile(
  dependencies: CatchUpDependencies,
  variant: string,
  references: readonly string[],
): Promise<ReconcileResult[]> {
  const api = apiOf(dependencies.providers, variant, 'reconcile()');
  const ask = api.reconcile?.bind(api);
  if (ask === undefined) {
    throw new TypeError(
      `koa-payments: reconcile(): the API of variant ${variant} cannot look payments up (its provider.api has no reconcile())`,
    );
  }
  const results: ReconcileResult[] = [];
  for (const reference of references) {
    try {
      let finding: ReconcileFinding;
      try {
        finding = await ask(reference);
      } catch (error) {
        if (!(error instanceof NotFoundAtProviderError)) throw error;
        finding = { status: 'not_found' };
      }
      const result: ReconcileResult = { reference, status: 'not_found' };
      if (finding.paymentStatus !== undefined) result.paymentStatus = finding.paymentStatus;
      if (finding.status === 'settled') {
        const received = await dependencies.pipeline.storeFetched(
          variant,
          finding.event,
          'reconcile',
        );
        await received.dispatched;
        result.status = received.duplicate ? 'duplicate' : 'stored';
        // As it is now that its receivers have run.
        result.event = (await dependencies.queries.getEvent(received.event.id)) ?? received.event;
      } else {
        result.status = finding.status;
      }
      results.push(result);
    } catch (error) {
      // A reference the provider cannot take (a Stripe id that is neither pi_ nor cs_) is a
      // mistake in the call, not a failure of the provider.
      if (error instanceof TypeError) throw error;
      throw new ReconcileError(variant, reference, [...results], error);
    }
  }
  return results;
}
