/** The verdict matrix: every variant × invariant for one scenario, explored under each fault model. */
import type { FaultKind, Scenario } from '../model/nix/index.js';
import { NAMED_VARIANTS, parseVariant, replayEvents } from '../model/nix/index.js';
import type { Counterexample, InvariantName } from '../model/verify/index.js';
import { explore, freeScenario, INVARIANTS, randomCheck } from '../model/verify/index.js';
import type { Trace } from './trace.js';
import { buildTrace } from './trace.js';

export const FAULT_MODELS: readonly FaultKind[] = ['interrupt', 'crash', 'builderFailure'];

export interface Cell {
  readonly variant: string;
  readonly fault: FaultKind;
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  readonly millis: number;
  readonly counterexamples: readonly Counterexample[];
  /** Set for random-mode cells: `states` then counts runs, and this replays them. */
  readonly random?: { readonly seed: number; readonly path?: string; readonly shrinks: number };
}

export interface ExploreConfig {
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxFaults: number;
  readonly now: () => number;
  /** Progress while exploring (the CLI draws it on a terminal). */
  readonly onProgress?: (p: { states: number; depth: number; transitions: number }) => void;
}

export function exploreCell(scenario: Scenario, variant: string, fault: FaultKind, cfg: ExploreConfig): Cell {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  const t0 = cfg.now();
  const r = explore(scenario, {
    variant: v.variant,
    faults: [fault],
    maxFaults: cfg.maxFaults,
    maxDepth: cfg.maxDepth,
    maxStates: cfg.maxStates,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress, progressEvery: 200 } : {}),
  });
  return {
    variant,
    fault,
    states: r.distinctStates,
    transitions: r.transitions,
    complete: r.complete,
    millis: cfg.now() - t0,
    counterexamples: r.counterexamples,
  };
}

export interface RandomConfig {
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly maxFaults: number;
  readonly now: () => number;
}

/** One cell by random schedules (fast-check): states are not counted, runs are. */
export function randomCell(scenario: Scenario, variant: string, fault: FaultKind, cfg: RandomConfig): Cell {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  const t0 = cfg.now();
  const r = randomCheck(scenario, { variant: v.variant, faults: [fault], maxFaults: cfg.maxFaults, runs: cfg.runs, seed: cfg.seed, ...(cfg.path ? { path: cfg.path } : {}) });
  return {
    variant,
    fault,
    states: r.numRuns,
    transitions: 0,
    complete: false,
    millis: cfg.now() - t0,
    counterexamples: r.counterexample ? [r.counterexample] : [],
    random: { seed: r.seed, shrinks: r.numShrinks, ...(r.path ? { path: r.path } : {}) },
  };
}

export function allVariants(): string[] {
  return Object.keys(NAMED_VARIANTS);
}

/** Renders a shortest counterexample as a trace by replaying its events through the model. */
export function traceOf(scenario: Scenario, variant: string, cx: Counterexample, foundBy: string, replay?: string): Trace {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  const free = freeScenario(scenario);
  const r = replayEvents(free, v.variant, cx.events);
  const initial = r.steps[0]?.before ?? [];
  return buildTrace({
    scenario: free,
    variant,
    foundBy,
    events: cx.events,
    steps: r.steps,
    initial,
    violation: { invariant: cx.invariant, message: cx.message },
    ...(replay ? { replay } : {}),
  });
}

export function matrixText(cells: readonly Cell[]): string {
  const variants = [...new Set(cells.map((c) => c.variant))];
  const names: InvariantName[] = INVARIANTS.map((i) => i.name);
  const width = Math.max(...variants.map((v) => v.length), 8);
  const head = `${'variant'.padEnd(width)}  ${names.map((n) => n.padEnd(n.length)).join('  ')}  states   ms`;
  const lines = [head];
  for (const v of variants) {
    const mine = cells.filter((c) => c.variant === v);
    const row = names.map((n) => {
      const broken = mine.filter((c) => c.counterexamples.some((x) => x.invariant === n)).map((c) => c.fault[0] ?? '?');
      return (broken.length ? `✗(${broken.join('')})` : '✓').padEnd(n.length);
    });
    const states = mine.reduce((a, c) => a + c.states, 0);
    const ms = mine.reduce((a, c) => a + c.millis, 0);
    lines.push(`${v.padEnd(width)}  ${row.join('  ')}  ${String(states).padStart(6)} ${String(Math.round(ms)).padStart(5)}`);
  }
  lines.push('', '✗(…): violated under i = interrupt, c = daemon crash, b = builder failure; ✓: holds over the whole bounded space.');
  return lines.join('\n');
}
