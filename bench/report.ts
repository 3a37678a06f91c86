/**
 * docs/perf.md and docs/perf.svg from a BenchResult. Pure: the same numbers give the same bytes
 * (the SVG holds no date; digits are grouped by hand, never by the locale).
 */
import type { CellsTiming, GoalsResult } from './goals.js';
import type { BenchResult } from './run.js';
import type { BfsFirst, ExploreFigures, GrowthResult, HeadlineResult, RandomFirst, VariantName } from './measure.js';
import { GROWTH_STEPS, sized, type Family, type GrowthStep } from './scenarios.js';

// ---------------------------------------------------------------- number formatting

/** 1234567 → "1,234,567", whatever the locale. */
export function group(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const out = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${out}` : out;
}

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '–';
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 0.1 || r === 0) return `${r.toFixed(2)}×`;
  return `${r.toPrecision(2)}×`;
}

/** "1.50" → "1.5", "100" → "100". */
const trim = (s: string): string => (s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s);

/** Three significant figures, trailing zeros dropped, with a k/M suffix: 1107 → "1.11k", 55868 → "55.9k", 100 → "100". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 999_500) return `${trim((n / 1e6).toPrecision(3))}M`;
  if (abs >= 999.5) return `${trim((n / 1e3).toPrecision(3))}k`;
  if (abs >= 1) return trim(n.toPrecision(3));
  return trim(n.toPrecision(2));
}

function compactMs(ms: number): string {
  return ms >= 999.5 ? `${trim((ms / 1000).toPrecision(3))}s` : `${compact(ms)}ms`;
}

const usPerState = (e: ExploreFigures): number => (e.ms * 1000) / Math.max(1, e.states);
const statesPerSec = (e: ExploreFigures): number => e.states / Math.max(1e-9, e.ms / 1000);

function stoppedBy(e: ExploreFigures): string {
  if (e.complete) return 'exhausted';
  return e.capped ? `**cap** ${group(e.maxStates)} states` : `depth bound ${String(e.maxDepth)}`;
}

function timeCell(e: ExploreFigures): string {
  return e.warmReps > 0 ? `${fmtMs(e.ms)} (median of ${String(e.warmReps)}; cold ${fmtMs(e.coldMs)})` : `${fmtMs(e.ms)} (1 cold run)`;
}

function roundsCell(e: ExploreFigures): string {
  return e.warmReps > 1 ? `${fmtMs(e.ms)} (median of ${String(e.warmReps)})` : fmtMs(e.ms);
}

function table(head: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string[] {
  const sep = head.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${sep.join('|')}|`, ...rows.map(line)];
}

// ---------------------------------------------------------------- markdown

function chmodUs(r: BenchResult): number {
  const ops = r.fs.opsPerSec['chmod (1 mutating syscall)'];
  return ops ? 1e6 / ops : NaN;
}

function speedRows(r: BenchResult): string[][] {
  const chmod = chmodUs(r);
  return r.headlines.map((h) => {
    const e = h.explore;
    return [
      h.family,
      h.variant,
      `depth ≤ ${String(e.maxDepth)}, ≤ ${group(e.maxStates)} states`,
      group(e.states),
      group(e.transitions),
      String(e.depth),
      stoppedBy(e),
      timeCell(e),
      group(statesPerSec(e)),
      usPerState(e).toFixed(0),
      fmtRatio(usPerState(e) / chmod),
    ];
  });
}

function memoryRows(r: BenchResult): string[][] {
  return r.headlines.map((h) => {
    const e = h.explore;
    const above = Math.max(0, e.heapPeak - e.heapBase);
    return [
      h.family,
      h.variant,
      group(e.states),
      fmtMiB(e.heapBase),
      fmtMiB(e.heapPeak),
      fmtMiB(above),
      `${(above / Math.max(1, e.states) / 1024).toFixed(1)} KiB`,
      fmtMiB(e.rssPeak),
    ];
  });
}

function bfsCell(b: BfsFirst, e: ExploreFigures): string[] {
  if (!b.found) {
    const why = b.exhausted ? `none: space exhausted (${group(b.states)} states)` : e.capped ? `none in the first ${group(e.maxStates)} states (cap)` : `none within depth ${String(e.maxDepth)}`;
    return [why, '–', fmtMs(b.ms), '–'];
  }
  const reps = b.warmReps > 0 ? ` (median of ${String(b.warmReps)})` : ' (1 cold run)';
  return [
    `${b.invariant}, ${String(b.length)} events`,
    group(b.states),
    `${fmtMs(b.ms)}${reps}`,
    `${fmtRatio(b.ms / e.ms)} of the ${e.complete ? 'full' : 'capped'} explore; search: ${String(b.searchRuns)} explores, ${fmtMs(b.searchMs)}`,
  ];
}

function randomCells(x: RandomFirst): string[] {
  if (!x.failed) return [`none in ${group(x.runs)} runs (seed ${String(x.seed)})`, `${fmtMs(x.msToFailure)} for all runs`, '–', '–'];
  const reps = x.warmReps > 0 ? ` (median of ${String(x.warmReps)})` : '';
  return [
    `${x.invariant ?? '?'} at run ${group(x.runsToFailure)} of ≤ ${group(x.runs)} (seed ${String(x.seed)})`,
    `${fmtMs(x.msToFailure)}${reps}`,
    `${String(x.numShrinks)} → ${x.shrunkLength !== undefined ? `${String(x.shrunkLength)} events` : '?'}`,
    fmtMs(x.msWithShrink),
  ];
}

function growthOf(r: BenchResult, family: Family, variant: VariantName, step: GrowthStep): GrowthResult | undefined {
  return r.growth.find((g) => g.family === family && g.variant === variant && g.step === step);
}

function growthRows(r: BenchResult, family: Family): string[][] {
  const rows: string[][] = [];
  for (const variant of r.config.variants) {
    const base = growthOf(r, family, variant, 'base');
    if (!base) continue;
    for (const step of GROWTH_STEPS) {
      const g = growthOf(r, family, variant, step);
      if (!g) continue;
      const e = g.explore;
      const b = base.explore;
      rows.push([
        variant,
        step,
        g.change,
        `${e.capped ? '≥ ' : ''}${group(e.states)}`,
        group(e.transitions),
        roundsCell(e),
        usPerState(e).toFixed(0),
        fmtRatio(e.states / b.states),
        fmtRatio(e.ms / b.ms),
        fmtRatio(usPerState(e) / usPerState(b)),
        stoppedBy(e),
        fmtMiB(Math.max(0, e.heapPeak - e.heapBase)),
      ]);
    }
  }
  return rows;
}

function growthNotes(r: BenchResult): string[] {
  const notes: string[] = [];
  const ratio = (family: Family, step: GrowthStep): number | undefined => {
    const rs = r.config.variants.map((v) => {
      const g = growthOf(r, family, v, step);
      const b = growthOf(r, family, v, 'base');
      return g && b ? g.explore.states / b.explore.states : NaN;
    });
    return rs.every((x) => x === 1) ? 1 : undefined;
  };
  if (ratio('concurrent-trio', '+1 user') === 1 || ratio('seed-487', '+1 user') === 1) {
    notes.push(
      '- **+1 user adds no state** where its ratio is 1.00×: `SimpleUserLock::acquire` hands out the first free member in group order, and no schedule of these scenarios has all four users in use at once, so the fifth is never drawn. Its time ratio is noise (and load).',
    );
  }
  if (ratio('seed-487', '+1 fault') === 1) {
    notes.push("- **seed-487 +1 fault adds no state**: its faults target `a1` only, as shipped, and an interrupt ends `a1`, so a second one has nowhere to land.");
  }
  const same = r.growth.flatMap((g) => {
    const b = growthOf(r, g.family, g.variant, 'base');
    return b && g.step !== 'base' && g.explore.states === b.explore.states && g.explore.transitions === b.explore.transitions ? [g.explore.ms / b.explore.ms] : [];
  });
  if (same.length > 0) {
    notes.push(
      `- **Noise floor**: ${String(same.length)} step${same.length === 1 ? '' : 's'} above explore${same.length === 1 ? 's' : ''} exactly the base's space (same states, same transitions); ${same.length === 1 ? 'its' : 'their'} time ratio${same.length === 1 ? ' is' : 's run from'} ${fmtRatio(Math.min(...same))}${same.length === 1 ? '' : ` to ${fmtRatio(Math.max(...same))}`}, which is what load and GC alone do to a ratio in this run. Read other ratios within that margin as 1.`,
    );
  }
  const capped = r.growth.filter((g) => g.explore.capped).map((g) => `${g.family} ${g.variant} ${g.step}`);
  const headCapped = r.headlines.filter((h) => h.explore.capped).map((h) => `${h.family} ${h.variant}`);
  if (capped.length + headCapped.length > 0) {
    notes.push(`- **Capped** (maxStates stopped the search; the state count is a lower bound, the time is the time to reach the cap): ${[...headCapped.map((x) => `${x} (speed)`), ...capped].join(', ')}.`);
  }
  return notes;
}

function fsRows(r: BenchResult): string[][] {
  const ops = r.fs.opsPerSec;
  const stat = ops['stat (1 syscall)'] ?? NaN;
  const chmod = ops['chmod (1 mutating syscall)'] ?? NaN;
  return Object.entries(ops).map(([name, o]) => [name, group(o), 1e6 / o >= 1 ? (1e6 / o).toFixed(2) : (1e6 / o).toPrecision(2), fmtRatio(stat / o), fmtRatio(chmod / o)]);
}

/** The headline figures in a few lines, from the tables below. */
function glance(r: BenchResult): string[] {
  const out: string[] = [];
  const chmod = chmodUs(r);
  const speed = r.headlines.map((h) => `${h.family} ${h.variant} **${group(statesPerSec(h.explore))}**${h.explore.capped ? ` (first ${group(h.explore.maxStates)} states)` : ''}`);
  if (speed.length > 0) out.push(`- **States/s** (BFS): ${speed.join('; ')}. One explored state costs ${r.headlines.map((h) => fmtRatio(usPerState(h.explore) / chmod)).join(' / ')} fs-kernel chmods (same order).`);
  const first = r.headlines.map((h) => {
    const b = h.bfs.found ? `BFS ${h.bfs.invariant} after ${group(h.bfs.states)} states, **${fmtMs(h.bfs.ms)}**` : `BFS none (${h.bfs.exhausted ? 'exhausted' : 'within the cap'})`;
    const x = h.random.failed ? `random ${h.random.invariant ?? '?'} at run ${group(h.random.runsToFailure)}, **${fmtMs(h.random.msToFailure)}** (${fmtMs(h.random.msWithShrink)} with shrinking)` : `random none in ${group(h.random.runs)} runs`;
    return `${h.family} ${h.variant}: ${b}; ${x}`;
  });
  if (first.length > 0) out.push(`- **First counterexample**: ${first.join('. ')}.`);
  const mem = r.headlines.map((h) => `${h.family} ${h.variant} ${fmtMiB(h.explore.heapPeak)} heap / ${fmtMiB(h.explore.rssPeak)} RSS at ${group(h.explore.states)} states`);
  if (mem.length > 0) out.push(`- **Peak memory**: ${mem.join('; ')}.`);
  for (const family of r.config.families) {
    const parts: string[] = [];
    for (const variant of r.config.variants) {
      const b = growthOf(r, family, variant, 'base');
      if (!b) continue;
      const steps = GROWTH_STEPS.filter((st) => st !== 'base').flatMap((st) => {
        const g = growthOf(r, family, variant, st);
        return g ? [`${st} ${fmtRatio(g.explore.states / b.explore.states)} states, ${fmtRatio(g.explore.ms / b.explore.ms)} time, ${fmtRatio(usPerState(g.explore) / usPerState(b.explore))} per state`] : [];
      });
      parts.push(`${variant}: ${steps.join('; ')}`);
    }
    if (parts.length > 0) out.push(`- **Growth, ${family}** (to its base): ${parts.join('. ')}.`);
  }
  return out;
}

function bounds(r: BenchResult, family: Family): string {
  const h = r.config.headline[family];
  const g = r.config.growth[family];
  return `speed and counterexample search: depth ≤ ${String(h.maxDepth)}, ≤ ${group(h.maxStates)} states; growth: depth ≤ ${String(g.maxDepth)}, ≤ ${group(g.maxStates)} states`;
}

export function renderMarkdown(r: BenchResult, svgName: string): string {
  const m = r.machine;
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  const trio = sized('concurrent-trio', 'base').scenario;
  const seed = sized('seed-487', 'base').scenario;
  const out: string[] = [
    '# Performance: what exploring the model costs',
    '',
    `Generated by \`npm run bench\` (bench/run.ts, ${r.config.name} plan) — do not edit by hand. Issue #5 (benchmark) and #9 (chart).`,
    '',
    `- **When**: ${r.date}, commit \`${r.commit}\`${r.dirty ? ' (with uncommitted changes under model/, sim/ or bench/ in the checkout)' : ''}`,
    `- **Machine**: ${m.cpuModel} × ${String(m.cpuCount)}, ${(m.totalMemBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, Node ${m.node}`,
    `- **Load average** (1 / 5 / 15 min): ${load(m.loadStart)} at the start, ${load(m.loadEnd)} at the end; the bench took ${(r.wallMs / 1000).toFixed(0)} s`,
    `- **Jobs**: ${r.isolated ? 'each in a fresh `node --expose-gc` child, one at a time (a full GC before every timed run; peak RSS is per job)' : 'in this process (no forced GC; peak RSS is the whole process)'}`,
    '',
    `> The machine has ${String(m.cpuCount)} cores and is shared with other jobs: absolute times move with its load, so read the **ratios** (to the base scenario, to one syscall) first. No test asserts any figure here.`,
    '',
    ...(r.goals ? ['## Goals', '', ...goalLines(r.goals), ''] : []),
    '## At a glance',
    '',
    ...glance(r),
    '',
    '## Scenarios',
    '',
    `- **seed-487** (sim/scenarios/builtin.ts): ${seed.doc} Explored with free interrupts only (not the crash and builder-failure faults of the verdict matrix), at most one, on \`a1\` as shipped. Bounds: ${bounds(r, 'seed-487')}.`,
    `- **concurrent-trio** (bench/scenarios.ts): ${trio.doc} Actors ${trio.actors.map((a) => `\`${a.id}\`${a.kind === 'build' ? ` (${a.drv})` : ` (${a.kind})`}`).join(', ')}, no \`after\` anywhere, so every interleaving is free; ${String(trio.settings.buildUsers)} build users; free interrupts, at most one, on any build. Bounds: ${bounds(r, 'concurrent-trio')}.`,
    '',
    'Variants: `upstream` (2.34.8 as is) and `recommended` (the patch series). Times of a run repeated while it is short are the median of the warm runs (the first, cold run warms the JIT up and is shown beside it).',
    '',
    '## Exploration speed (breadth-first, exhaustive)',
    '',
    ...table(
      ['scenario', 'variant', 'bounds', 'distinct states', 'transitions', 'depth', 'stopped by', 'time', 'states/s', 'µs/state', 'state ÷ chmod'],
      speedRows(r),
      ['l', 'l', 'l'],
    ),
    '',
    '*state ÷ chmod*: the time of one explored state (restore, enabled events, every transition out of it with its invariant checks, hash, snapshot) over the time of one mutating syscall of the fs kernel (below).',
    '',
    '### Peak memory of those runs',
    '',
    ...table(['scenario', 'variant', 'distinct states', 'heap before (after GC)', 'peak heap', 'peak − before', 'per state', 'peak RSS (job)'], memoryRows(r), ['l', 'l']),
    '',
    `Heap sampled every 256 new states and at the end (\`process.memoryUsage().heapUsed\`, after a forced GC before the run); BFS keeps a world snapshot only for checkpoints that waiting states replay from (model/verify/frontier-worlds.ts) and the visited set and parent table off the heap in typed arrays (not in heapUsed), so *per state* is roughly what the queue costs: an upper bound, since heapUsed also counts garbage not yet collected, which dominates small runs. Peak RSS is getrusage's maxRSS of the ${r.isolated ? 'job\'s own process (node and tsx included, ~50 MiB of it)' : 'whole process, not of the run alone'}.`,
    '',
    '## Time to the first counterexample',
    '',
    '**BFS**: the smallest `maxStates` at which `explore` reports any counterexample (doubling from ' +
      `${String(r.config.searchFrom)}, then bisecting; BFS order is fixed, so this is the number of states a run needs to see it), and one explore with exactly that bound, timed. ` +
      '**Random**: `fast-check` on the model\'s schedule arbitrary (`scheduleArbitrary`, `runSchedule`) with a fixed seed, stopped at the first failing schedule; then `randomCheck` as the CLI runs it, shrinking included.',
    '',
    ...table(
      ['scenario', 'variant', 'BFS: first counterexample', 'states to it', 'time', 'vs explore', 'random: first failure', 'time to it', 'shrinks → trace', 'time with shrinking'],
      r.headlines.map((h: HeadlineResult) => [h.family, h.variant, ...bfsCell(h.bfs, h.explore), ...randomCells(h.random)]),
      ['l', 'l', 'l', 'r', 'r', 'l', 'l', 'r', 'r', 'r'],
    ),
    '',
    '## Cost per state as the scenario grows',
    '',
    `![distinct states and time against scenario size](${svgName})`,
    '',
    'One change at a time against each scenario\'s base; ratios are to the base row of the same variant. The steps of a family and variant run in one process, round-robin after a warm-up explore (base, +1 build, +1 user, +1 fault, then again while the round budget lasts), so a load spike hits a round\'s steps alike; each time is the median over the rounds.',
    '',
  ];
  for (const family of r.config.families) {
    const g = r.config.growth[family];
    out.push(
      `### ${family} (depth ≤ ${String(g.maxDepth)}, ≤ ${group(g.maxStates)} states)`,
      '',
      ...table(
        ['variant', 'step', 'change', 'states', 'transitions', 'time', 'µs/state', 'states ÷ base', 'time ÷ base', 'µs/state ÷ base', 'stopped by', 'heap above baseline'],
        growthRows(r, family),
        ['l', 'l', 'l'],
      ),
      '',
    );
  }
  const trioHead = r.headlines.find((h) => h.family === 'concurrent-trio');
  const notes = growthNotes(r);
  if (trioHead && !trioHead.explore.complete) {
    const d = r.config.growth['concurrent-trio'].maxDepth;
    const rows = r.growth.filter((g) => g.family === 'concurrent-trio');
    const exact = rows.length > 0 && rows.every((g) => !g.explore.capped);
    notes.unshift(
      `- **concurrent-trio is not exhausted here**: with free interleavings, its speed run stopped at ${group(trioHead.explore.maxStates)} states at depth ${String(trioHead.explore.depth)}, so every growth step is explored to the same depth bound (${String(d)})${exact ? ', completely: the state counts are exact within that depth, and comparable' : ''}.`,
    );
  }
  if (notes.length > 0) out.push(...notes, '');
  out.push(
    '## fs kernel (bench/fs-bench.ts)',
    '',
    '`runFsBench()` as its author wrote it: operations per second on a 50- and a 500-entry store, ratios to one `stat` and to one `chmod` (how many syscalls one operation costs).',
    '',
    ...table(['operation', 'ops/s', 'µs/op', '× stat', '× chmod'], fsRows(r)),
    '',
    '## Rerun',
    '',
    '```sh',
    'npm run bench                                   # this page and perf.svg, ~3 minutes',
    'npx tsx bench/run.ts --tiny --out /tmp/perf     # tiny bounds: checks the pipeline, not the speed',
    '```',
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------- svg

const SERIES: readonly { readonly family: Family; readonly variant: VariantName; readonly color: string }[] = [
  { family: 'seed-487', variant: 'upstream', color: '#1f77b4' },
  { family: 'seed-487', variant: 'recommended', color: '#9ecae1' },
  { family: 'concurrent-trio', variant: 'upstream', color: '#d62728' },
  { family: 'concurrent-trio', variant: 'recommended', color: '#fc9272' },
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f1 = (x: number): string => x.toFixed(1);

interface Panel {
  readonly title: string;
  readonly x: number;
  readonly value: (e: ExploreFigures) => number;
  readonly label: (v: number, e: ExploreFigures) => string;
  readonly tick: (v: number) => string;
}

const W = 960;
const H = 440;
const TOP = 80;
const BOTTOM = 330;
const PANEL_W = 400;

function decades(values: readonly number[]): { lo: number; hi: number } {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  if (pos.length === 0) return { lo: 0, hi: 1 };
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  let hi = Math.ceil(Math.log10(Math.max(...pos)));
  if (hi <= lo) hi = lo + 1;
  return { lo, hi };
}

function panel(r: BenchResult, p: Panel): string[] {
  const cells = GROWTH_STEPS.map((step) => SERIES.map((s) => growthOf(r, s.family, s.variant, step)));
  const values = cells.flat().flatMap((g) => (g ? [p.value(g.explore)] : []));
  const { lo, hi } = decades(values);
  const y = (v: number): number => BOTTOM - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (BOTTOM - TOP);
  const out: string[] = [`<g class="panel">`, `<text x="${f1(p.x + PANEL_W / 2)}" y="${f1(TOP - 16)}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`];
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d);
    out.push(
      `<line x1="${f1(p.x)}" y1="${f1(yy)}" x2="${f1(p.x + PANEL_W)}" y2="${f1(yy)}" stroke="#ddd"/>`,
      `<text x="${f1(p.x - 6)}" y="${f1(yy + 4)}" text-anchor="end" font-size="10">${esc(p.tick(10 ** d))}</text>`,
    );
  }
  out.push(`<line x1="${f1(p.x)}" y1="${f1(BOTTOM)}" x2="${f1(p.x + PANEL_W)}" y2="${f1(BOTTOM)}" stroke="#333"/>`);
  out.push(`<line x1="${f1(p.x)}" y1="${f1(TOP)}" x2="${f1(p.x)}" y2="${f1(BOTTOM)}" stroke="#333"/>`);
  const groupW = PANEL_W / GROWTH_STEPS.length;
  const barW = 18;
  const gap = 6;
  const barsW = SERIES.length * barW + (SERIES.length - 1) * gap;
  GROWTH_STEPS.forEach((step, gi) => {
    const gx = p.x + gi * groupW + (groupW - barsW) / 2;
    out.push(`<text x="${f1(p.x + gi * groupW + groupW / 2)}" y="${f1(BOTTOM + 16)}" text-anchor="middle" font-size="11">${esc(step)}</text>`);
    SERIES.forEach((s, si) => {
      const g = cells[gi]?.[si];
      if (!g) return;
      const v = p.value(g.explore);
      const bx = gx + si * (barW + gap);
      const by = y(v);
      const dash = g.explore.capped ? ' stroke="#000" stroke-dasharray="3,2"' : '';
      out.push(
        `<rect x="${f1(bx)}" y="${f1(by)}" width="${f1(barW)}" height="${f1(Math.max(0.5, BOTTOM - by))}" fill="${s.color}"${dash}><title>${esc(`${s.family} ${s.variant} ${step}: ${p.label(v, g.explore)}`)}</title></rect>`,
        `<text x="${f1(bx + barW / 2)}" y="${f1(by - 3)}" text-anchor="middle" font-size="8">${esc(`${g.explore.capped ? '≥' : ''}${p.label(v, g.explore)}`)}</text>`,
      );
    });
  });
  out.push('</g>');
  return out;
}

/** The growth series as two log-scale bar panels (distinct states; time), one bar per scenario and variant. */
export function renderSvg(r: BenchResult): string {
  const trioDepth = r.config.growth['concurrent-trio'].maxDepth;
  const panels: Panel[] = [
    { title: 'Distinct states', x: 60, value: (e) => e.states, label: (v) => compact(v), tick: (v) => compact(v) },
    { title: 'Time to explore', x: 60 + PANEL_W + 80, value: (e) => e.ms, label: (v) => compactMs(v), tick: (v) => compactMs(v) },
  ];
  const legendY = H - 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${String(W)} ${String(H)}" width="${String(W)}" height="${String(H)}" font-family="Helvetica, Arial, sans-serif">`,
    '<title>Distinct states and exploration time against scenario size (bench/run.ts)</title>',
    `<rect x="0" y="0" width="${String(W)}" height="${String(H)}" fill="#fff"/>`,
    `<text x="${f1(W / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Cost of exploration as the scenario grows (log scales)</text>`,
    `<text x="${f1(W / 2)}" y="38" text-anchor="middle" font-size="11" fill="#555">${esc(`one change at a time against the base; concurrent-trio within depth ${String(trioDepth)}; dashed outline: stopped by the maxStates cap`)}</text>`,
    ...panels.flatMap((p) => panel(r, p)),
  ];
  SERIES.forEach((s, i) => {
    const lx = 60 + i * 220;
    out.push(
      `<rect x="${f1(lx)}" y="${f1(legendY)}" width="14" height="14" fill="${s.color}"/>`,
      `<text x="${f1(lx + 20)}" y="${f1(legendY + 11)}" font-size="12">${esc(`${s.family} · ${s.variant}`)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

// ---------------------------------------------------------------- goals

/**
 * The figures the explorer had before this series of speed-ups, as measured on the shared 2-core
 * machine at commit a919b33 (A/B in one process, min/median of 3): the ratios below are to these
 * when the bench ran without BENCH_BEFORE, and to a same-run measure of that checkout when it ran with it.
 */
export const RECORDED_BEFORE = { trioStatesPerSec: 4_600, seedStatesPerSec: 3_400, bytesPerState: 1_100, randomPerSec: 400, startupMs: 600 } as const;

const perSec = (n: number, ms: number): number => n / Math.max(1e-9, ms / 1000);

/** One line per goal: the target, what this run measured, the ratio to before, and whether it is met. */
function cellsLine(c: CellsTiming, what: string, met: (ok: boolean) => string): string {
  const r = c.oneMs / c.twoMs;
  return `| ${String(c.count)} independent cells of ${what} (${group(c.states)} states), 2 threads against 1 | ≥ 1.7× | ${fmtMs(c.twoMs)} on 2, ${fmtMs(c.oneMs)} on 1 (each pool started cold) | – | ${fmtRatio(r)} | ${met(r >= 1.7)} (whole cells on a pool) |`;
}

export function goalLines(g: GoalsResult): string[] {
  const now = g.now;
  const b = g.before;
  const trio = perSec(now.trioStates, now.trioMs);
  const seed = perSec(now.seedStates, now.seedMs);
  const random = perSec(now.randomRuns, now.randomMs);
  const before = {
    trio: b ? perSec(b.trioStates, b.trioMs) : RECORDED_BEFORE.trioStatesPerSec,
    seed: b ? perSec(b.seedStates, b.seedMs) : RECORDED_BEFORE.seedStatesPerSec,
    random: b ? perSec(b.randomRuns, b.randomMs) : RECORDED_BEFORE.randomPerSec,
    bytes: b ? b.bytesPerState : RECORDED_BEFORE.bytesPerState,
  };
  const met = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  const ratio = (x: number): string => `${(x / g.sha256PerSec * 1000).toFixed(2)} per 1,000 SHA-256`;
  const threads = g.cells.oneMs / g.cells.twoMs;
  const split = g.split.oneMs / g.split.twoMs;
  const lines = [
    `| goal | target | measured | before | now ÷ before | |`,
    `|---|---|---:|---:|---:|---|`,
    `| states/s, trio (upstream, first 25,000 states) | ≥ 35,000 | ${group(trio)} (${ratio(trio)}) | ${group(before.trio)} | ${fmtRatio(trio / before.trio)} | ${met(trio >= 35_000)} |`,
    `| states/s, seed-487 (upstream, i + c + b) | — | ${group(seed)} (${ratio(seed)}) | ${group(before.seed)} | ${fmtRatio(seed / before.seed)} | |`,
    `| bytes kept per visited state (trio, 25,000 states) | ≤ 300 | ${now.bytesPerState === null ? '–' : group(now.bytesPerState)} | ${before.bytes === null ? '–' : group(before.bytes)} | ${now.bytesPerState === null || before.bytes === null ? '–' : fmtRatio(now.bytesPerState / before.bytes)} | ${met(now.bytesPerState !== null && now.bytesPerState <= 300)} |`,
    `| random schedules/s (seed-487, recommended) | ≥ 3,000 | ${group(random)} | ${group(before.random)} | ${fmtRatio(random / before.random)} | ${met(random >= 3_000)} |`,
    `| first line of \`outpath\` (bundle from npm's prepare) | ≤ 250 ms | ${g.startup.bundleMs === null ? 'no dist/ built' : fmtMs(g.startup.bundleMs)} | ${fmtMs(g.startup.sourcesMs)} (sources through tsx, this run) | ${g.startup.bundleMs === null ? '–' : fmtRatio(g.startup.sourcesMs / g.startup.bundleMs)} faster | ${met(g.startup.bundleMs !== null && g.startup.bundleMs <= 250)} |`,
    `| ${String(g.cells.count)} independent cells of seed-487 (${group(g.cells.states)} states), 2 threads against 1 | ≥ 1.7× | ${fmtMs(g.cells.twoMs)} on 2, ${fmtMs(g.cells.oneMs)} on 1 (each pool started cold) | – | ${fmtRatio(threads)} | ${met(threads >= 1.7)} (whole cells on a pool)${threads < 1.7 && g.bigCells ? "; a few seconds of work, each thread started cold: the next line has ten times the states" : ''} |`,
    ...(g.bigCells ? [cellsLine(g.bigCells, 'seed-487 with two faults on any build', met)] : []),
    `| one large cell split by state hash (trio, upstream, interrupts, ${group(g.split.states)} states), 2 threads against 1 | ≥ 1.7× | ${fmtMs(g.split.twoMs)} on 2, ${fmtMs(g.split.oneMs)} on 1 (best of ${String(g.split.reps)} after a warm-up run of each; first runs ${fmtMs(g.split.coldTwoMs)} on 2, ${fmtMs(g.split.coldOneMs)} on 1)${g.split.same ? '' : ' (**results differ**)'} | – | ${fmtRatio(split)} | ${met(split >= 1.7 && g.split.same)}${split >= 1.7 && g.split.coldOneMs / g.split.coldTwoMs < 1.7 ? ' once warm; not on a first run, which starts the threads and their JIT' : ''} |`,
  ];
  return [
    ...lines,
    '',
    'Where the time went before, and what changed: the state hash built canonical JSON of the whole model state for every successor (now each immutable object is digested once, streamed, and the digest remembered: model/nix/hash.ts canonicalDigest); each transition listed the whole store and build dir twice for the invariants (now they ask the filesystem which paths differ from the snapshot the step started from, walking both states at once: FsKernel.changedSince); every expanded state kept its snapshot (now none does: a visited state is a 128-bit fingerprint, a parent index and an event number, a path is rebuilt by following parents, and the world of a waiting state by replaying its events from an ancestor at every third depth, the only worlds kept: model/verify/frontier-worlds.ts); the kernel built a call record per syscall even with nobody observing. Independent cells run on a pool of worker threads (sim/workers/pool.ts); one cell can be split across threads by state hash (model/verify/partition.ts, sim/workers/split-cell.ts, `outpath explore --split-cell N`): level by level, each thread expands the states it found and asks the thread that the hash of a successor names whether it is new (only the hash and the key explore gives it travel), in the order of the one-thread explorer, so the counts, verdicts and counterexamples are the same. States are copied to another thread only to even out the shares of a level, since a copy loses the digests remembered for its parts. Random mode ran every schedule from a fresh world, applying and checking each event again, though its schedules share most of their prefixes (400 schedules of seed-487 take 20,623 events along 1,372 distinct paths) and shrinking reruns near copies of one; now it follows a tree of the paths already taken (model/verify/schedule-tree.ts), keyed by the exact path rather than a state hash, so each path is applied and checked once and an outcome is still the one a fresh world gives. What is left is mostly the probes (a clean build from each new quiescent state), which are plain model steps.',
    '',
    `SHA-256 of a 3 KB buffer: ${group(g.sha256PerSec)} digests/s in this run (the states/s ratios divide by it, so they compare across machines). Before: ${b ? `measured in this run on ${b.checkout}, alternating with this checkout (best of 3 each); the first figures, recorded at commit a919b33 (RECORDED_BEFORE), were ${group(RECORDED_BEFORE.trioStatesPerSec)} states/s on the trio, ${group(RECORDED_BEFORE.seedStatesPerSec)} on seed-487, ${group(RECORDED_BEFORE.bytesPerState)} bytes per state and ${group(RECORDED_BEFORE.randomPerSec)} random schedules/s` : 'the figures recorded at commit a919b33 (RECORDED_BEFORE in bench/report.ts)'}.`,
  ];
}
