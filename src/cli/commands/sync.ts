/**
 * `koa-payments sync <variant> --since 72h [--types a,b] [--dry-run] [--json]`: lists what the
 * provider's API has since then and stores what is missing through the app's receivers: the
 * recovery after an outage.
 */
import type { SyncOutcome } from '../../sync/types.js';
import { parseSince } from '../args.js';
import { type Command, requireReceivers, requireVariant, stringValue } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDate } from '../output.js';

/** How long Stripe keeps events. */
const STRIPE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** `1 event`, `2 events`. */
function events(n: number): string {
  return `${n} event${n === 1 ? '' : 's'}`;
}

export const sync: Command = {
  name: 'sync',
  summary: "store what the provider's API has since a time and the store lacks",
  args: '<variant>',
  description:
    "Lists what the variant's provider API has since --since (Stripe: its events; Paystack and " +
    'Flutterwave: their transactions, as the events their webhooks carry) and stores each one the ' +
    'store lacks, through the receivers of the config, exactly as its webhook would have been ' +
    'stored. Events already stored are left alone, and a webhook that comes later is a duplicate. ' +
    'Run it after an outage: `koa-payments sync stripe --since 4d`. Stripe keeps events for 30 ' +
    'days. A progress bar shows on a terminal. Exits 1 when a page fails; what was stored stays, ' +
    "and running it again carries on. Needs the variant's API key; the config module must import " +
    'your receivers (except with --dry-run).',
  options: {
    since: {
      type: 'string',
      value: '<when>',
      description: 'from when: a duration back from now (72h, 4d) or a date (2024-05-01); required',
    },
    types: {
      type: 'string',
      value: '<a,b>',
      description: 'only these event types, comma-separated (charge.succeeded, charge.*)',
    },
    'dry-run': {
      type: 'boolean',
      description: 'list and compare with the store; store nothing',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const variant = positionals[0] as string;
    const sinceText = stringValue(values, 'since');
    if (sinceText === undefined) {
      throw new UsageError(
        '--since is required: how far back to list (72h, 4d, 2024-05-01)',
        'sync',
      );
    }
    const since = parseSince(sinceText, 'sync');
    const typesText = stringValue(values, 'types');
    const types = typesText
      ?.split(',')
      .map((type) => type.trim())
      .filter((type) => type !== '');
    if (types !== undefined && types.length === 0)
      throw new UsageError('--types needs a value', 'sync');
    const dryRun = values['dry-run'] === true;
    const json = values.json === true;
    return withPayments(
      async (pay) => {
        requireVariant(pay, variant, 'sync');
        if (!dryRun) requireReceivers(pay, 'a sync');
        const provider = (pay.variantSettings(variant) as { provider: unknown }).provider;
        if (provider === 'stripe' && Date.now() - since.getTime() > STRIPE_RETENTION_MS) {
          out.info(
            `Stripe keeps events for 30 days: what happened before ${formatDate(new Date(Date.now() - STRIPE_RETENTION_MS))} cannot be listed.`,
          );
        }
        const activity = out.activity();
        let result: SyncOutcome;
        try {
          result = await pay.sync(variant, {
            since,
            ...(types === undefined ? {} : { types }),
            dryRun,
            onProgress: (p) =>
              activity.update(
                `${variant}: page ${p.pages}, ${p.fetched} fetched, ${p.stored} stored, ${p.duplicates} already stored`,
              ),
          });
        } catch (error) {
          // Types that are not event types or patterns.
          if (error instanceof TypeError) {
            throw new UsageError(error.message.replace(/^koa-payments: /, ''), 'sync');
          }
          throw error;
        } finally {
          activity.done();
        }
        if (json) {
          out.json({ variant, since: since.toISOString(), dryRun, ...result });
        } else if (dryRun) {
          out.line(
            `Dry run of ${variant} since ${formatDate(since)}: ${result.fetched} fetched, ` +
              `${events(result.duplicates)} already stored, ${events(result.missing ?? 0)} missing. Nothing was stored.`,
          );
        } else {
          out.line(
            `Synced ${variant} since ${formatDate(since)}: ${result.fetched} fetched, ` +
              `${events(result.stored)} stored, ${result.duplicates} already stored.`,
          );
        }
        return 0;
      },
      { store: 'run' },
    );
  },
};
