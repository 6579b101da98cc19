/**
 * `koa-payments events list` and `koa-payments events show <id>`: the stored events, their
 * deliveries and their request-log lines, as tables or JSON.
 */
import type {
  Delivery,
  EventDetails,
  EventFilter,
  EventStatus,
  PausedReceiver,
  RequestLogEntry,
  StoredEvent,
} from '../../types.js';
import { parseCount, parseList, parseSince } from '../args.js';
import { type Command, findEvent, stringValue } from '../command.js';
import { type Column, formatDate, type Output } from '../output.js';

/** The first line of a stored error (its message; the stack follows). */
function firstLine(text: string | null): string {
  return (text ?? '').split('\n')[0] ?? '';
}

const STATUSES: readonly EventStatus[] = ['pending', 'processed', 'failed', 'ignored'];

const EVENT_COLUMNS: Column<StoredEvent>[] = [
  { header: 'ID', value: (e) => String(e.id) },
  { header: 'RECEIVED', value: (e) => formatDate(e.receivedAt) },
  { header: 'VARIANT', value: (e) => e.variant, max: 20 },
  { header: 'TYPE', value: (e) => e.type, max: 40 },
  { header: 'EVENT ID', value: (e) => e.eventId, max: 48 },
  { header: 'STATUS', value: (e) => (e.stale ? `${e.status} (stale)` : e.status) },
];

/** A delivery whose receiver threw RetryLater: pending, with the reason. */
function isDeferred(d: Delivery): boolean {
  return d.status === 'pending' && d.deferredReason !== null;
}

const DELIVERY_COLUMNS: Column<Delivery>[] = [
  { header: 'RECEIVER', value: (d) => d.receiver, max: 40 },
  { header: 'STATUS', value: (d) => (isDeferred(d) ? 'deferred' : d.status) },
  { header: 'ATTEMPTS', value: (d) => String(d.attempts) },
  { header: 'NEXT ATTEMPT', value: (d) => formatDate(d.nextAttemptAt) },
  { header: 'COMPLETED', value: (d) => formatDate(d.completedAt) },
  { header: 'LAST ERROR', value: (d) => firstLine(d.lastError) || '-', max: 70 },
];

const REQUEST_COLUMNS: Column<RequestLogEntry>[] = [
  { header: 'ID', value: (r) => String(r.id) },
  { header: 'RECEIVED', value: (r) => formatDate(r.receivedAt) },
  { header: 'FROM', value: (r) => r.remoteIp ?? '-' },
  { header: 'STATUS', value: (r) => String(r.statusCode) },
  { header: 'VALID', value: (r) => (r.valid ? 'yes' : 'no') },
  { header: 'BYTES', value: (r) => (r.bodySize === null ? '-' : String(r.bodySize)) },
  { header: 'MS', value: (r) => String(r.durationMs) },
  { header: 'ERROR', value: (r) => r.error ?? '-' },
];

export const eventsList: Command = {
  name: 'events list',
  summary: 'list stored events, newest first',
  args: '',
  description: 'Lists the stored events, newest first, as a table (or JSON with --json).',
  options: {
    status: {
      type: 'string',
      value: '<status>',
      description: `only these statuses, comma-separated: ${STATUSES.join(', ')}`,
    },
    type: { type: 'string', value: '<type>', description: 'only this event type' },
    variant: { type: 'string', value: '<variant>', description: 'only this variant' },
    since: {
      type: 'string',
      value: '<when>',
      description: 'received since a date (2024-05-01) or a duration back from now (24h, 7d)',
    },
    limit: { type: 'string', value: '<n>', description: 'at most n events (default 50)' },
    json: { type: 'boolean', description: 'print JSON (payloads included)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    const filter: EventFilter = { limit: 50 };
    const status = stringValue(values, 'status');
    if (status !== undefined)
      filter.status = parseList(status, STATUSES, '--status', 'events list');
    const type = stringValue(values, 'type');
    if (type !== undefined) filter.type = type;
    const variant = stringValue(values, 'variant');
    if (variant !== undefined) filter.variant = variant;
    const since = stringValue(values, 'since');
    if (since !== undefined) filter.since = parseSince(since, 'events list');
    const limit = stringValue(values, 'limit');
    if (limit !== undefined) filter.limit = parseCount(limit, '--limit', 'events list', 100_000);

    return withPayments(
      async (pay) => {
        const events = await pay.events.list(filter);
        if (values.json === true) out.json(events);
        else if (events.length === 0) out.line('No events.');
        else out.table(EVENT_COLUMNS, events);
        return 0;
      },
      { store: 'read' },
    );
  },
};

/**
 * Prints one event, its deliveries and its request-log lines; a delivery of a paused receiver
 * says so.
 */
export function printEvent(
  out: Output,
  event: EventDetails,
  withPayload: boolean,
  paused: readonly PausedReceiver[] = [],
): void {
  out.line(`Event ${event.id}  ${event.eventId}`);
  const fields: [string, string][] = [
    ['variant', `${event.variant} (${event.provider})`],
    ['type', event.type],
    [
      'status',
      event.ignoredReason === null ? event.status : `${event.status} (${event.ignoredReason})`,
    ],
    ['livemode', event.livemode === null ? '-' : String(event.livemode)],
    ['received', formatDate(event.receivedAt)],
    ['created', formatDate(event.createdAt)],
    ['processed', formatDate(event.processedAt)],
    ['stale', event.stale ? 'yes: a newer event about its object was stored first' : 'no'],
  ];
  for (const [name, value] of fields) out.line(`  ${name.padEnd(10)} ${value}`);
  out.line();
  out.line(`Deliveries (${event.deliveries.length})`);
  const pausedOf = new Map(paused.map((p) => [p.receiver, p]));
  const columns: Column<Delivery>[] = DELIVERY_COLUMNS.map((column) =>
    column.header === 'STATUS'
      ? {
          ...column,
          value: (d) => {
            const status = isDeferred(d) ? 'deferred' : d.status;
            return pausedOf.has(d.receiver) ? `${status} (paused)` : status;
          },
        }
      : column,
  );
  if (event.deliveries.length > 0) out.table(columns, event.deliveries, '  ');
  else if (event.ignoredReason === 'mode_mismatch') {
    out.line("  none: the event's mode is not its variant's (the variant's mode setting)");
  } else out.line('  none: no receiver matched this event');
  if (event.deliveries.some((d) => d.status === 'skipped')) {
    out.line();
    out.line(
      '  skipped: the event is stale and these receivers have skipStale; ' +
        `\`koa-payments replay ${event.id} --receiver <name>\` runs one anyway`,
    );
  }
  for (const receiver of new Set(event.deliveries.map((d) => d.receiver))) {
    const pause = pausedOf.get(receiver);
    if (pause === undefined) continue;
    out.line();
    out.line(
      `  ${receiver} is paused (since ${formatDate(pause.pausedAt)}${pause.reason === null ? '' : `: ${pause.reason}`}): ` +
        `its deliveries wait until \`koa-payments resume ${receiver}\`.`,
    );
  }
  for (const delivery of event.deliveries) {
    if (isDeferred(delivery)) {
      out.line();
      out.line(
        `  ${delivery.receiver} is deferred (RetryLater) since ${formatDate(delivery.deferredSince)}: ${delivery.deferredReason}`,
      );
    }
    if (delivery.lastError === null || delivery.status === 'succeeded') continue;
    out.line();
    out.line(`  Last error of ${delivery.receiver}:`);
    const lines = delivery.lastError.split('\n');
    for (const line of lines.slice(0, 12)) out.line(`    ${line.trim()}`);
    if (lines.length > 12) out.line(`    … ${lines.length - 12} more lines (--json has them all)`);
  }
  out.line();
  out.line(`Requests (${event.requests.length})`);
  if (event.requests.length === 0) out.line('  none logged');
  else out.table(REQUEST_COLUMNS, event.requests, '  ');
  if (withPayload) {
    out.line();
    out.line('Payload');
    out.line(
      JSON.stringify(event.payload, null, 2)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
}

export const eventsShow: Command = {
  name: 'events show',
  summary: 'show an event with its deliveries and request-log lines',
  args: '<id>',
  description:
    'Shows one event: its fields, its deliveries (one per receiver: status, attempts, next ' +
    'attempt, last error; whether its receiver is paused) and the request-log lines of the ' +
    'requests that carried it. <id> is the ' +
    "row id (the ID column of `events list`) or the provider's event id.",
  options: {
    variant: {
      type: 'string',
      value: '<variant>',
      description: 'the variant, when several hold the same provider event id',
    },
    payload: { type: 'boolean', description: 'print the payload too' },
    json: {
      type: 'boolean',
      description: 'print JSON (payload, deliveries and requests included)',
    },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    return withPayments(
      async (pay) => {
        const event = await findEvent(
          pay,
          positionals[0] as string,
          stringValue(values, 'variant'),
        );
        const receivers = new Set(event.deliveries.map((d) => d.receiver));
        const paused = (await pay.paused()).filter((p) => receivers.has(p.receiver));
        if (values.json === true) out.json({ ...event, pausedReceivers: paused });
        else printEvent(out, event, values.payload === true, paused);
        return 0;
      },
      { store: 'read' },
    );
  },
};
