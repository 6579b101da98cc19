/**
 * `koa-payments reconcile <variant> <reference...> [--json]`: asks the provider about specific
 * payments and stores what it reports, through the app's receivers.
 */
import { ReconcileError } from '../../sync/errors.js';
import type { ReconcileResult } from '../../sync/types.js';
import { type Command, requireReceivers, requireVariant } from '../command.js';
import { UsageError } from '../errors.js';
import type { Column, Output } from '../output.js';

const COLUMNS: Column<ReconcileResult>[] = [
  { header: 'REFERENCE', value: (r) => r.reference, max: 80 },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'AT PROVIDER', value: (r) => r.paymentStatus ?? '-' },
  { header: 'EVENT', value: (r) => r.event?.type ?? '-', max: 40 },
  { header: 'EVENT ID', value: (r) => r.event?.eventId ?? '-', max: 80 },
  { header: 'SOURCE', value: (r) => r.event?.source ?? '-' },
];

function print(out: Output, results: ReconcileResult[], json: boolean): void {
  if (json) out.json(results);
  else if (results.length > 0) out.table(COLUMNS, results);
}

export const reconcile: Command = {
  name: 'reconcile',
  summary: 'ask the provider about payments and store what it reports',
  args: '<variant> <reference...>',
  description:
    'Asks the provider about each payment (Paystack and Flutterwave: your transaction reference; ' +
    'Stripe: a PaymentIntent pi_... or Checkout Session cs_... id) and stores what it reports as ' +
    'the event its webhook carries, through the receivers of the config. Prints one line per ' +
    'reference: stored (now), duplicate (already stored), pending (still in progress at the ' +
    'provider) or not_found. Exits 1 when a reference is not found or the provider cannot be ' +
    "asked. Needs the variant's API key; the config module must import your receivers.",
  options: {
    json: { type: 'boolean', description: 'print the results as JSON' },
  },
  positionals: { min: 2, max: Number.POSITIVE_INFINITY },
  async run({ positionals, values, out, withPayments }) {
    const [variant, ...references] = positionals as [string, ...string[]];
    const json = values.json === true;
    return withPayments(
      async (pay) => {
        requireVariant(pay, variant, 'reconcile');
        requireReceivers(pay, 'a reconciliation');
        let results: ReconcileResult[];
        try {
          results = await pay.reconcile(variant, references);
        } catch (error) {
          // What was done before the failure is done: say so before the error.
          if (error instanceof ReconcileError) print(out, error.results, json);
          // A reference the provider cannot take (a Stripe id that is neither pi_ nor cs_).
          if (error instanceof TypeError) {
            throw new UsageError(error.message.replace(/^koa-payments: /, ''), 'reconcile');
          }
          throw error;
        }
        print(out, results, json);
        return results.some((r) => r.status === 'not_found') ? 1 : 0;
      },
      { store: 'run' },
    );
  },
};
