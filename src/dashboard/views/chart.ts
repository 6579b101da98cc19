/**
 * Requests per hour as an inline SVG bar chart (accepted below, refused stacked on top). Plain
 * markup with presentation attributes: no script, no `style` attribute (the CSP forbids both),
 * a `<title>` per bar for its numbers on hover, and a summary for screen readers.
 */
import { type Html, html } from '../html.js';
import type { Overview } from '../queries.js';
import { count } from './parts.js';

const WIDTH = 960;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;
const VALID = '#2da44e';
const REFUSED = '#cf222e';

/** The smallest of 2, 4, 6, 8, 10, 20, 30, 40, 60, 80, 100, ... at or above `n`: the axis's top. */
function niceCeiling(n: number): number {
  if (n <= 2) return 2;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 3, 4, 6, 8]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

function hourLabel(date: Date): string {
  return `${String(date.getUTCHours()).padStart(2, '0')}:00`;
}

/** The chart of `hourly` (24 buckets, oldest first). */
export function requestsChart(hourly: Overview['hourly']): Html {
  const totals = hourly.map((h) => h.valid + h.refused);
  const top = niceCeiling(Math.max(0, ...totals));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / hourly.length;
  const barWidth = Math.max(2, slot * 0.72);
  const y = (n: number) => TOP + plotHeight - (n / top) * plotHeight;
  const grid = [0, top / 2, top].map(
    (
      n,
    ) => html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(n)}" y2="${y(n)}" stroke="#d1d9e0" stroke-width="1"/>
<text x="${LEFT - 6}" y="${y(n) + 4}" text-anchor="end" font-size="11" fill="#59636e">${count(n)}</text>`,
  );
  const bars = hourly.map((h, i) => {
    const x = LEFT + i * slot + (slot - barWidth) / 2;
    const validTop = y(h.valid);
    const refusedTop = y(h.valid + h.refused);
    const label = `${hourLabel(h.start)}–${hourLabel(new Date(h.start.getTime() + 3_600_000))} UTC: ${count(h.valid)} accepted, ${count(h.refused)} refused`;
    return html`<g class="bar"><title>${label}</title>
<rect x="${x.toFixed(1)}" y="${validTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(TOP + plotHeight - validTop).toFixed(1)}" fill="${VALID}"/>
<rect x="${x.toFixed(1)}" y="${refusedTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(validTop - refusedTop).toFixed(1)}" fill="${REFUSED}"/>
${i % 3 === 0 ? html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#59636e">${hourLabel(h.start)}</text>` : ''}</g>`;
  });
  const accepted = hourly.reduce((n, h) => n + h.valid, 0);
  const refused = hourly.reduce((n, h) => n + h.refused, 0);
  const summary = `Requests per hour over the last 24 hours (UTC): ${count(accepted)} accepted, ${count(refused)} refused.`;
  return html`<figure class="chart">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title">
<title id="chart-title">${summary}</title>
${grid}${bars}
</svg>
<figcaption class="legend"><span><span class="swatch valid"></span>accepted ${count(accepted)}</span><span><span class="swatch refused"></span>refused ${count(refused)}</span><span>hours in UTC</span></figcaption>
</figure>`;
}
