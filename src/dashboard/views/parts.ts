/** Pieces every page uses: times, status badges, pagers, tables, and the forms of actions. */
import { type Html, href, html, type Interpolation } from '../html.js';
import type { Page } from '../queries.js';

/** What every view gets. */
export interface ViewContext {
  /** The dashboard's mount path, without a trailing slash. */
  base: string;
  title: string;
  /** The CSRF token of this browser's forms. */
  csrf: string;
  now: Date;
}

/** `2024-05-01 10:00:00Z`. */
export function formatTime(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** `3 min ago`, `in 2 h`. */
export function relative(date: Date, now: Date): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const size = Math.abs(seconds);
  const [amount, unit] =
    size < 60
      ? [size, 's']
      : size < 5400
        ? [Math.round(size / 60), 'min']
        : size < 172_800
          ? [Math.round(size / 3600), 'h']
          : [Math.round(size / 86_400), 'd'];
  return seconds >= 0 ? `in ${amount} ${unit}` : `${amount} ${unit} ago`;
}

/** A timestamp, with its distance from now as a tooltip; `-` for none. */
export function time(date: Date | null, now: Date): Html {
  if (date === null) return html`<span class="muted">-</span>`;
  return html`<time datetime="${date.toISOString()}" title="${relative(date, now)}">${formatTime(date)}</time>`;
}

/** A status (of an event, a delivery or a request) as a coloured badge. */
export function badge(status: string): Html {
  return html`<span class="badge s-${status}">${status}</span>`;
}

/** Links to the newer and older pages of a list, keeping its filters. */
export function pager(
  page: Page<unknown>,
  path: string,
  filters: Readonly<Record<string, string | undefined>>,
): Html {
  const newer =
    page.newer === undefined
      ? ''
      : html`<a rel="prev" href="${href(path, { ...filters, after: page.newer })}">← Newer</a>`;
  const newest = page.newer === undefined ? '' : html`<a href="${href(path, filters)}">Newest</a>`;
  const older =
    page.older === undefined
      ? ''
      : html`<a rel="next" href="${href(path, { ...filters, before: page.older })}">Older →</a>`;
  if (newer === '' && older === '') return html``;
  return html`<nav class="pager" aria-label="Pages">${newest}${newer}${older}</nav>`;
}

/** A table with a header row, or a line saying there is nothing. */
export function table(
  headers: readonly (string | [string, 'num'])[],
  rows: readonly Interpolation[],
  empty: string,
): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  const head = headers.map((h) =>
    typeof h === 'string'
      ? html`<th scope="col">${h}</th>`
      : html`<th scope="col" class="num">${h[0]}</th>`,
  );
  return html`<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * A POST form for an action: the CSRF token, the page to come back to, the fields, a button.
 * Works without JavaScript; the result shows on the page the browser is sent back to.
 */
export function actionForm(
  view: ViewContext,
  action: string,
  options: {
    button: string;
    back: string;
    fields?: Interpolation;
    className?: string;
    primary?: boolean;
    label?: string;
  },
): Html {
  return html`<form method="post" action="${view.base}${action}" class="${options.className ?? 'inline'}">
<input type="hidden" name="_csrf" value="${view.csrf}">
<input type="hidden" name="back" value="${options.back}">${options.fields}
<button type="submit"${options.primary ? html` class="primary"` : ''}${
    options.label === undefined ? '' : html` aria-label="${options.label}"`
  }>${options.button}</button>
</form>`;
}

/**
 * The button that runs a skipped delivery anyway (a replay of its event naming its receiver):
 * a `skipStale` receiver skipped a stale event, and the operator wants it run.
 */
export function runAnywayForm(
  view: ViewContext,
  delivery: { event: number; receiver: string },
  back: string,
): Html {
  return actionForm(view, `/events/${delivery.event}/replay`, {
    button: 'Run anyway',
    back,
    fields: html`<input type="hidden" name="receiver" value="${delivery.receiver}">`,
    label: `Run ${delivery.receiver} on event #${delivery.event} anyway`,
  });
}

/** The first line of a stored error (its message; the stack follows). */
export function firstLine(text: string | null): string {
  return (text ?? '').split('\n')[0] ?? '';
}

/** A stored error: its first line, the rest folded away. */
export function errorText(text: string | null): Html {
  if (text === null || text === '') return html`<span class="muted">-</span>`;
  const first = firstLine(text);
  if (first === text) return html`<span class="mono">${text}</span>`;
  return html`<details><summary class="mono">${first}</summary><pre>${text}</pre></details>`;
}

/** `1,234`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
