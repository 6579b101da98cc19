/** The overview: the last 24 hours by variant and outcome, requests per hour, deliveries to mind. */
import type { SilentVariant } from '../../alerts/silence.js';
import type { PausedReceiver } from '../../types.js';
import { href, html } from '../html.js';
import type { Overview } from '../queries.js';
import { requestsChart } from './chart.js';
import { actionForm, badge, count, table, time, type ViewContext } from './parts.js';

/** What the overview shows beside the counts. */
export interface OverviewExtras {
  /** The configured variants (shown even without traffic). */
  variants: readonly string[];
  /** Whether requests are logged (`requestLog: false` turns it off). */
  requestLog: boolean;
  /** The paused receivers, as stored. */
  paused: readonly PausedReceiver[];
  /** The registered receivers, for the pause form. */
  receivers: readonly string[];
  /** The variants with `expectEvery` that are silent now. */
  silent: readonly SilentVariant[];
}

interface VariantRow {
  requests: number;
  refused: number;
  events: Record<string, number>;
}

function card(label: string, value: number, link: string, tone: string): ReturnType<typeof html> {
  return html`<a class="card ${value > 0 ? tone : ''}" href="${link}"><div class="value">${count(value)}</div><div class="label">${label}</div></a>`;
}

/**
 * The paused receivers, each with a Resume button, and a form to pause one (its deliveries then
 * wait, pending, on every instance).
 */
function pausedSection(
  view: ViewContext,
  paused: readonly PausedReceiver[],
  receivers: readonly string[],
): ReturnType<typeof html> {
  const names = new Set(paused.map((p) => p.receiver));
  const running = receivers.filter((name) => !names.has(name));
  const list =
    paused.length === 0
      ? html`<p class="empty">None: every receiver runs.</p>`
      : html`<ul>${paused.map(
          (p) =>
            html`<li><span class="mono">${p.receiver}</span> since ${time(p.pausedAt, view.now)}${
              p.reason === null ? '' : html` <span class="muted">(${p.reason})</span>`
            } ${actionForm(view, '/receivers/resume', {
              button: 'Resume',
              back: '/',
              label: `Resume ${p.receiver}`,
              fields: html`<input type="hidden" name="receiver" value="${p.receiver}">`,
            })}</li>`,
        )}</ul>`;
  const form =
    running.length === 0
      ? ''
      : actionForm(view, '/receivers/pause', {
          button: 'Pause',
          back: '/',
          className: 'filters',
          fields: html`<label>Receiver <select name="receiver">${running.map(
            (name) => html`<option value="${name}">${name}</option>`,
          )}</select></label>
<label>Reason <input type="text" name="reason" maxlength="255" placeholder="optional"></label>`,
        });
  return html`<h2>Paused receivers</h2>${list}${form}`;
}

/** `6 h`, `90 min`, `2 d`. */
function span(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/** One line per silent variant: no valid webhook for longer than its `expectEvery`. */
function silentSection(view: ViewContext, silent: readonly SilentVariant[]) {
  if (silent.length === 0) return '';
  return html`<div class="notice error" role="alert"><strong>Silent variants</strong><ul>${silent.map(
    (s) =>
      html`<li><a href="${href(`${view.base}/requests`, { variant: s.variant })}">${s.variant}</a>: no valid webhook since ${
        s.lastWebhookAt === null
          ? html`it is watched (none ever came)`
          : time(s.lastWebhookAt, view.now)
      }; one is expected every ${span(s.expectEvery)}. Check the endpoint at the provider.</li>`,
  )}</ul></div>`;
}

/** The overview page's body. */
export function overviewView(view: ViewContext, data: Overview, extras: OverviewExtras) {
  const { base } = view;
  const variants = new Map<string, VariantRow>();
  const row = (variant: string): VariantRow => {
    let entry = variants.get(variant);
    if (entry === undefined) {
      entry = { requests: 0, refused: 0, events: {} };
      variants.set(variant, entry);
    }
    return entry;
  };
  for (const variant of extras.variants) row(variant);
  for (const r of data.requests) {
    const entry = row(r.variant);
    entry.requests += r.count;
    if (!r.valid) entry.refused += r.count;
  }
  for (const e of data.events) {
    const entry = row(e.variant);
    entry.events[e.status] = (entry.events[e.status] ?? 0) + e.count;
  }
  const statuses = ['processed', 'pending', 'failed', 'ignored'] as const;
  const variantRows = [...variants].map(([variant, r]) => {
    const stored = statuses.reduce((n, s) => n + (r.events[s] ?? 0), 0);
    const cells = statuses.map((status) => {
      const n = r.events[status] ?? 0;
      return html`<td class="num">${n === 0 ? html`<span class="muted">0</span>` : html`<a href="${href(`${base}/events`, { variant, status })}">${count(n)}</a>`}</td>`;
    });
    return html`<tr><th scope="row">${variant}</th>
<td class="num"><a href="${href(`${base}/requests`, { variant })}">${count(r.requests)}</a></td>
<td class="num">${r.refused === 0 ? html`<span class="muted">0</span>` : html`<a href="${href(`${base}/requests`, { variant, valid: 'no' })}">${count(r.refused)}</a>`}</td>
<td class="num">${count(stored)}</td>${cells}</tr>`;
  });
  const refusedRows = data.requests
    .filter((r) => !r.valid)
    .sort((a, b) => b.count - a.count)
    .map(
      (
        r,
      ) => html`<tr><td>${r.variant}</td><td>${badge(String(r.statusCode))}</td><td class="mono">${r.error ?? '-'}</td>
<td class="num"><a href="${href(`${base}/requests`, { variant: r.variant, status: r.statusCode, valid: 'no' })}">${count(r.count)}</a></td></tr>`,
    );
  const d = data.deliveries;
  const paused = pausedSection(view, extras.paused, extras.receivers);
  return html`<h1>Overview <small>the last 24 hours, since ${time(data.since, view.now)}</small></h1>
${silentSection(view, extras.silent)}
<div class="cards">
${card('deliveries due now', d.due, `${base}/deliveries?status=failed`, 'warn')}
${card('failed, to be retried', d.failed, `${base}/deliveries?status=failed`, 'bad')}
${card('dead', d.dead, `${base}/deliveries?status=dead`, 'dead')}
${card('running', d.running, `${base}/events?status=pending`, '')}
</div>
${paused}
<h2>Requests per hour</h2>
${extras.requestLog ? requestsChart(data.hourly) : html`<p class="empty">The request log is off (requestLog: false): no requests are recorded.</p>`}
<h2>By variant</h2>
${table(
  [
    'Variant',
    ['Requests', 'num'],
    ['Refused', 'num'],
    ['Events stored', 'num'],
    ['Processed', 'num'],
    ['Pending', 'num'],
    ['Failed', 'num'],
    ['Ignored', 'num'],
  ],
  variantRows,
  'No variants.',
)}
<h2>Refused requests</h2>
${table(['Variant', 'Status', 'Error', ['Count', 'num']], refusedRows, 'None in the last 24 hours.')}`;
}
