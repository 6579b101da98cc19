/**
 * Failed and dead deliveries, by receiver, with retry buttons beside them (Sidekiq's retries tab),
 * and the skipped ones (a `skipStale` receiver of a stale event) with a button to run one anyway.
 */
import { type Html, href, html } from '../html.js';
import type { DeliveryRow, Page, ReceiverTroubles } from '../queries.js';
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

/** The statuses the list shows, one tab each. */
export const LISTED_DELIVERY_STATUSES = ['dead', 'failed', 'skipped'] as const;
export type ListedDeliveryStatus = (typeof LISTED_DELIVERY_STATUSES)[number];

/** Per tab: its label, the heading of its time column, and what an empty list says. */
const TABS: Record<ListedDeliveryStatus, { label: string; when: string; empty: string }> = {
  dead: { label: 'Dead', when: 'Died', empty: 'No dead deliveries.' },
  failed: { label: 'Failed, to be retried', when: 'Next attempt', empty: 'No failed deliveries.' },
  skipped: {
    label: 'Skipped (stale events)',
    when: 'Skipped',
    empty: 'No skipped deliveries.',
  },
};

/** The list's filter. */
export interface DeliveryListFilter {
  status: ListedDeliveryStatus;
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
  const tab = (status: ListedDeliveryStatus) =>
    status === filter.status
      ? html`<strong>${TABS[status].label}</strong>`
      : html`<a href="${href(`${base}/deliveries`, { status, receiver: filter.receiver })}">${TABS[status].label}</a>`;
  const rows = page.rows.map(
    (d) => html`<tr id="delivery-${d.id}"><td class="num">${d.id}</td>
<td><a href="${base}/events/${d.event}">#${d.event}</a> <span class="mono">${d.eventId}</span></td>
<td class="mono">${d.eventType}</td><td>${d.variant}</td><td class="mono">${d.receiver}</td><td>${badge(d.status)}</td>
<td class="num">${d.attempts}</td><td>${d.status === 'failed' ? time(d.nextAttemptAt, view.now) : time(d.completedAt, view.now)}</td>
<td>${errorText(d.lastError)}</td>
<td>${
      d.status === 'skipped'
        ? runAnywayForm(view, d, back)
        : actionForm(view, `/deliveries/${d.id}/retry`, {
            button: 'Retry now',
            back,
            label: `Retry delivery ${d.id} now`,
          })
    }</td></tr>`,
  );
  return html`<h1>Failed and dead deliveries</h1>
<h2>By receiver</h2>
${table(
  ['Receiver', ['Failed', 'num'], 'Next retry', ['Dead', 'num'], ''],
  summary,
  'No failed or dead deliveries.',
)}
<h2>${tab('dead')} · ${tab('failed')} · ${tab('skipped')}${
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
    TABS[filter.status].when,
    'Last error',
    '',
  ],
  rows,
  TABS[filter.status].empty,
)}
${pager(page, `${base}/deliveries`, { status: filter.status, receiver: filter.receiver })}`;
}
