/**
 * `koa-payments prune [--older-than 30d] [--events-older-than 90d] [--dry-run]`: deletes old
 * request-log lines and settled events.
 */
import { parseDuration, parseSince } from '../args.js';
import { type Command, stringValue } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDate } from '../output.js';

/** `n thing` or `n things`. */
function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const prune: Command = {
  name: 'prune',
  summary: 'delete request-log lines and settled events past their retention',
  args: '',
  description:
    'Deletes request-log lines received before a cut-off: --older-than (a duration such as 30d, ' +
    'or --before a date), default the configured requestLog.retentionDays (30). Deletes settled ' +
    'events (processed or ignored, every delivery succeeded) received and settled before ' +
    'theirs, with their deliveries: --events-older-than, default the configured ' +
    'events.retentionDays; without either, events are kept. Pending and failed events are ' +
    'never deleted. --dry-run counts and deletes nothing. The worker also prunes hourly; this ' +
    'is for apps that run none.',
  options: {
    'older-than': {
      type: 'string',
      value: '<age>',
      description: 'delete request-log lines older than this (30d, 12h, 2w); default the retention',
    },
    before: { type: 'string', value: '<date>', description: 'delete lines received before a date' },
    'events-older-than': {
      type: 'string',
      value: '<age>',
      description: 'delete settled events older than this; default events.retentionDays',
    },
    'dry-run': { type: 'boolean', description: 'count what would be deleted; delete nothing' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    const olderThan = stringValue(values, 'older-than');
    const beforeText = stringValue(values, 'before');
    const eventsOlderThan = stringValue(values, 'events-older-than');
    if (olderThan !== undefined && beforeText !== undefined) {
      throw new UsageError('--older-than and --before do not go together', 'prune');
    }
    const now = Date.now();
    let requests: Date | undefined;
    if (olderThan !== undefined) {
      requests = new Date(now - parseDuration(olderThan, '--older-than', 'prune'));
    }
    if (beforeText !== undefined) requests = parseSince(beforeText, 'prune');
    const events =
      eventsOlderThan === undefined
        ? undefined
        : new Date(now - parseDuration(eventsOlderThan, '--events-older-than', 'prune'));
    const dryRun = values['dry-run'] === true;

    return withPayments(
      async (pay) => {
        const result = await pay.prune({ requests, events, dryRun });
        if (values.json === true) {
          out.json({
            requests: { deleted: result.requests, before: result.before.requests },
            events: {
              deleted: result.events,
              deliveries: result.deliveries,
              before: result.before.events,
            },
            dryRun,
          });
          return 0;
        }
        const verb = dryRun ? 'Would delete' : 'Deleted';
        const { before } = result;
        out.line(
          before.requests === null
            ? 'The request log is off (requestLog: false).'
            : `${verb} ${plural(result.requests, 'request-log line')} received before ${formatDate(before.requests)}.`,
        );
        out.line(
          before.events === null
            ? 'Events are kept: no events.retentionDays (--events-older-than prunes them).'
            : `${verb} ${plural(result.events, 'settled event')} and ${plural(result.deliveries, 'delivery', 'deliveries')}, received and settled before ${formatDate(before.events)}.`,
        );
        return 0;
      },
      { store: 'read' },
    );
  },
};
