/** The events list (filters, search, keyset pages) and one event with everything about it. */
import type { Delivery, EventDetails, EventStatus, RequestLogEntry } from '../../types.js';
import { type Html, html } from '../html.js';
import type { EventListFilter, EventSummary, Page } from '../queries.js';
import {
  actionForm,
  badge,
  count,
  errorText,
  pager,
  runAnywayForm,
  table,
  time,
  type ViewContext,
} from './parts.js';

/** Why an event was stored without running receivers, in words. */
const IGNORED: Record<string, string> = {
  mode_mismatch: "its live/test mode is not the variant's mode: no receiver runs it",
};

/** The statuses an event can have, for the filter. */
export const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'processed', 'failed', 'ignored'];

function options(values: readonly string[], selected: string | undefined, any: string): Html {
  return html`<option value="">${any}</option>${values.map(
    (v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`,
  )}`;
}

function eventRow(view: ViewContext, e: EventSummary): Html {
  return html`<tr><td class="num"><a href="${view.base}/events/${e.id}">${e.id}</a></td>
<td>${time(e.receivedAt, view.now)}</td><td>${e.variant}</td><td class="mono">${e.type}</td>
<td class="mono"><a href="${view.base}/events/${e.id}">${e.eventId}</a></td><td>${badge(e.status)}${e.stale ? html` ${badge('stale')}` : ''}</td></tr>`;
}

/** The events page: a filter form and a page of events, or the events a search found. */
export function eventsView(
  view: ViewContext,
  variants: readonly string[],
  filter: EventListFilter & { q?: string | undefined },
  result: { page: Page<EventSummary> } | { found: EventSummary[] },
): Html {
  const { base } = view;
  const rows = 'page' in result ? result.page.rows : result.found;
  const filters = { status: filter.status, type: filter.type, variant: filter.variant };
  const heading =
    'found' in result
      ? html`<h2>Search: <span class="mono">${filter.q}</span> <small>${count(rows.length)} found</small></h2>`
      : '';
  return html`<h1>Events</h1>
<form class="filters" method="get" action="${base}/events" role="search">
<label>Provider event id or row id<input type="search" name="q" value="${filter.q ?? ''}" size="30" placeholder="evt_…"></label>
<label>Status<select name="status">${options(EVENT_STATUSES, filter.status, 'any')}</select></label>
<label>Type<input type="text" name="type" value="${filter.type ?? ''}" placeholder="charge.succeeded"></label>
<label>Variant<select name="variant">${options(variants, filter.variant, 'any')}</select></label>
<button type="submit" class="primary">Filter</button>
<a href="${base}/events">Reset</a>
</form>
${heading}
${table(
  [['ID', 'num'], 'Received', 'Variant', 'Type', 'Event ID', 'Status'],
  rows.map((e) => eventRow(view, e)),
  'found' in result ? 'No stored event has that id.' : 'No events match.',
)}
${'page' in result ? pager(result.page, `${base}/events`, filters) : ''}`;
}

function deliveryRow(view: ViewContext, event: EventDetails, d: Delivery, paused: boolean): Html {
  const back = `/events/${event.id}`;
  // A paused receiver's delivery waits for the resume: retrying it now would be refused.
  const retry =
    !paused && (d.status === 'failed' || d.status === 'dead')
      ? actionForm(view, `/deliveries/${d.id}/retry`, {
          button: 'Retry now',
          back,
          label: `Retry ${d.receiver} now`,
        })
      : d.status === 'skipped'
        ? runAnywayForm(view, d, back)
        : '';
  // A receiver that threw RetryLater: pending, due again at nextAttemptAt, with its reason.
  const deferred = d.status === 'pending' && d.deferredReason !== null;
  const next = deferred
    ? time(d.nextAttemptAt, view.now)
    : d.status === 'running' || d.status === 'pending'
      ? html`${d.lockedUntil === null ? '' : html`leased until ${time(d.lockedUntil, view.now)}`}`
      : time(d.nextAttemptAt, view.now);
  const why = deferred
    ? html`<span class="muted">deferred since ${time(d.deferredSince, view.now)}:</span> ${d.deferredReason}`
    : errorText(d.status === 'succeeded' ? null : d.lastError);
  const shown = badge(deferred ? 'deferred' : d.status);
  const status = paused ? html`${shown} ${badge('paused')}` : shown;
  return html`<tr id="delivery-${d.id}"><td class="mono">${d.receiver}</td><td>${status}</td>
<td class="num">${d.attempts}</td><td>${next}</td><td>${time(d.completedAt, view.now)}</td>
<td>${why}</td><td>${retry}</td></tr>`;
}

/** The header of a table of {@link requestRow}s. */
export function requestHeaders(withEvent: boolean): (string | [string, 'num'])[] {
  const headers: (string | [string, 'num'])[] = [['ID', 'num'], 'Received', 'Variant', 'From'];
  headers.push('Answer', 'Error', ...(withEvent ? ['Event'] : []), ['Bytes', 'num'], ['ms', 'num']);
  return headers;
}

/** A request-log line as a row. */
export function requestRow(view: ViewContext, r: RequestLogEntry, withEvent: boolean): Html {
  return html`<tr><td class="num"><a href="${view.base}/requests/${r.id}">${r.id}</a></td>
<td>${time(r.receivedAt, view.now)}</td><td>${r.variant}</td><td class="mono">${r.remoteIp ?? '-'}</td>
<td>${badge(String(r.statusCode))} ${r.valid ? badge('valid') : html`<span class="badge s-refused">refused</span>`}</td>
<td class="mono">${r.error ?? '-'}</td>${
    withEvent
      ? html`<td>${r.event === null ? html`<span class="muted">-</span>` : html`<a href="${view.base}/events/${r.event}">#${r.event}</a>`}</td>`
      : ''
  }<td class="num">${r.bodySize === null ? '-' : count(r.bodySize)}</td><td class="num">${r.durationMs}</td></tr>`;
}

/** Headers (redacted when stored) as a definition list. */
export function headersList(headers: RequestLogEntry['headers']): Html {
  const names = Object.keys(headers).sort();
  if (names.length === 0) return html`<p class="empty">No headers.</p>`;
  return html`<dl class="fields mono">${names.map((name) => {
    const value = headers[name];
    return html`<dt>${name}</dt><dd>${Array.isArray(value) ? value.join(', ') : (value ?? '')}</dd>`;
  })}</dl>`;
}

/**
 * One event: its fields, the replay form, its deliveries (those of a `paused` receiver marked
 * so), the requests that carried it, its payload.
 */
export function eventView(
  view: ViewContext,
  event: EventDetails,
  paused: ReadonlySet<string>,
): Html {
  const back = `/events/${event.id}`;
  const replay = actionForm(view, `/events/${event.id}/replay`, {
    button: 'Replay',
    back,
    className: 'action',
    fields: html`<label for="replay-receivers">Re-run</label>
<select id="replay-receivers" name="receivers">
<option value="failed">its failed and dead deliveries</option>
<option value="all">every matching receiver, succeeded and skipped ones too</option>
</select>`,
  });
  const requests = event.requests.map(
    (r) =>
      html`${requestRow(view, r, false)}<tr><td></td><td colspan="7"><details><summary>Headers</summary>${headersList(r.headers)}</details></td></tr>`,
  );
  return html`<h1>Event #${event.id} <small class="mono">${event.eventId}</small></h1>
<dl class="fields">
<dt>Status</dt><dd>${badge(event.status)}${event.ignoredReason === null ? '' : html` <span class="muted">(${IGNORED[event.ignoredReason] ?? event.ignoredReason})</span>`}</dd>
<dt>Type</dt><dd class="mono">${event.type}</dd>
<dt>Variant</dt><dd>${event.variant} <span class="muted">(${event.provider})</span></dd>
<dt>Livemode</dt><dd>${event.livemode === null ? '-' : String(event.livemode)}</dd>
<dt>Received</dt><dd>${time(event.receivedAt, view.now)}</dd>
<dt>Created</dt><dd>${time(event.createdAt, view.now)}</dd>
<dt>Processed</dt><dd>${time(event.processedAt, view.now)}</dd>
<dt>Stale</dt><dd>${event.stale ? html`${badge('stale')} <span class="muted">(a newer event about its object was stored first: <code>skipStale</code> receivers skipped it)</span>` : 'no'}</dd>
</dl>
${replay}
<h2>Deliveries <small>${count(event.deliveries.length)}</small></h2>
${table(
  ['Receiver', 'Status', ['Attempts', 'num'], 'Next attempt', 'Completed', 'Last error', ''],
  event.deliveries.map((d) => deliveryRow(view, event, d, paused.has(d.receiver))),
  'None: no receiver matched this event when it was stored.',
)}
<h2>Requests that carried it <small>${count(event.requests.length)}</small></h2>
${table(
  requestHeaders(false),
  requests,
  'None logged (the request log is off, or its lines were pruned).',
)}
<h2>Payload</h2>
<pre class="payload"><code>${JSON.stringify(event.payload, null, 2)}</code></pre>`;
}
