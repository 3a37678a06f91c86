/**
 * docs/verification.md and its traces, generated from the model: the variant × invariant ×
 * fault-model verdicts for every built-in scenario, one shortest trace per violated cell, and the
 * evidence for what the recommended series contains. Nothing here is written by hand, so the
 * document cannot drift from the model; a test regenerates it and compares.
 */
import type { FaultKind, Scenario, VariantSlug } from '../model/nix/index.js';
import { NIX_REV, NIX_TAG, RECOMMENDED, UPSTREAM_VARIANTS, VARIANT_SLUGS } from '../model/nix/index.js';
import { INVARIANTS } from '../model/verify/index.js';
import type { Counterexample, ExploreLimit, InvariantName } from '../model/verify/index.js';
import { BUILTIN, seed487 } from './scenarios/builtin.js';
import { FINDINGS } from './scenarios/findings.js';
import { computeVerdicts, fixedBy, type Verdicts } from './patch-claims.js';
import { formatText, traceScenario } from './trace.js';
import type { Bounds, Cell } from './verdicts.js';
import { allVariants, boundedScenario, DEFAULT_MAX_DEPTH, exploreCell, exploreCells, FAULT_LETTER, FAULT_MODELS, scenarioBounds, traceOf, verdictOf } from './verdicts.js';

/** The state bound of every cell; the other bounds are each scenario's own explore block. */
export const BOUNDS = { maxStates: 50_000 } as const;

export interface GeneratedDoc {
  /** path relative to docs/ -> content */
  readonly files: ReadonlyMap<string, string>;
  /** `scenario: invariant` cells where recommended fails and FINDINGS does not say why. */
  readonly unexplained: readonly string[];
  /** FINDINGS entries (`scenario: invariant`) for which recommended does not fail. */
  readonly unused: readonly string[];
}

/**
 * A matrix: the bounds its cells are explored within, the prefix of their cache keys (and of their
 * traces' directory) and the flags that repeat them on the command line.
 */
interface Matrix {
  readonly prefix: string;
  readonly bounds: (s: Scenario) => Bounds;
  readonly flags: string;
}

const MAIN: Matrix = { prefix: '', bounds: (s) => scenarioBounds(s, BOUNDS), flags: '' };

/**
 * seed-487 beyond its own explore block (one fault, on the first build): two faults per run, on
 * any of its three builds, and a state bound no cell meets. A fault may now strike the retry or the
 * retry after the delete too, so every cell is larger than its one-fault twin.
 */
export const BIGGER = { maxFaults: 2, allTargets: true, maxStates: 2_000_000 } as const;

function anyTarget(prefix: string, maxFaults: number): Matrix {
  return {
    prefix,
    bounds: (s) => scenarioBounds(s, { ...BIGGER, maxFaults }),
    flags: ` --max-faults ${String(maxFaults)} --fault-targets all --max-states ${String(BIGGER.maxStates)}`,
  };
}

const BIGGER_MATRIX = anyTarget('bigger/', BIGGER.maxFaults);

/** One fault on any build: what the series' two-crash ✗ below is set against. */
const ONE_FAULT_ANY_TARGET = anyTarget('any-target/', 1);

/** Every cell is explored once per generation, whichever section asks for it first. */
const cellCache = new Map<string, Cell>();

function cellOf(s: Scenario, v: string, f: FaultKind, m: Matrix = MAIN): Cell {
  const key = `${m.prefix}${s.name}|${v}|${f}`;
  let c = cellCache.get(key);
  if (!c) {
    const b = m.bounds(s);
    c = exploreCell(boundedScenario(s, b), v, f, { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults, now: () => 0 });
    cellCache.set(key, c);
  }
  return c;
}

/**
 * Every cell a generation has explored (`scenario|variant|fault` -> cell): the state counts and
 * verdicts the equivalence test (test/verify/cells-baseline.spec.ts) holds the model to.
 */
export function exploredCells(): ReadonlyMap<string, Cell> {
  return cellCache;
}

function cellsOf(s: Scenario, variants: readonly string[]): Cell[] {
  const out: Cell[] = [];
  for (const v of variants) for (const f of scenarioBounds(s, BOUNDS).faults) out.push(cellOf(s, v, f));
  return out;
}

/** The variants that stand for a patch of ours (every variant but upstream's own changes). */
export function patchSlugs(): VariantSlug[] {
  return VARIANT_SLUGS.filter((s) => UPSTREAM_VARIANTS[s] === undefined);
}

/** The verdicts patches/README's claims are checked against (`outpath patches check`). */
export function patchVerdicts(): Verdicts {
  return computeVerdicts(BUILTIN, patchSlugs(), RECOMMENDED, FAULT_MODELS, cellOf, { maxDepth: DEFAULT_MAX_DEPTH, maxStates: BOUNDS.maxStates, maxFaults: 1 });
}

function broken(cells: readonly Cell[]): Set<string> {
  const out = new Set<string>();
  for (const c of cells) for (const x of c.counterexamples) out.add(`${x.invariant}/${c.fault}`);
  return out;
}

const LIMIT_WORDS: Readonly<Record<ExploreLimit, string>> = { maxStates: 'state bound', maxDepth: 'depth bound', time: 'time bound' };

/** A Markdown cell: ✓, or ✗ with a link per fault model and/or ? with the bound that cut each. */
function markdownCell(s: Scenario, v: string, n: InvariantName, mine: readonly Cell[], files: Map<string, string>, m: Matrix = MAIN): string {
  const parts: string[] = [];
  const violated = mine.filter((c) => verdictOf(c, n) === 'violated');
  if (violated.length > 0) {
    const links = violated.map((c) => {
      const cx = c.counterexamples.find((x) => x.invariant === n);
      if (!cx) return '';
      const file = `verification/${m.prefix}${s.name}/${v}.${n}.${c.fault}.txt`;
      const b = m.bounds(s);
      const search = { mode: 'bfs' as const, faults: [c.fault], maxFaults: b.maxFaults, ...(b.faultTargets ? { faultTargets: b.faultTargets } : {}) };
      const trace = traceOf({
        scenario: traceScenario(s, { kind: 'builtin' }),
        variant: v,
        search,
        cx,
        foundBy: `bfs, fault model ${c.fault}, ${String(c.states)} distinct states (shortest)`,
        replay: `outpath explore ${s.name} --variant ${v} --faults ${c.fault}${m.flags} --out DIR`,
      });
      files.set(file, formatText(trace));
      return `[${FAULT_LETTER[c.fault]}](${file})`;
    });
    parts.push(`✗ ${links.join(' ')}`);
  }
  const open = mine.filter((c) => verdictOf(c, n) === 'inconclusive');
  if (open.length > 0) parts.push(`? ${open.map((c) => `${FAULT_LETTER[c.fault]} (${c.coverage.kind === 'cut' ? LIMIT_WORDS[c.coverage.limit] : 'sampled'})`).join(' ')}`);
  return parts.length > 0 ? parts.join(' · ') : '✓';
}

export function generateVerification(): GeneratedDoc {
  const files = new Map<string, string>();
  const names: InvariantName[] = INVARIANTS.map((i) => i.name);
  const md: string[] = [
    '# Verification matrix',
    '',
    `Generated by \`npm run docs:verification\` from the model (Nix ${NIX_TAG}, \`${NIX_REV.slice(0, 8)}\`); a test fails when it is stale. Do not edit by hand.`,
    '',
    `Every cell is a breadth-first exploration of the scenario under one fault model: **i** = interrupt (SIGINT; the goal's destructors run), **c** = daemon crash (nothing runs; on darwin the builder survives, on Linux without a sandbox a process it started does), **b** = builder failure (non-zero exit), **t** = build timeout (timeout or max-silent-time expires: the worker kills the builder, the goal fails and its builder's destructor cleans up; only in scenarios that set a deadline). Interleavings and build-user draws are free; scripted faults become free choices. Each scenario's own \`explore\` block sets the fault models, the faults per run and the builds they may hit (shown under its heading); every cell stops at ${String(BOUNDS.maxStates)} distinct states or at the scenario's depth bound (default ${String(DEFAULT_MAX_DEPTH)} events).`,
    '',
    'Each verdict is one of three:',
    '',
    '- **✗** violated: the links are a shortest counterexample trace for each fault model that breaks it;',
    '- **✓** holds: the search covered every state reachable within the bounds, under every fault model;',
    '- **?** inconclusive: nothing was violated in what the search covered, but a bound (named in the cell) stopped it before it covered everything, so the cell shows neither.',
    '',
    '## Invariants',
    '',
    ...INVARIANTS.map((i) => `- **${i.name}**: ${i.doc}`),
    '',
  ];
  const recommended = new Map<string, Cell[]>();
  let cut = 0;
  for (const s of BUILTIN) {
    const cells = cellsOf(s, allVariants());
    recommended.set(s.name, cells.filter((c) => c.variant === 'recommended'));
    cut += cells.filter((c) => c.coverage.kind !== 'exhaustive').length;
    const b = scenarioBounds(s, BOUNDS);
    md.push(
      `## ${s.name}`,
      '',
      s.doc,
      '',
      `Explored under ${b.faults.map((f) => FAULT_LETTER[f]).join(', ')}, at most ${String(b.maxFaults)} fault${b.maxFaults === 1 ? '' : 's'} per run${b.faultTargets ? ` on ${b.faultTargets.join(', ')}` : ' on any build'}, depth ${String(b.maxDepth)}.`,
      '',
      `| variant | ${names.join(' | ')} | states |`,
      `|---|${names.map(() => '---').join('|')}|---:|`,
    );
    for (const v of allVariants()) {
      const mine = cells.filter((c) => c.variant === v);
      md.push(`| ${v} | ${names.map((n) => markdownCell(s, v, n, mine, files)).join(' | ')} | ${String(mine.reduce((a, c) => a + c.states, 0))} |`);
    }
    md.push('');
  }
  md.splice(md.indexOf('## Invariants'), 0, cut === 0 ? 'No cell below met a bound: every ✓ is exhaustive within the bounds stated, and no cell is inconclusive.' : `${String(cut)} (scenario, variant, fault model) explorations below met a bound; their cells say which.`, '');
  md.push(...cutShort());
  const findings = knownFailures(recommended);
  const bigger = biggerBounds(files);
  md.push(...findings.md, ...bigger.md, ...necessity(recommended));
  const verdicts = patchVerdicts();
  md.push(...claimsSection(verdicts), ...pr16465());
  files.set('verification.md', md.join('\n') + '\n');
  files.set('verification/verdicts.json', JSON.stringify(verdicts, null, 2) + '\n');
  return { files, unexplained: [...findings.unexplained, ...bigger.unexplained], unused: findings.unused };
}

/** Every ✗ of the recommended series, with why it is a known limit (sim/scenarios/findings.ts). */
function knownFailures(recommended: ReadonlyMap<string, readonly Cell[]>): { md: string[]; unexplained: string[]; unused: string[] } {
  const md = [
    '## Where the recommended series is ✗, and why',
    '',
    'Each ✗ of the `recommended` rows above is a limit of the series that upstream Nix shares (`sim/scenarios/findings.ts`; a test fails when a ✗ appears that is not listed here):',
    '',
  ];
  const unexplained: string[] = [];
  const unused: string[] = [];
  for (const s of BUILTIN) {
    const cells = recommended.get(s.name) ?? [];
    const broken = INVARIANTS.map((i) => i.name).filter((n) => cells.some((c) => c.counterexamples.some((x) => x.invariant === n)));
    const finding = FINDINGS[s.name];
    const expected = finding?.invariants ?? [];
    for (const n of broken) if (!expected.includes(n)) unexplained.push(`${s.name}: ${n}`);
    for (const n of expected) if (!broken.includes(n)) unused.push(`${s.name}: ${n}`);
    if (broken.length === 0 || !finding) continue;
    const where = broken.map((n) => {
      const links = cells.filter((c) => c.counterexamples.some((x) => x.invariant === n)).map((c) => `[${FAULT_LETTER[c.fault]}](verification/${s.name}/recommended.${n}.${c.fault}.txt)`);
      return `${n} ${links.join(' ')}`;
    });
    md.push(`- **${s.name}** (${where.join('; ')}): ${finding.why}`);
  }
  for (const name of Object.keys(FINDINGS)) if (!BUILTIN.some((s) => s.name === name)) unused.push(`${name}: not a built-in scenario`);
  md.push('');
  return { md, unexplained, unused };
}

/** The state bound of the side-by-side example: small enough that most seed-487 cells stop before the end. */
export const EXAMPLE_MAX_STATES = 400;

/** The three verdicts side by side: seed-487 explored again with a state bound too small to finish most cells. */
function cutShort(): string[] {
  const s = seed487;
  const b = scenarioBounds(s, { maxStates: EXAMPLE_MAX_STATES });
  const variants = ['upstream', 'recommended'];
  const cells = exploreCells(s, variants, b, () => 0);
  const names: InvariantName[] = INVARIANTS.map((i) => i.name);
  const letters = (cs: readonly Cell[]): string => cs.map((c) => FAULT_LETTER[c.fault]).join(' ');
  const cut = cells.filter((c) => c.coverage.kind === 'cut');
  return [
    '## The three verdicts side by side',
    '',
    `Not a result: ${s.name} explored again with \`--max-states ${String(EXAMPLE_MAX_STATES)}\` (\`outpath explore ${s.name} --variant ${variants.join(',')} --max-states ${String(EXAMPLE_MAX_STATES)}\`), so that the state bound stops ${String(cut.length)} of its ${String(cells.length)} explorations (${cut.map((c) => `${c.variant} under ${FAULT_LETTER[c.fault]}`).join(', ')}) before they cover the space. A violation found before the bound is still a violation; an invariant not violated in a cut-short search is **?**, not ✓. The matrices above met no bound.`,
    '',
    `| variant | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...variants.map((v) => {
      const mine = cells.filter((c) => c.variant === v);
      const row = names.map((n) => {
        const parts: string[] = [];
        const violated = mine.filter((c) => verdictOf(c, n) === 'violated');
        const open = mine.filter((c) => verdictOf(c, n) === 'inconclusive');
        const holds = mine.filter((c) => verdictOf(c, n) === 'holds');
        if (violated.length > 0) parts.push(`✗ ${letters(violated)}`);
        if (open.length > 0) parts.push(`? ${letters(open)} (state bound)`);
        if (holds.length > 0) parts.push(`✓ ${letters(holds)}`);
        return parts.join(' · ');
      });
      return `| ${v} | ${row.join(' | ')} |`;
    }),
    '',
  ];
}

/**
 * A recommended ✗ under two faults that is the darwin-orphan-lower-user limit: a crashed build's
 * builder, left running as a build user nobody holds any more, writes at a later build's output.
 * Anything else is a new finding, and the generation says so rather than print it unexplained.
 */
function isStrandedOrphanWrite(x: Counterexample): boolean {
  return x.invariant === 'InProgressOutputSafe' && x.events.at(-1)?.type === 'orphanAction';
}

/**
 * seed-487 with two faults per run on any build: every variant, every fault model, exhaustive (the
 * state bound is far above what any cell needs, and a cell that met it would show ?).
 */
function biggerBounds(files: Map<string, string>): { md: string[]; unexplained: string[] } {
  const s = seed487;
  const m = BIGGER_MATRIX;
  const b = m.bounds(s);
  const names: InvariantName[] = INVARIANTS.map((i) => i.name);
  const cells = allVariants().flatMap((v) => b.faults.map((f) => cellOf(s, v, f, m)));
  const cut = cells.filter((c) => c.coverage.kind !== 'exhaustive');
  const states = cells.map((c) => c.states);
  const md = [
    '## Bigger bounds: seed-487 with two faults on any build',
    '',
    `The matrix above explores ${s.name} as its explore block says: one fault per run, on the first build. Here it is explored again with two faults per run that may hit any of its builds (the first build, the retry, the retry after \`nix store delete\`), so a second interrupt, crash or failure can strike the retry or the recovery too: \`outpath explore ${s.name}${m.flags}\`. ${cut.length === 0 ? `Every one of its ${String(cells.length)} explorations is exhaustive (${String(Math.min(...states))} to ${String(Math.max(...states))} distinct states; none met the bound of ${String(b.maxStates)}).` : `${String(cut.length)} of its ${String(cells.length)} explorations met a bound; their cells say which.`}`,
    '',
    `| variant | ${names.join(' | ')} | states |`,
    `|---|${names.map(() => '---').join('|')}|---:|`,
  ];
  for (const v of allVariants()) {
    const mine = cells.filter((c) => c.variant === v);
    md.push(`| ${v} | ${names.map((n) => markdownCell(s, v, n, mine, files, m)).join(' | ')} | ${String(mine.reduce((a, c) => a + c.states, 0))} |`);
  }
  const rec = cells.filter((c) => c.variant === 'recommended');
  const orphan = rec.filter((c) => c.counterexamples.some(isStrandedOrphanWrite));
  const unexplained = rec.flatMap((c) => c.counterexamples.filter((x) => !isStrandedOrphanWrite(x)).map((x) => `${m.prefix}${s.name}: ${x.invariant} under ${c.fault}`));
  md.push('', orphan.length === 0 ? 'The recommended series holds every invariant here.' : strandedOrphanWhy(s, orphan), '');
  return { md, unexplained };
}

/** Why the series is ✗ here, with what one fault of the same kind on any build does, explored rather than assumed. */
function strandedOrphanWhy(s: Scenario, orphan: readonly Cell[]): string {
  const one = orphan.map((c) => ({ fault: c.fault, cell: cellOf(s, 'recommended', c.fault, ONE_FAULT_ANY_TARGET) }));
  const oneFault = one
    .map(({ fault, cell }) => {
      const what = cell.counterexamples.length > 0 ? `is ✗ too (${[...new Set(cell.counterexamples.map((x) => x.invariant))].join(', ')})` : cell.coverage.kind === 'exhaustive' ? 'holds every invariant' : 'is inconclusive (a bound cut it short)';
      return `with one ${fault} on any build the series ${what}: \`outpath explore ${s.name} --variant recommended --faults ${fault}${ONE_FAULT_ANY_TARGET.flags}\`, ${String(cell.states)} states`;
    })
    .join('; ');
  return `Where \`recommended\` is ✗ (${orphan.map((c) => FAULT_LETTER[c.fault]).join(', ')}), it is the darwin-orphan-lower-user limit above, which here takes two crashes: the first stops the first build, so that the retry builds at all; the second kills the worker of that retry, drawn as _nixbld2 because another build holds _nixbld1, while its builder runs on (macOS gives it no death signal). That other build lets _nixbld1 go, the retry after the delete takes it, so no prepareUser runs killUser(_nixbld2), and the orphan writes at the retry's output. By contrast, ${oneFault}. The generation checks that every such ✗ ends on an orphan's write, and fails on any other.`;
}

/**
 * Why each member is in the recommended series: drop it and list the (scenario, invariant, fault)
 * cells that break; add a left-out variant and list the cells that it would heal.
 */
function necessity(recommended: ReadonlyMap<string, readonly Cell[]>): string[] {
  const md = ['## What the recommended series contains, and why', ''];
  const full = new Map(BUILTIN.map((s) => [s.name, broken(recommended.get(s.name) ?? [])]));
  const explain = (label: string, slugs: readonly VariantSlug[], sign: 'breaks' | 'heals'): void => {
    const variant = slugs.join('+');
    const changed: string[] = [];
    const open: string[] = [];
    for (const s of BUILTIN) {
      const mine = recommended.get(s.name) ?? [];
      const theirs = cellsOf(s, [variant]);
      const base = full.get(s.name) ?? new Set<string>();
      const other = broken(theirs);
      const diff = sign === 'breaks' ? [...other].filter((x) => !base.has(x)) : [...base].filter((x) => !other.has(x));
      for (const d of diff.sort()) changed.push(`${s.name}: ${d.replace('/', ' under ')}`);
      // a cell a bound cut short shows no violation without showing that none exists
      for (const c of [...mine, ...theirs]) if (c.coverage.kind !== 'exhaustive') open.push(`${s.name} (${c.variant}) under ${c.fault}`);
    }
    const verdict =
      changed.length === 0
        ? sign === 'breaks'
          ? 'removing it breaks no invariant in any scenario (it changes user-visible messages only)'
          : 'adding it heals no cell'
        : `${sign === 'breaks' ? 'without it these break' : 'it would heal'}: ${changed.join('; ')}`;
    md.push(`- **${label}**: ${verdict}${open.length > 0 ? `; inconclusive, so not counted: ${[...new Set(open)].join('; ')}` : ''}`);
  };
  for (const m of RECOMMENDED) explain(`${m} (in)`, RECOMMENDED.filter((x) => x !== m), 'breaks');
  for (const m of VARIANT_SLUGS.filter((x) => !RECOMMENDED.includes(x))) explain(`${m} (left out)`, [...RECOMMENDED, m], 'heals');
  md.push('');
  return md;
}

/** patches/README's two claim columns, as the model computes them. */
function claimsSection(v: Verdicts): string[] {
  const list = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));
  const md = [
    '## What each patch fixes',
    '',
    'A scenario counts for a patch when the base breaks some invariant in it under some fault model and the fix breaks none under any. *Alone*: base `upstream` (2.34.8), fix the patch alone. *In the series*: base `recommended` without the patch, fix `recommended` (for a patch left out of the series: base `recommended`, fix `recommended` with it); `recommended` includes upstream `d027dc38e8`, as master does. `outpath patches check` compares patches/README\'s table with these (from `verification/verdicts.json`).',
    '',
    '| variant | fails upstream, passes with it alone (2.34.8) | fails without it, passes with it in the series (as on master) |',
    '|---|---|---|',
  ];
  for (const slug of patchSlugs()) {
    const f = fixedBy(v, slug);
    md.push(`| ${slug} | ${list(f.alone)} | ${list(f.inSeries)} |`);
  }
  md.push('');
  return md;
}

/**
 * NixOS/nix#16465 against upstream and against the series: where it breaks what upstream keeps,
 * and whether prepare-deletes-stale-scratch (0001) heals it on top.
 */
function pr16465(): string[] {
  const pr = 'floating-ca-same-scratch-path';
  const rows: [string, string][] = [
    ['upstream', 'upstream'],
    [pr, `NixOS/nix#16465 alone`],
    [`${pr}+prepare-deletes-stale-scratch`, '#16465 + 0001 (2.34.8)'],
    [`${pr}+prepare-deletes-stale-scratch+rewrite-in-store-temp-dir`, '#16465 + 0001 + d027dc38e8'],
    ['recommended', 'recommended'],
    [`recommended+${pr}`, 'recommended + #16465'],
  ];
  const md = [
    '## NixOS/nix#16465 and the series',
    '',
    `NixOS/nix#16465 (open) builds a floating output at \`makeFallbackPath(outputName)\` even when a realisation is known, so a \`--check\` (and, on master, where a build trace outlives its output, a rebuild after GC) sees the same \`$out\` as the first build. The model's variant \`${pr}\` is that one change. Cells each combination breaks (\`Invariant/fault model\`), in the scenarios where adding #16465 changes a verdict (to upstream, to 0001 alone, or to \`recommended\`):`,
    '',
    `| scenario | ${rows.map(([, label]) => label).join(' | ')} |`,
    `|---|${rows.map(() => '---').join('|')}|`,
  ];
  const fmt = (cells: readonly string[]): string => (cells.length === 0 ? '✓' : cells.join(', '));
  const same = (s: Scenario, a: string, b: string): boolean => brokenOf(s, a).join() === brokenOf(s, b).join();
  for (const s of BUILTIN) {
    const differs = !same(s, pr, 'upstream') || !same(s, `${pr}+prepare-deletes-stale-scratch`, 'prepare-deletes-stale-scratch') || !same(s, `recommended+${pr}`, 'recommended');
    if (!differs) continue;
    md.push(`| ${s.name} | ${rows.map(([v]) => fmt(brokenOf(s, v))).join(' | ')} |`);
  }
  md.push('');
  return md;
}

function brokenOf(s: Scenario, v: string): string[] {
  return [...broken(cellsOf(s, [v]))].sort();
}
