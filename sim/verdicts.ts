/**
 * The verdict matrix: every variant × invariant for one scenario, explored under each fault model.
 * A cell's verdict for an invariant is one of three, never two: violated (a trace shows it), holds
 * (the search covered every state reachable within its bounds) or inconclusive (a bound cut the
 * search short, or random schedules sampled the space without finding a violation).
 */
import type { Design, FaultKind, Scenario } from '../model/nix/index.js';
import { NAMED_VARIANTS, parseVariant, replayEvents } from '../model/nix/index.js';
import type { Counterexample, ExploreLimit, InvariantName } from '../model/verify/index.js';
import { explore, freeScenario, randomCheck } from '../model/verify/index.js';
import type { Trace, TraceScenario, TraceSearch } from './trace.js';
import { buildTrace } from './trace.js';
import type { SplitPool } from './workers/split-cell.js';

export const FAULT_MODELS: readonly FaultKind[] = ['interrupt', 'crash', 'builderFailure'];
/** How legends name each fault model. */
export const FAULT_LABEL: Readonly<Record<FaultKind, string>> = { interrupt: 'interrupt', crash: 'daemon crash', builderFailure: 'builder failure', timeout: 'build timeout' };
export const FAULT_LETTER: Readonly<Record<FaultKind, string>> = { interrupt: 'i', crash: 'c', builderFailure: 'b', timeout: 't' };

export type Verdict = 'violated' | 'holds' | 'inconclusive';

/** How much of the space a cell's search covered. */
export type Coverage =
  | { readonly kind: 'exhaustive' }
  | { readonly kind: 'cut'; readonly limit: ExploreLimit }
  | { readonly kind: 'sampled'; readonly runs: number; readonly seed: number; readonly path?: string; readonly shrinks: number };

export interface Cell {
  readonly variant: string;
  readonly fault: FaultKind;
  /** Distinct states (bfs) or schedules run (random). */
  readonly states: number;
  readonly transitions: number;
  readonly millis: number;
  readonly coverage: Coverage;
  readonly counterexamples: readonly Counterexample[];
}

/** The bounds a set of cells was explored within: what the legend states and the trace records. */
export interface Bounds {
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly faultTargets?: readonly string[];
  readonly maxDepth: number;
  readonly maxStates: number;
  /** Seconds per cell, when a time bound was asked for. */
  readonly maxSeconds?: number;
}

export const DEFAULT_MAX_STATES = 50_000;
export const DEFAULT_MAX_DEPTH = 200;

/**
 * The bounds a scenario is explored within: its own explore block, each field of `over` (the
 * flags given) overriding it, and the defaults (every fault model, one fault, every build, depth
 * 200, 50,000 states) where neither says.
 */
export function scenarioBounds(s: Scenario, over: Partial<Bounds> & { readonly allTargets?: boolean } = {}): Bounds {
  const own = s.explore;
  const faultTargets = over.allTargets ? undefined : (over.faultTargets ?? own?.faultTargets);
  const maxSeconds = over.maxSeconds;
  return {
    faults: over.faults ?? own?.faults ?? FAULT_MODELS,
    maxFaults: over.maxFaults ?? own?.maxFaults ?? 1,
    ...(faultTargets ? { faultTargets } : {}),
    maxDepth: over.maxDepth ?? own?.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxStates: over.maxStates ?? DEFAULT_MAX_STATES,
    ...(maxSeconds === undefined ? {} : { maxSeconds }),
  };
}

/** The scenario as exploration reads it: its explore block replaced by the bounds in force. */
export function boundedScenario(s: Scenario, b: Bounds): Scenario {
  return { ...s, explore: { faults: b.faults, maxFaults: b.maxFaults, maxDepth: b.maxDepth, ...(b.faultTargets ? { faultTargets: b.faultTargets } : {}) } };
}

/** Every cell of a scenario under `variants` within bounds `b` (one per variant and fault model), without progress. */
export function exploreCells(s: Scenario, variants: readonly string[], b: Bounds, now: () => number): Cell[] {
  const scenario = boundedScenario(s, b);
  const cfg = { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults, now, ...(b.maxSeconds === undefined ? {} : { maxSeconds: b.maxSeconds }) };
  return variants.flatMap((v) => b.faults.map((f) => exploreCell(scenario, v, f, cfg)));
}

export function verdictOf(c: Cell, invariant: InvariantName): Verdict {
  if (c.counterexamples.some((x) => x.invariant === invariant)) return 'violated';
  return c.coverage.kind === 'exhaustive' ? 'holds' : 'inconclusive';
}

/** 1 a violation, 3 nothing violated but something inconclusive, 0 every invariant holds in every cell. */
export function exitCodeOf(cells: readonly Cell[]): 0 | 1 | 3 {
  if (cells.some((c) => c.counterexamples.length > 0)) return 1;
  return cells.some((c) => c.coverage.kind !== 'exhaustive') ? 3 : 0;
}

export interface ExploreConfig {
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxFaults: number;
  readonly now: () => number;
  /** A time bound per cell, in seconds (the CLI's clock decides; the model never reads one). */
  readonly maxSeconds?: number;
  /** Progress while exploring (the CLI draws it on a terminal). */
  readonly onProgress?: (p: { states: number; depth: number; transitions: number }) => void;
  /** Designs loaded from files, which variant names may name besides the built-in ones. */
  readonly designs?: readonly Design[];
  /** Worker threads to split this one cell across by state hash (absent: this thread). Not with designs from files. */
  readonly split?: SplitPool;
}

/** The variant a name stands for, with designs loaded from files known by their names. */
function variantOf(name: string, designs: readonly Design[] = []): ReturnType<typeof parseVariant> & { ok: true } {
  const v = parseVariant(name, designs);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  return v;
}

export function exploreCell(scenario: Scenario, variant: string, fault: FaultKind, cfg: ExploreConfig): Cell {
  const v = variantOf(variant, cfg.designs);
  const t0 = cfg.now();
  const deadline = cfg.maxSeconds === undefined ? undefined : t0 + cfg.maxSeconds * 1000;
  const split = cfg.split;
  if (split && (cfg.designs?.length ?? 0) > 0) throw new Error('a cell with designs loaded from files cannot be split across threads (a design lives in the thread that loaded it)');
  const r =
    split
      ? split.explore({ scenario, variant, fault, maxDepth: cfg.maxDepth, maxStates: cfg.maxStates, maxFaults: cfg.maxFaults, ...(cfg.maxSeconds === undefined ? {} : { maxSeconds: cfg.maxSeconds }) })
      : explore(scenario, {
          variant: v.variant,
          faults: [fault],
          maxFaults: cfg.maxFaults,
          maxDepth: cfg.maxDepth,
          maxStates: cfg.maxStates,
          ...(deadline === undefined ? {} : { timeUp: () => cfg.now() > deadline }),
          ...(cfg.onProgress ? { onProgress: cfg.onProgress, progressEvery: 200 } : {}),
        });
  return {
    variant,
    fault,
    states: r.distinctStates,
    transitions: r.transitions,
    coverage: r.limit === null ? { kind: 'exhaustive' } : { kind: 'cut', limit: r.limit },
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
  readonly designs?: readonly Design[];
}

/** One cell by random schedules (fast-check): never exhaustive, so at best inconclusive. */
export function randomCell(scenario: Scenario, variant: string, fault: FaultKind, cfg: RandomConfig): Cell {
  const v = variantOf(variant, cfg.designs);
  const t0 = cfg.now();
  const r = randomCheck(scenario, { variant: v.variant, faults: [fault], maxFaults: cfg.maxFaults, runs: cfg.runs, seed: cfg.seed, ...(cfg.path ? { path: cfg.path } : {}) });
  return {
    variant,
    fault,
    states: r.numRuns,
    transitions: 0,
    coverage: { kind: 'sampled', runs: r.numRuns, seed: r.seed, shrinks: r.numShrinks, ...(r.path ? { path: r.path } : {}) },
    millis: cfg.now() - t0,
    counterexamples: r.counterexample ? [r.counterexample] : [],
  };
}

export function allVariants(): string[] {
  return Object.keys(NAMED_VARIANTS);
}

/** Renders a shortest counterexample as a trace by replaying its events through the model. */
export function traceOf(args: {
  readonly scenario: TraceScenario;
  readonly variant: string;
  readonly search: TraceSearch;
  readonly cx: Counterexample;
  readonly foundBy: string;
  readonly replay: string;
  readonly designs?: readonly Design[];
}): Trace {
  const v = variantOf(args.variant, args.designs);
  const r = replayEvents(freeScenario(args.scenario.spec), v.variant, args.cx.events);
  if (r.divergedAt) throw new Error(`model bug: a counterexample does not replay: ${r.divergedAt.reason}`);
  return buildTrace({
    scenario: args.scenario,
    variant: args.variant,
    search: args.search,
    foundBy: args.foundBy,
    replay: args.replay,
    events: args.cx.events,
    steps: r.steps,
    initial: r.steps[0]?.before ?? [],
    violations: [{ invariant: args.cx.invariant, message: args.cx.message, state: args.cx.events.length + 1 }],
  });
}
