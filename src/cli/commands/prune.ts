/** `koa-payments prune [--older-than 30d]`: deletes old request-log lines. */
import { parseDuration, parseSince } from '../args.js';
import { type Command, stringValue } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDate } from '../output.js';

const DAY = 24 * 60 * 60 * 1000;

export const prune: Command = {
  name: 'prune',
  summary: 'delete request-log lines older than the retention',
  args: '',
  description:
    'Deletes request-log lines received before a cut-off: --older-than (a duration such as 30d, ' +
    'or --before a date), default the configured requestLog.retentionDays (30). Events and ' +
    'deliveries are never pruned. The worker also prunes hourly; this is for apps that run none.',
  options: {
    'older-than': {
      type: 'string',
      value: '<age>',
      description: 'delete lines older than this (30d, 12h, 2w); default the retention',
    },
    before: { type: 'string', value: '<date>', description: 'delete lines received before a date' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    const olderThan = stringValue(values, 'older-than');
    const beforeText = stringValue(values, 'before');
    if (olderThan !== undefined && beforeText !== undefined) {
      throw new UsageError('--older-than and --before do not go together', 'prune');
    }
    let before: Date | undefined;
    if (olderThan !== undefined)
      before = new Date(Date.now() - parseDuration(olderThan, '--older-than', 'prune'));
    if (beforeText !== undefined) before = parseSince(beforeText, 'prune');

    return withPayments(
      async (pay, { settings }) => {
        if (settings.requestLog === false) {
          if (values.json === true) out.json({ deleted: 0, before: null, requestLog: false });
          else out.line('The request log is off (requestLog: false): nothing to prune.');
          return 0;
        }
        const cutOff =
          before ?? new Date(Date.now() - (settings.requestLog?.retentionDays ?? 30) * DAY);
        const deleted = await pay.prune({ olderThan: cutOff });
        if (values.json === true) out.json({ deleted, before: cutOff });
        else {
          out.line(
            `Deleted ${deleted} request-log line${deleted === 1 ? '' : 's'} received before ${formatDate(cutOff)}.`,
          );
        }
        return 0;
      },
      { store: 'read' },
    );
  },
};
