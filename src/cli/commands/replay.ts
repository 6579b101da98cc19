/** `koa-payments replay <event-id...> [--all | --receiver <name>]`: re-runs receivers now. */
import { type Command, findEvent, requireReceivers, stringValue } from '../command.js';
import { UsageError } from '../errors.js';
import { replayAll, summary, type Which } from '../replaying.js';

export const replay: Command = {
  name: 'replay',
  summary: 're-run the receivers of stored events now',
  args: '<event-id...>',
  description:
    'Re-runs receivers of one or more stored events, in this process, and prints how each ' +
    'delivery ended. By default the failed and dead deliveries; --all re-runs every receiver that ' +
    'matches the event (succeeded ones included); --receiver names them. An id is a row id or ' +
    "the provider's event id. The config module must import your receivers. Exits 1 when a " +
    'delivery is still failing.',
  options: {
    all: { type: 'boolean', description: 'every matching receiver, succeeded ones included' },
    receiver: {
      type: 'string',
      multiple: true,
      value: '<name>',
      description: 'only this receiver (repeatable)',
    },
    variant: {
      type: 'string',
      value: '<variant>',
      description: 'the variant, when several hold the same provider event id',
    },
    json: { type: 'boolean', description: 'print the outcomes as JSON' },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  async run({ positionals, values, out, withPayments }) {
    const receivers = values.receiver as string[] | undefined;
    if (values.all === true && receivers !== undefined) {
      throw new UsageError('--all and --receiver do not go together', 'replay');
    }
    const which: Which = values.all === true ? 'all' : (receivers ?? 'failed');
    const variant = stringValue(values, 'variant');
    return withPayments(
      async (pay) => {
        requireReceivers(pay, 'a replay');
        const events = [];
        for (const id of positionals) events.push(await findEvent(pay, id, variant));
        const json = values.json === true;
        const outcomes = await replayAll(pay, events, which, out, json, (e) =>
          findEvent(pay, String(e.id), undefined),
        );
        if (json) out.json(outcomes);
        else if (outcomes.length > 1) out.line(summary(outcomes));
        return outcomes.some((o) => o.failed) ? 1 : 0;
      },
      { store: 'run' },
    );
  },
};
