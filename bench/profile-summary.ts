/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the top functions by self time, and self
 * time grouped by where the code lives (a package, a file of src/, Node internals, native code).
 *
 *   npx tsx bench/profile-summary.ts bench/results/<file>.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The JSON of a `.cpuprofile`. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One line of the summary. */
export interface SelfTime {
  name: string;
  /** Where it lives: `knex/lib/...:123`, `src/pipeline.ts:80`, or `native` (and its caller). */
  where: string;
  category: string;
  ms: number;
  /** Share of the busy (non-idle) time, percent. */
  percent: number;
}

/** What {@link summarise} returns. */
export interface ProfileSummary {
  /** Sampled milliseconds, and those not idle. */
  totalMs: number;
  busyMs: number;
  top: SelfTime[];
  categories: { category: string; ms: number; percent: number }[];
}

const IDLE = new Set(['(idle)', '(root)']);

/** A short location: `knex/lib/query/querycompiler.js:45`, `src/pipeline.ts:80`, `node:events`. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  // The library as the bench compiled it, in node_modules/.cache/koa-payments-bench-*/.
  const built = /\/node_modules\/\.cache\/koa-payments-bench-[^/]+\/(.*)$/.exec(path);
  if (built !== null) return `dist/${built[1]}`;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  const src = path.search(/\/(src|dist|bench)\//);
  if (src >= 0) return path.slice(src + 1);
  return path;
}

/** Where a frame's code lives: a package, a src/ file, Node internals, native, or V8 itself. */
function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  const short = shortUrl(url);
  if (short.startsWith('node:')) return 'node internals';
  if (/^(src|dist|bench)\//.test(short)) return short.replace(/:\d+$/, '');
  const parts = short.split('/');
  const pkg = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  return pkg ?? short;
}

/** Summarises a profile: the `top` functions by self time, and self time by category. */
export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Self time of each node: the time delta that follows each of its samples.
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i] as number;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, Omit<SelfTime, 'percent'>>();
  const categories = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const frame = node.callFrame;
    if (IDLE.has(frame.functionName)) {
      idleUs += us;
      continue;
    }
    const category = categoryOf(frame);
    categories.set(category, (categories.get(category) ?? 0) + us);
    let where: string;
    if (frame.url === '') {
      // Native code (JSON.parse, a SQLite statement, a hash): name its JavaScript caller.
      let up = parent.get(id);
      let caller: CallFrame | undefined;
      while (up !== undefined) {
        const f = byId.get(up)?.callFrame;
        if (f !== undefined && f.url !== '') {
          caller = f;
          break;
        }
        up = parent.get(up);
      }
      where =
        caller === undefined
          ? 'native'
          : `native ← ${caller.functionName || '(anonymous)'} ${shortUrl(caller.url)}:${caller.lineNumber + 1}`;
    } else {
      where = `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    }
    const key = `${frame.functionName}|${where}`;
    const entry = functions.get(key) ?? {
      name: frame.functionName || '(anonymous)',
      where,
      category,
      ms: 0,
    };
    entry.ms += us / 1000;
    functions.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const percent = (ms: number): number => (busyUs > 0 ? (100 * ms * 1000) / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    top: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, percent: percent(f.ms) })),
    categories: [...categories.entries()]
      .map(([category, us]) => ({ category, ms: us / 1000, percent: percent(us / 1000) }))
      .sort((a, b) => b.ms - a.ms),
  };
}

/** The summary as text tables. */
export function formatSummary(summary: ProfileSummary, categories = 20): string {
  const ms = (v: number): string => v.toFixed(0).padStart(7);
  const pct = (v: number): string => `${v.toFixed(1).padStart(5)}%`;
  const lines = [
    `sampled ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s (percentages are of busy time)`,
    '',
    `top ${summary.top.length} functions by self time`,
    `${'self ms'.padStart(7)} ${'share'.padStart(6)}  function  (location)`,
    ...summary.top.map((f) => `${ms(f.ms)} ${pct(f.percent)}  ${f.name}  (${f.where})`),
    '',
    'self time by where the code lives',
    ...summary.categories
      .slice(0, categories)
      .map((c) => `${ms(c.ms)} ${pct(c.percent)}  ${c.category}`),
  ];
  return lines.join('\n');
}

/** Reads and summarises a profile file. */
export function summariseFile(file: string, top = 25): ProfileSummary {
  return summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]');
    process.exit(2);
  }
  for (const file of positionals) {
    console.log(`== ${file}`);
    console.log(formatSummary(summariseFile(file, Number(values.top))));
  }
}
