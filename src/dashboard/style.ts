/**
 * The dashboard's only asset: its stylesheet, inlined in every page and allowed by the
 * Content-Security-Policy through its SHA-256 (no `unsafe-inline`, no file to serve or cache).
 * Pages use classes only: a `style` attribute would be blocked by that policy.
 */
import { createHash } from 'node:crypto';

/** The stylesheet. */
export const STYLESHEET = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa;
  --accent: #0b5cad; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --dead: #6e2c9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: #fff; }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 24px; padding: 10px 24px;
  background: #24292f; color: #fff; }
header .title { font-weight: 600; font-size: 16px; color: #fff; }
header nav { display: flex; gap: 16px; }
header nav a { color: #d0d7de; }
header nav a[aria-current="page"] { color: #fff; font-weight: 600; }
main { padding: 16px 24px 40px; max-width: 1280px; }
h1 { font-size: 20px; margin: 8px 0 16px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
h1 small, h2 small { color: var(--muted); font-weight: normal; font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; overflow-wrap: anywhere; }
time { white-space: nowrap; }
tr:hover td { background: #fbfcfd; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  overflow: auto; max-height: 560px; margin: 4px 0 12px; font-size: 12.5px; white-space: pre-wrap;
  word-break: break-word; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card .value { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); }
.card.bad .value { color: var(--bad); }
.card.dead .value { color: var(--dead); }
.card.warn .value { color: var(--warn); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.s-processed, .s-succeeded, .s-valid { color: var(--ok); }
.s-pending, .s-running, .s-deferred { color: var(--warn); }
.s-failed, .s-refused { color: var(--bad); }
.s-dead { color: var(--dead); }
.s-ignored, .s-skipped, .s-stale, .s-paused { color: var(--muted); }
.muted { color: var(--muted); }
.notice { padding: 10px 14px; border-radius: 6px; margin: 0 0 16px; border: 1px solid; }
.notice.ok { color: #0f5323; background: #dafbe1; border-color: #aceebb; }
.notice.error { color: #82071e; background: #ffebe9; border-color: #ffcecb; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin: 0 0 12px;
  padding: 10px 12px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; color: var(--fg); }
button { cursor: pointer; background: var(--bg); font-weight: 500; }
button:hover { border-color: var(--muted); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
form.inline { display: inline; margin: 0; }
form.action { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0 16px; }
.pager { display: flex; gap: 16px; margin: 8px 0; }
.chart { margin: 4px 0 4px; max-width: 960px; }
.chart svg { width: 100%; height: auto; display: block; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-bottom: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 4px; }
.swatch.valid { background: #2da44e; }
.swatch.refused { background: #cf222e; }
details > summary { cursor: pointer; }
.empty { color: var(--muted); padding: 12px 0; }
`;

/** The `style-src` source that allows exactly {@link STYLESHEET}. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;
