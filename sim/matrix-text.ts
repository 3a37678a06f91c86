/**
 * The verdict matrix as text: one row per variant (or, against upstream, per scenario), a cell per
 * invariant that is ✓, ✗(fault letters) and/or ?(fault letters), and a legend that says what the
 * symbols mean, which bounds were in force, which of them cut a search short, and what each column
 * checks.
 */
import type { ExploreLimit, InvariantName } from '../model/verify/index.js';
import { INVARIANTS } from '../model/verify/index.js';
import type { Bounds, Cell, Verdict } from './verdicts.js';
import { FAULT_LABEL, FAULT_LETTER, verdictOf } from './verdicts.js';

/** One invariant over a variant's cells: `✓`, or `✗(letters)` and/or `?(letters)`; unlisted fault models hold. */
export function cellText(cells: readonly Cell[], invariant: InvariantName): string {
  const letters = (v: Verdict): string => cells.filter((c) => verdictOf(c, invariant) === v).map((c) => FAULT_LETTER[c.fault]).join('');
  const parts = [];
  const violated = letters('violated');
  const open = letters('inconclusive');
  if (violated) parts.push(`✗(${violated})`);
  if (open) parts.push(`?(${open})`);
  return parts.length > 0 ? parts.join(' ') : '✓';
}

const NAMES: readonly InvariantName[] = INVARIANTS.map((i) => i.name);

function table(head: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

export function matrixText(cells: readonly Cell[], bounds: Bounds): string {
  const variants = [...new Set(cells.map((c) => c.variant))];
  const rows = variants.map((v) => {
    const mine = cells.filter((c) => c.variant === v);
    return [v, ...NAMES.map((n) => cellText(mine, n)), String(mine.reduce((a, c) => a + c.states, 0))];
  });
  const states = cells.some((c) => c.coverage.kind === 'sampled') ? 'runs' : 'states';
  return [...table(['variant', ...NAMES, states], rows, new Set([NAMES.length + 1])), '', ...legend(cells, bounds)].join('\n');
}

const LIMIT_FLAG: Readonly<Record<ExploreLimit, (b: Bounds) => string>> = {
  maxStates: (b) => `the state bound (--max-states ${String(b.maxStates)})`,
  maxDepth: (b) => `the depth bound (--max-depth ${String(b.maxDepth)})`,
  time: (b) => `the time bound (--max-time ${String(b.maxSeconds ?? 0)})`,
};

/** Which cells a bound cut, or how they were sampled: the line that says why a `?` is there. */
function coverageLine(cells: readonly Cell[], bounds: Bounds): string {
  const where = (cs: readonly Cell[]): string => {
    const byVariant = new Map<string, string[]>();
    for (const c of cs) byVariant.set(c.variant, [...(byVariant.get(c.variant) ?? []), FAULT_LETTER[c.fault]]);
    return [...byVariant].map(([v, fs]) => `${v} under ${fs.join(', ')}`).join('; ');
  };
  const out: string[] = [];
  for (const limit of ['maxStates', 'maxDepth', 'time'] as const) {
    const cut = cells.filter((c) => c.coverage.kind === 'cut' && c.coverage.limit === limit);
    if (cut.length > 0) out.push(`Cut short by ${LIMIT_FLAG[limit](bounds)}: ${where(cut)}`);
  }
  const sampled = cells.filter((c) => c.coverage.kind === 'sampled');
  const first = sampled[0]?.coverage;
  if (first?.kind === 'sampled') {
    const clean = sampled.filter((c) => c.counterexamples.length === 0);
    const runs = [...new Set(clean.map((c) => c.states))].join('/');
    out.push(clean.length > 0 ? `Random schedules (seed ${String(first.seed)}): no violation in ${runs} schedules: ${where(clean)}` : `Random schedules (seed ${String(first.seed)})`);
  }
  return out.length > 0 ? `${out.join('. ')}.` : 'No bound was hit: every ✓ covers the whole space within these bounds.';
}

/** The invariant columns in a few words each, in two lines. */
export function columnLegend(): string[] {
  const parts = INVARIANTS.map((i) => `${i.name}: ${i.short}`);
  const half = Math.ceil(parts.length / 2);
  return [parts.slice(0, half).join(' · '), parts.slice(half).join(' · ')];
}

/** What the symbols mean, what the bounds were and which (if any) cut the search, and what each column says. */
export function legend(cells: readonly Cell[], bounds: Bounds, targetsPerScenario = false): string[] {
  const faults = bounds.faults.map((f) => `${FAULT_LETTER[f]} = ${FAULT_LABEL[f]}`).join(', ');
  const targets = targetsPerScenario ? " on each scenario's fault targets" : bounds.faultTargets ? ` on ${bounds.faultTargets.join(', ')}` : '';
  const random = cells.some((c) => c.coverage.kind === 'sampled');
  const extent = random ? 'random schedules' : `depth ${String(bounds.maxDepth)}, ${String(bounds.maxStates)} states per cell${bounds.maxSeconds === undefined ? '' : `, ${String(bounds.maxSeconds)} s per cell`}`;
  return [
    `✗(…) violated under ${faults} (a trace each) · ✓ holds: every state reachable within the bounds was explored`,
    `?(…) inconclusive: nothing violated in what was explored, but a bound cut the search short or schedules were sampled`,
    `Bounds: at most ${String(bounds.maxFaults)} fault${bounds.maxFaults === 1 ? '' : 's'} per run${targets}, ${extent}. ${coverageLine(cells, bounds)}`,
    ...columnLegend(),
  ];
}

/** A design against upstream (and recommended) across scenarios: one row per scenario, V's verdict and the bases' where they differ. */
export interface Comparison {
  readonly scenario: string;
  readonly cells: readonly Cell[];
  readonly upstream: readonly Cell[];
  /** The recommended series' cells, when the design is compared with it too. */
  readonly recommended?: readonly Cell[];
}

/** Cells (scenario, invariant, fault model) the design holds where `base` violates, and the reverse, and those it leaves open. */
function tallyAgainst(rows: readonly Comparison[], base: (r: Comparison) => readonly Cell[] | undefined): { heals: number; breaks: number; open: number } {
  const tally = { heals: 0, breaks: 0, open: 0 };
  for (const r of rows) {
    for (const c of r.cells) {
      const b = base(r)?.find((u) => u.fault === c.fault);
      for (const n of NAMES) {
        const mine = verdictOf(c, n);
        const theirs = b ? verdictOf(b, n) : 'inconclusive';
        if (mine === 'inconclusive') tally.open++;
        else if (mine === 'holds' && theirs === 'violated') tally.heals++;
        else if (mine === 'violated' && theirs === 'holds') tally.breaks++;
      }
    }
  }
  return tally;
}

const cellsWord = (n: number): string => `${String(n)} (scenario, invariant, fault model) cell${n === 1 ? '' : 's'}`;

export function comparisonText(variant: string, rows: readonly Comparison[], bounds: Bounds, targetsPerScenario: boolean): string {
  const body = rows.map((r) => [
    r.scenario,
    ...NAMES.map((n) => {
      const mine = cellText(r.cells, n);
      const others = [['upstream', r.upstream] as const, ...(r.recommended ? [['recommended', r.recommended] as const] : [])]
        .map(([label, cs]) => [label, cellText(cs, n)] as const)
        .filter(([, text]) => text !== mine);
      return others.length === 0 ? mine : `${mine} (${others.map(([label, text]) => `${label} ${text}`).join('; ')})`;
    }),
  ]);
  const tally = tallyAgainst(rows, (r) => r.upstream);
  const withRecommended = rows.some((r) => r.recommended !== undefined);
  const rec = tallyAgainst(rows, (r) => r.recommended);
  const cells = rows.flatMap((r) => [...r.cells, ...r.upstream, ...(r.recommended ?? [])]);
  const plural = rows.length === 1 ? '' : 's';
  return [
    variant === 'upstream'
      ? `upstream, ${String(rows.length)} scenario${plural}`
      : withRecommended
        ? `${variant} against upstream and recommended, ${String(rows.length)} scenario${plural}: ${variant}'s verdict, and theirs where it differs`
        : `${variant} against upstream, ${String(rows.length)} scenario${plural}: ${variant}'s verdict, and upstream's where it differs`,
    '',
    ...table(['scenario', ...NAMES], body, new Set()),
    '',
    ...(variant === 'upstream'
      ? []
      : [`${variant} heals ${cellsWord(tally.heals)} that upstream violates, breaks ${String(tally.breaks)} that upstream holds, and leaves ${String(tally.open)} inconclusive.`]),
    ...(withRecommended ? [`Against recommended: ${variant} holds ${cellsWord(rec.heals)} that recommended violates, and violates ${String(rec.breaks)} that recommended holds.`] : []),
    ...legend(cells, bounds, targetsPerScenario),
  ].join('\n');
}
