/** `koa-payments retry --failed [--since <when>]`: replays the failed deliveries of failed events. */
import type { EventFilter } from '../../types.js';
import { parseCount, parseSince } from '../args.js';
import { type Command, findEvent, requireReceivers, stringValue } from '../command.js';
import { UsageError } from '../errors.js';
import { replayAll, summary } from '../replaying.js';

const DEFAULT_LIMIT = 1000;

export const retry: Command = {
  name: 'retry',
  summary: 'retry every failed delivery now, with a progress bar',
  args: '',
  description:
    'Re-runs now, in this process, the failed and dead deliveries of every event whose status is ' +
    'failed, whatever their next attempt time, one event after the other, with a progress bar on a ' +
    'terminal and a line per event elsewhere. The config module must import your receivers. ' +
    'Exits 1 when a delivery is still failing.',
  options: {
    failed: { type: 'boolean', description: 'required: retry the failed deliveries' },
    since: {
      type: 'string',
      value: '<when>',
      description: 'only events received since a date (2024-05-01) or a duration ago (24h, 7d)',
    },
    variant: { type: 'string', value: '<variant>', description: 'only this variant' },
    type: { type: 'string', value: '<type>', description: 'only this event type' },
    limit: {
      type: 'string',
      value: '<n>',
      description: `at most n events, newest first (default ${DEFAULT_LIMIT})`,
    },
    json: { type: 'boolean', description: 'print the outcomes as JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    if (values.failed !== true) {
      throw new UsageError(
        'say what to retry: `retry --failed` re-runs the failed deliveries of failed events',
        'retry',
      );
    }
    const filter: EventFilter = { status: 'failed', limit: DEFAULT_LIMIT };
    const since = stringValue(values, 'since');
    if (since !== undefined) filter.since = parseSince(since, 'retry');
    const variant = stringValue(values, 'variant');
    if (variant !== undefined) filter.variant = variant;
    const type = stringValue(values, 'type');
    if (type !== undefined) filter.type = type;
    const limit = stringValue(values, 'limit');
    if (limit !== undefined) filter.limit = parseCount(limit, '--limit', 'retry');

    return withPayments(
      async (pay) => {
        const events = await pay.events.list(filter);
        const json = values.json === true;
        if (events.length === 0) {
          if (json) out.json([]);
          else out.line('No failed events.');
          return 0;
        }
        requireReceivers(pay, 'a retry');
        if (!json)
          out.info(`Retrying ${events.length} failed event${events.length === 1 ? '' : 's'}…`);
        const outcomes = await replayAll(pay, events, 'failed', out, json, (e) =>
          findEvent(pay, String(e.id), undefined),
        );
        if (json) out.json(outcomes);
        else out.line(summary(outcomes));
        if (!json && events.length === filter.limit) {
          out.info(`Stopped at --limit ${filter.limit}; run it again for older events.`);
        }
        return outcomes.some((o) => o.failed) ? 1 : 0;
      },
      { store: 'run' },
    );
  },
};
