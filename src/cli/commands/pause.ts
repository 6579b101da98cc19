/**
 * `koa-payments pause <receiver>` and `koa-payments resume <receiver>`: hold a receiver's
 * deliveries on every instance and worker sharing the database (during a deploy, while the
 * service it calls is down), then let them run.
 */
import { PaymentsError } from '../../errors.js';
import type { ReceiverPause } from '../../types.js';
import { type Command, requireReceivers, stringValue } from '../command.js';
import { CliFailure } from '../errors.js';
import { formatDate } from '../output.js';

/** Runs a pause or a resume, turning a refusal (unknown receiver) into a failure message. */
async function change(run: () => Promise<ReceiverPause>): Promise<ReceiverPause> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PaymentsError) throw new CliFailure(error.message);
    throw error;
  }
}

/** `1 of its deliveries waits`, `3 of its deliveries wait`. */
function waiting(n: number): string {
  return `${n} of its deliveries wait${n === 1 ? 's' : ''}`;
}

export const pause: Command = {
  name: 'pause',
  summary: "hold a receiver's deliveries on every instance until resumed",
  args: '<receiver>',
  description:
    'Pauses a receiver on every instance and worker that shares the database: its deliveries stay pending, without using up attempts, until `koa-payments resume`. Runs already going finish; other instances stop starting new ones within a second. The config module must import your receivers (the name is checked against them). Pausing a paused receiver keeps its first reason.',
  options: {
    reason: {
      type: 'string',
      value: '<text>',
      description: 'why, shown with the pause (dashboard, `events show`, --json)',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const receiver = positionals[0] as string;
    const reason = stringValue(values, 'reason');
    return withPayments(
      async (pay) => {
        requireReceivers(pay, 'pause', 'there is no name to pause');
        const state = await change(() =>
          pay.pause(receiver, reason === undefined ? {} : { reason }),
        );
        if (values.json === true) {
          out.json(state);
          return 0;
        }
        out.line(
          state.changed
            ? `Paused ${receiver}: its deliveries stay pending on every instance until \`koa-payments resume ${receiver}\`.`
            : `${receiver} was already paused (since ${formatDate(state.pausedAt)}${state.reason === null ? '' : `: ${state.reason}`}).`,
        );
        out.line(`${waiting(state.waiting)} to run.`);
        return 0;
      },
      { store: 'read' },
    );
  },
};

export const resume: Command = {
  name: 'resume',
  summary: "let a paused receiver's deliveries run again",
  args: '<receiver>',
  description:
    'Resumes a paused receiver: its waiting deliveries are due again, and the retry worker of any instance (or `koa-payments worker`) runs them at its next poll. A receiver that is no longer registered may be resumed to clear its pause.',
  options: {
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const receiver = positionals[0] as string;
    return withPayments(
      async (pay) => {
        const state = await change(() => pay.resume(receiver));
        if (values.json === true) {
          out.json(state);
          return 0;
        }
        out.line(state.changed ? `Resumed ${receiver}.` : `${receiver} was not paused.`);
        out.line(
          state.waiting === 0
            ? 'None of its deliveries wait.'
            : `${waiting(state.waiting)}; the retry worker runs ${state.waiting === 1 ? 'it' : 'them'} at its next poll.`,
        );
        return 0;
      },
      { store: 'read' },
    );
  },
};
