/**
 * `koa-payments worker [--once]`: runs the retry worker in the foreground until SIGINT or
 * SIGTERM, then closes cleanly (running receivers finish, the database is closed).
 */

import { type Command, requireReceivers } from '../command.js';
import { formatDate } from '../output.js';

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) onSecond();
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export const worker: Command = {
  name: 'worker',
  summary: 'run the retry worker in the foreground until Ctrl-C',
  args: '',
  description:
    'Runs the retry worker: it claims due deliveries (failed ones whose next attempt has come, ' +
    "and abandoned ones whose lease expired) and runs their receivers, with the settings' worker " +
    'and retry options. Any number of workers may run against one database. SIGINT or SIGTERM ' +
    'stops it after the receivers in flight finish; a second signal exits at once. The config ' +
    'module must import your receivers. Variants with a sync option also get their periodic ' +
    'catch-up here (one process at a time). --once runs what is due now, deliveries and ' +
    'catch-ups, and exits (for cron).',
  options: {
    once: { type: 'boolean', description: 'run the deliveries due now, then exit' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    const once = values.once === true;
    return withPayments(
      async (pay, { settings }) => {
        requireReceivers(pay, 'the worker');
        if (once) {
          let total = 0;
          // Batches until nothing is due: a failure reschedules its delivery into the future.
          for (
            let ran = await pay.runDueDeliveries();
            ran > 0;
            ran = await pay.runDueDeliveries()
          ) {
            total += ran;
          }
          out.line(`Ran ${total} due deliver${total === 1 ? 'y' : 'ies'}.`);
          const synced = await pay.runDueSyncs();
          if (synced.length > 0) out.line(`Ran the periodic sync of ${synced.join(', ')}.`);
          return 0;
        }
        pay.on('delivery.succeeded', ({ event, receiver, attempt }) => {
          out.line(`succeeded  #${event.id} ${event.eventId}  ${receiver}  (attempt ${attempt})`);
        });
        pay.on('delivery.failed', ({ event, receiver, attempt, nextAttemptAt }) => {
          out.line(
            `failed     #${event.id} ${event.eventId}  ${receiver}  (attempt ${attempt}; next ${formatDate(nextAttemptAt)})`,
          );
        });
        pay.on('delivery.dead', ({ event, receiver, attempt }) => {
          out.line(
            `dead       #${event.id} ${event.eventId}  ${receiver}  (attempt ${attempt}, the last)`,
          );
        });
        pay.on('sync.completed', ({ variant, since, result }) => {
          out.line(
            `synced     ${variant} since ${formatDate(since)}: ${result.fetched} fetched, ${result.stored} stored, ${result.duplicates} already stored`,
          );
        });
        pay.on('sync.failed', ({ variant, error }) => {
          out.line(
            `sync failed ${variant}: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
        const poll =
          typeof settings.worker === 'object' ? (settings.worker.pollIntervalMs ?? 1000) : 1000;
        const receivers = pay.registry.list().map((r) => r.name);
        // The worker's timers do not keep a process alive (an app's server does); this one must.
        const keepAlive = setInterval(() => {}, 1 << 30);
        out.line(
          `Worker running: polling every ${poll} ms; ${receivers.length} receiver${receivers.length === 1 ? '' : 's'} ` +
            `(${receivers.join(', ')}). Ctrl-C to stop.`,
        );
        const signal = await untilSignal(() => {
          out.info('Second signal: exiting without waiting.');
          process.exit(1);
        });
        out.line(`${signal}: stopping, waiting for running receivers…`);
        clearInterval(keepAlive);
        await pay.close();
        out.line('Worker stopped.');
        return 0;
      },
      { store: 'run', worker: !once },
    );
  },
};
