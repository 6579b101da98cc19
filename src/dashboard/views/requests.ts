/** The request log, refused requests included, and one logged request. */
import type { RequestLogEntry } from '../../types.js';
import { type Html, html } from '../html.js';
import type { Page } from '../queries.js';
import { headersList, requestHeaders, requestRow } from './events.js';
import { badge, count, pager, table, time, type ViewContext } from './parts.js';

/** The request list's filter, as the form and the links carry it. */
export interface RequestListFilter {
  variant?: string | undefined;
  /** `yes` (accepted) or `no` (refused). */
  valid?: 'yes' | 'no' | undefined;
  /** An HTTP status code. */
  status?: string | undefined;
  /** `1h`, `24h` or `7d`: received since then. */
  since?: string | undefined;
}

/** The requests page. */
export function requestsView(
  view: ViewContext,
  variants: readonly string[],
  filter: RequestListFilter,
  page: Page<RequestLogEntry>,
  requestLog: boolean,
): Html {
  const { base } = view;
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
  return html`<h1>Requests <small>every POST to a variant, refused ones included</small></h1>
${requestLog ? '' : html`<p class="notice error">The request log is off (requestLog: false): new requests are not recorded.</p>`}
<form class="filters" method="get" action="${base}/requests">
<label>Variant<select name="variant">${option('', 'any', filter.variant ?? '')}${variants.map((v) => option(v, v, filter.variant))}</select></label>
<label>Outcome<select name="valid">${option('', 'any', filter.valid ?? '')}${option('yes', 'accepted', filter.valid)}${option('no', 'refused', filter.valid)}</select></label>
<label>Status code<input type="text" name="status" value="${filter.status ?? ''}" inputmode="numeric" size="5" placeholder="400"></label>
<label>Received<select name="since">${option('', 'any time', filter.since ?? '')}${option('1h', 'in the last hour', filter.since)}${option('24h', 'in the last 24 hours', filter.since)}${option('7d', 'in the last 7 days', filter.since)}</select></label>
<button type="submit" class="primary">Filter</button>
<a href="${base}/requests">Reset</a>
</form>
${table(
  requestHeaders(true),
  page.rows.map((r) => requestRow(view, r, true)),
  'No requests match.',
)}
${pager(page, `${base}/requests`, { ...filter })}`;
}

/** One logged request: its outcome, its headers as stored (redacted), its body as stored. */
export function requestView(view: ViewContext, r: RequestLogEntry): Html {
  const truncated =
    r.body !== null && r.bodySize !== null && Buffer.byteLength(r.body) < r.bodySize;
  const body =
    r.body === null
      ? html`<p class="empty">Not read (the request was refused before its body was read).</p>`
      : html`<pre class="body"><code>${r.body}</code></pre>${
          truncated
            ? html`<p class="muted">Truncated: the first ${count(Buffer.byteLength(r.body))} of ${count(r.bodySize ?? 0)} bytes were kept (requestLog.maxBody).</p>`
            : ''
        }`;
  return html`<h1>Request #${r.id} <small>${r.valid ? 'accepted' : 'refused'}</small></h1>
<dl class="fields">
<dt>Received</dt><dd>${time(r.receivedAt, view.now)}</dd>
<dt>Variant</dt><dd>${r.variant}</dd>
<dt>From</dt><dd class="mono">${r.remoteIp ?? '-'}</dd>
<dt>Answer</dt><dd>${badge(String(r.statusCode))} ${r.valid ? badge('valid') : html`<span class="badge s-refused">refused</span>`}</dd>
<dt>Error</dt><dd class="mono">${r.error ?? '-'}</dd>
<dt>Event</dt><dd>${r.event === null ? '-' : html`<a href="${view.base}/events/${r.event}">#${r.event}</a>`}</dd>
<dt>Duration</dt><dd>${r.durationMs} ms</dd>
<dt>Body size</dt><dd>${r.bodySize === null ? '-' : `${count(r.bodySize)} bytes`}</dd>
</dl>
<h2>Headers <small>secrets redacted when stored</small></h2>
${headersList(r.headers)}
<h2>Body</h2>
${body}`;
}
