/** Failed and dead deliveries, by receiver, with retry buttons beside them (Sidekiq's retries tab). */
import { type Html, href, html } from '../html.js';
import type { DeliveryRow, Page, ReceiverTroubles } from '../queries.js';
import {
  actionForm,
  badge,
  count,
  errorText,
  pager,
  table,
  time,
  type ViewContext,
} from './parts.js';

/** The list's filter. */
export interface DeliveryListFilter {
  status: 'failed' | 'dead';
  receiver?: string | undefined;
}

/** The deliveries page. */
export function deliveriesView(
  view: ViewContext,
  troubles: readonly ReceiverTroubles[],
  filter: DeliveryListFilter,
  page: Page<DeliveryRow>,
  retryBatch: number,
): Html {
  const { base } = view;
  const back = href('/deliveries', { status: filter.status, receiver: filter.receiver });
  const summary = troubles.map(
    (t) => html`<tr><th scope="row" class="mono">${t.receiver}</th>
<td class="num">${t.failed === 0 ? html`<span class="muted">0</span>` : html`<a href="${href(`${base}/deliveries`, { status: 'failed', receiver: t.receiver })}">${count(t.failed)}</a>`}</td>
<td>${time(t.nextAttemptAt, view.now)}</td>
<td class="num">${t.dead === 0 ? html`<span class="muted">0</span>` : html`<a href="${href(`${base}/deliveries`, { status: 'dead', receiver: t.receiver })}">${count(t.dead)}</a>`}</td>
<td>${
      t.dead === 0
        ? ''
        : actionForm(view, '/deliveries/retry-dead', {
            button:
              t.dead > retryBatch ? `Retry ${count(retryBatch)} dead now` : 'Retry all dead now',
            back,
            fields: html`<input type="hidden" name="receiver" value="${t.receiver}">`,
            label: `Retry the dead deliveries of ${t.receiver} now`,
          })
    }</td></tr>`,
  );
  const tab = (status: 'failed' | 'dead', label: string) =>
    status === filter.status
      ? html`<strong>${label}</strong>`
      : html`<a href="${href(`${base}/deliveries`, { status, receiver: filter.receiver })}">${label}</a>`;
  const rows = page.rows.map(
    (d) => html`<tr id="delivery-${d.id}"><td class="num">${d.id}</td>
<td><a href="${base}/events/${d.event}">#${d.event}</a> <span class="mono">${d.eventId}</span></td>
<td class="mono">${d.eventType}</td><td>${d.variant}</td><td class="mono">${d.receiver}</td><td>${badge(d.status)}</td>
<td class="num">${d.attempts}</td><td>${d.status === 'dead' ? time(d.completedAt, view.now) : time(d.nextAttemptAt, view.now)}</td>
<td>${errorText(d.lastError)}</td>
<td>${actionForm(view, `/deliveries/${d.id}/retry`, { button: 'Retry now', back, label: `Retry delivery ${d.id} now` })}</td></tr>`,
  );
  return html`<h1>Failed and dead deliveries</h1>
<h2>By receiver</h2>
${table(
  ['Receiver', ['Failed', 'num'], 'Next retry', ['Dead', 'num'], ''],
  summary,
  'No failed or dead deliveries.',
)}
<h2>${tab('dead', 'Dead')} · ${tab('failed', 'Failed, to be retried')}${
    filter.receiver === undefined
      ? ''
      : html` <small>of <span class="mono">${filter.receiver}</span> · <a href="${href(`${base}/deliveries`, { status: filter.status })}">every receiver</a></small>`
  }</h2>
${table(
  [
    ['ID', 'num'],
    'Event',
    'Type',
    'Variant',
    'Receiver',
    'Status',
    ['Attempts', 'num'],
    filter.status === 'dead' ? 'Died' : 'Next attempt',
    'Last error',
    '',
  ],
  rows,
  filter.status === 'dead' ? 'No dead deliveries.' : 'No failed deliveries.',
)}
${pager(page, `${base}/deliveries`, { status: filter.status, receiver: filter.receiver })}`;
}
