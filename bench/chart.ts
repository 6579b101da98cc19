/**
 * Draws the chart of docs/performance.md from results files, as a plain SVG (no library): req/s
 * by server (the compare suite on SQLite, the Postgres suite), and req/s by stored events (the
 * scale suite, 1 KB bodies).
 *
 *   npx tsx bench/chart.ts [--compare <file>] [--scale <file>] [--postgres <file>] [--out <svg>]
 *
 * Without a file, each panel takes the newest results file of its suite in bench/results/ (for
 * compare, the newest that ran C); a suite without a results file leaves its bars out.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Median {
  server: string;
  rps: number;
}

interface Results {
  settings: { connections: number };
  summary: {
    compare?: { medians: Median[] };
    postgres?: { medians: Median[] };
    scale?: { cases: { preload: number; payload: number; medians: Median[] }[] };
  };
}

const SERVERS = ['A', 'B', 'C'] as const;
const COLOURS: Record<string, string> = { A: '#2b6cb0', B: '#a0aec0', C: '#dd6b20' };
const LABELS: Record<string, string> = {
  A: 'A: koa-payments, full pipeline',
  B: 'B: Koa + HMAC + one INSERT',
  C: 'C: Express + constructEvent + Knex',
};

/** A group of bars: a label under it and req/s by server. */
interface Group {
  label: string;
  rps: Partial<Record<string, number>>;
}

function read(file: string): Results {
  return JSON.parse(readFileSync(file, 'utf8')) as Results;
}

/** The newest results file of `suite` in `dir` that `accept` takes. */
function newest(dir: string, suite: string, accept: (r: Results) => boolean): string | undefined {
  return readdirSync(dir)
    .filter((f) => f.endsWith(`-${suite}.json`))
    .sort()
    .reverse()
    .map((f) => join(dir, f))
    .find((f) => accept(read(f)));
}

function byServer(medians: readonly Median[]): Partial<Record<string, number>> {
  return Object.fromEntries(medians.map((m) => [m.server, m.rps]));
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One panel of grouped bars at (x, y), `width` × `height`, with its own scale. */
function panel(
  title: string,
  groups: readonly Group[],
  x: number,
  y: number,
  width: number,
): string {
  const height = 220;
  const top = y + 30;
  const bottom = top + height;
  const max = Math.max(1, ...groups.flatMap((g) => Object.values(g.rps) as number[]));
  const step = 10 ** Math.floor(Math.log10(max));
  const ceiling = Math.ceil(max / step) * step;
  const out: string[] = [
    `<text x="${x}" y="${y + 14}" font-weight="bold">${xmlText(title)}</text>`,
  ];
  for (let tick = 0; tick <= ceiling; tick += ceiling / 4) {
    const ty = bottom - (tick / ceiling) * height;
    out.push(
      `<line x1="${x + 50}" y1="${ty}" x2="${x + width}" y2="${ty}" stroke="#e2e8f0"/>`,
      `<text x="${x + 44}" y="${ty + 4}" text-anchor="end" font-size="11">${thousands(tick)}</text>`,
    );
  }
  const groupWidth = (width - 60) / Math.max(1, groups.length);
  const bar = Math.min(40, (groupWidth - 20) / SERVERS.length);
  groups.forEach((group, i) => {
    const gx = x + 60 + i * groupWidth + (groupWidth - bar * SERVERS.length) / 2;
    SERVERS.forEach((server, j) => {
      const rps = group.rps[server];
      if (rps === undefined) return;
      const h = (rps / ceiling) * height;
      const bx = gx + j * bar;
      out.push(
        `<rect x="${bx + 2}" y="${bottom - h}" width="${bar - 4}" height="${h}" fill="${COLOURS[server]}"><title>${server}: ${thousands(rps)} req/s</title></rect>`,
        `<text x="${bx + bar / 2}" y="${bottom - h - 4}" text-anchor="middle" font-size="10">${thousands(rps)}</text>`,
      );
    });
    out.push(
      `<text x="${gx + (bar * SERVERS.length) / 2}" y="${bottom + 16}" text-anchor="middle" font-size="12">${xmlText(group.label)}</text>`,
    );
  });
  out.push(
    `<text x="${x + 12}" y="${top + height / 2}" font-size="11" transform="rotate(-90 ${x + 12} ${top + height / 2})" text-anchor="middle">req/s</text>`,
  );
  return out.join('\n');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      compare: { type: 'string' },
      scale: { type: 'string' },
      postgres: { type: 'string' },
      out: { type: 'string', default: 'docs/images/performance.svg' },
      results: { type: 'string', default: 'bench/results' },
    },
  });
  const dir = values.results;
  const compareFile =
    values.compare ??
    newest(
      dir,
      'compare',
      (r) => r.summary.compare?.medians.some((m) => m.server === 'C') ?? false,
    );
  const scaleFile = values.scale ?? newest(dir, 'scale', () => true);
  const postgresFile = values.postgres ?? newest(dir, 'postgres', () => true);

  const byServerGroups: Group[] = [];
  if (compareFile !== undefined) {
    const r = read(compareFile);
    byServerGroups.push({
      label: `SQLite, ${r.settings.connections} connections`,
      rps: byServer(r.summary.compare?.medians ?? []),
    });
  }
  if (postgresFile !== undefined) {
    const r = read(postgresFile);
    byServerGroups.push({
      label: `Postgres, ${r.settings.connections} connections`,
      rps: byServer(r.summary.postgres?.medians ?? []),
    });
  }
  const scaleGroups: Group[] = [];
  if (scaleFile !== undefined) {
    for (const c of read(scaleFile).summary.scale?.cases ?? []) {
      if (c.payload !== 1024) continue;
      const stored = c.preload === 0 ? 'empty' : `${thousands(c.preload)} stored`;
      scaleGroups.push({ label: stored, rps: byServer(c.medians) });
    }
  }
  const width = 900;
  const legend = SERVERS.map(
    (s, i) =>
      `<rect x="${20 + i * 290}" y="300" width="12" height="12" fill="${COLOURS[s]}"/>` +
      `<text x="${38 + i * 290}" y="310" font-size="12">${xmlText(LABELS[s] as string)}</text>`,
  ).join('\n');
  const sources = [compareFile, postgresFile, scaleFile]
    .filter((f): f is string => f !== undefined)
    .map((f) => f.replace(/^.*\//, ''))
    .join(', ');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="350" viewBox="0 0 ${width} 350" font-family="system-ui, sans-serif" font-size="13" fill="#1a202c" role="img">
<title>koa-payments benchmark: req/s by server, and by stored events</title>
<rect width="100%" height="100%" fill="#ffffff"/>
${panel('req/s by server (1 KB webhooks, median)', byServerGroups, 10, 10, 430)}
${panel('req/s by stored events (SQLite, 10 connections)', scaleGroups, 460, 10, 430)}
${legend}
<text x="20" y="338" font-size="10" fill="#718096">${xmlText(`npm run bench, 2-core VM; ${sources}`)}</text>
</svg>
`;
  writeFileSync(values.out, svg);
  console.log(`chart: ${values.out} (${sources})`);
}

main();
