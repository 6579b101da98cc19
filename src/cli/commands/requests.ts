/**
 * `koa-payments requests list` and `koa-payments requests show <id>`: the request log, refused
 * requests included, as tables or JSON. The first-day question, "why does the provider say my
 * endpoint answers 400?", is answered by `requests list --invalid` and `requests show`.
 */
import type { RequestFilter, RequestLogEntry } from '../../types.js';
import { parseCount, parseSince } from '../args.js';
import { type Command, stringValue } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { type Column, formatDate, type Output } from '../output.js';

const COLUMNS: Column<RequestLogEntry>[] = [
  { header: 'ID', value: (r) => String(r.id) },
  { header: 'RECEIVED', value: (r) => formatDate(r.receivedAt) },
  { header: 'VARIANT', value: (r) => r.variant, max: 20 },
  { header: 'FROM', value: (r) => r.remoteIp ?? '-' },
  { header: 'STATUS', value: (r) => String(r.statusCode) },
  { header: 'VALID', value: (r) => (r.valid ? 'yes' : 'no') },
  { header: 'EVENT', value: (r) => (r.event === null ? '-' : String(r.event)) },
  { header: 'MS', value: (r) => String(r.durationMs) },
  { header: 'ERROR', value: (r) => r.error ?? '-', max: 48 },
];

/** What an error code of a refused request usually means (docs/errors.md has the long form). */
const HINTS: Record<string, string> = {
  'invalid_signature:missing_signature':
    'the signature header was missing: the request did not come from the provider, or a proxy dropped the header',
  'invalid_signature:malformed_signature':
    'the signature header could not be parsed: the request did not come from the provider',
  'invalid_signature:no_matching_signature':
    "no signature matched the variant's secret: check it is this endpoint's signing secret (test or live, not an API key), and that nothing parsed and re-serialised the body before koa-payments",
  'invalid_signature:timestamp_out_of_tolerance':
    "the signed timestamp was too old or in the future: an old request replayed, or this server's clock is off",
  'invalid_signature:invalid_payload':
    'the signature was valid but the body was not an event koa-payments can read (no id or type)',
  'invalid_signature:ip_not_allowed': "the sender's address is not in the variant's allow-list",
  invalid_signature: 'the body could not be read completely',
  payload_too_large: 'the body was larger than bodyLimit',
  raw_body_unavailable:
    'a body parser consumed the body before koa-payments: mount pay.middleware before it',
  store_unavailable: 'the database was unavailable or busy; the provider retries',
  receiver_failed: 'an atomic receiver threw, and the storing transaction was rolled back',
  internal_error: 'an unexpected error; the app log has it',
};

export const requestsList: Command = {
  name: 'requests list',
  summary: 'list the request log, refused requests included',
  args: '',
  description:
    'Lists the logged requests (every POST to a variant, accepted or refused), newest first, as ' +
    'a table (or JSON with --json). `--invalid` shows only the refused ones, with their error ' +
    'codes; `requests show <id>` tells more about one.',
  options: {
    invalid: { type: 'boolean', description: 'only refused requests' },
    variant: { type: 'string', value: '<variant>', description: 'only this variant' },
    status: { type: 'string', value: '<code>', description: 'only this HTTP status (e.g. 400)' },
    since: {
      type: 'string',
      value: '<when>',
      description: 'received since a date (2024-05-01) or a duration back from now (24h, 7d)',
    },
    limit: { type: 'string', value: '<n>', description: 'at most n requests (default 50)' },
    json: { type: 'boolean', description: 'print JSON (headers and bodies included)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, out, withPayments }) {
    const filter: RequestFilter = { limit: 50 };
    if (values.invalid === true) filter.valid = false;
    const variant = stringValue(values, 'variant');
    if (variant !== undefined) filter.variant = variant;
    const status = stringValue(values, 'status');
    if (status !== undefined) {
      if (!/^[1-5]\d\d$/.test(status)) {
        throw new UsageError(
          `--status expects an HTTP status code such as 400, got '${status}'`,
          'requests list',
        );
      }
      filter.statusCode = Number(status);
    }
    const since = stringValue(values, 'since');
    if (since !== undefined) filter.since = parseSince(since, 'requests list');
    const limit = stringValue(values, 'limit');
    if (limit !== undefined) {
      filter.limit = parseCount(limit, '--limit', 'requests list', 100_000);
    }
    return withPayments(
      async (pay) => {
        const lines = await pay.requests.list(filter);
        if (values.json === true) out.json(lines);
        else if (lines.length === 0) out.line('No requests.');
        else out.table(COLUMNS, lines);
        return 0;
      },
      { store: 'read' },
    );
  },
};

/** Prints one logged request: its outcome (with what it usually means), headers and body. */
export function printRequest(out: Output, r: RequestLogEntry): void {
  out.line(`Request ${r.id}  ${r.valid ? 'accepted' : 'refused'} (${r.statusCode})`);
  const fields: [string, string][] = [
    ['variant', r.variant],
    ['received', formatDate(r.receivedAt)],
    ['from', r.remoteIp ?? '-'],
    ['status', String(r.statusCode)],
    ['error', r.error ?? '-'],
    ['event', r.event === null ? '-' : `${r.event} (koa-payments events show ${r.event})`],
    ['duration', `${r.durationMs} ms`],
    ['body size', r.bodySize === null ? '-' : `${r.bodySize} bytes`],
  ];
  for (const [name, value] of fields) out.line(`  ${name.padEnd(10)} ${value}`);
  const hint = r.error === null ? undefined : HINTS[r.error];
  if (hint !== undefined) {
    out.line();
    out.line(`  Usually: ${hint}.`);
  }
  out.line();
  out.line('Headers (as stored: secrets redacted)');
  const names = Object.keys(r.headers).sort();
  if (names.length === 0) out.line('  none');
  for (const name of names) {
    const value = r.headers[name];
    out.line(`  ${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  }
  out.line();
  if (r.body === null) {
    out.line('Body: not read (the request was refused before its body was read)');
    return;
  }
  const kept = Buffer.byteLength(r.body);
  out.line(
    r.bodySize !== null && kept < r.bodySize
      ? `Body (the first ${kept} of ${r.bodySize} bytes, as stored: requestLog.maxBody)`
      : 'Body (as stored)',
  );
  out.line(
    r.body
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}

export const requestsShow: Command = {
  name: 'requests show',
  summary: 'show a logged request: outcome, headers, body',
  args: '<id>',
  description:
    'Shows one logged request: when and from where it came, how it was answered and why (with ' +
    'what the error code usually means), its headers as stored (secrets redacted) and its body ' +
    'as stored (truncated to requestLog.maxBody). <id> is the ID column of `requests list`.',
  options: {
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const id = positionals[0] as string;
    if (!/^\d{1,15}$/.test(id)) {
      throw new UsageError(
        `<id> is a request's row id (the ID column of requests list), got '${id}'`,
        'requests show',
      );
    }
    return withPayments(
      async (pay) => {
        const entry = await pay.requests.get(Number(id));
        if (entry === undefined) {
          throw new CliFailure(`no logged request ${id} (see \`koa-payments requests list\`)`);
        }
        if (values.json === true) out.json(entry);
        else printRequest(out, entry);
        return 0;
      },
      { store: 'read' },
    );
  },
};
