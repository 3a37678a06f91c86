/**
 * Exhaustive bounded exploration: breadth-first over every choice a scenario leaves free (which
 * actor moves next, where a fault lands, which build user a build draws as a consequence),
 * deduplicating states by a canonical hash of model and filesystem, so the first counterexample
 * found for an invariant is a shortest one.
 */
import type { FaultKind, ModelEvent, ModelState, Scenario, Variant } from '../nix/index.js';
import { initialWorld } from '../nix/index.js';
import type { InvariantName, Violation } from './invariants.js';
import { checkMove, checkQuiescent, viewOfMove } from './invariants.js';
import { walkStates } from './walk.js';
import type { WalkLimit } from './walk.js';

export interface ExploreOptions {
  readonly variant: Variant;
  /** Fault kinds free to land anywhere on the scenario's fault targets (scripted faults are dropped). */
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly maxDepth: number;
  readonly maxStates: number;
  /**
   * The caller's clock, asked before each state is expanded: true stops the search (limit 'time').
   * The model never reads a clock itself.
   */
  readonly timeUp?: () => boolean;
  /** Called every `progressEvery` states (the CLI draws progress with it); the model never prints. */
  readonly onProgress?: (p: { states: number; depth: number; transitions: number }) => void;
  readonly progressEvery?: number;
}

export interface Counterexample {
  readonly invariant: InvariantName;
  readonly message: string;
  readonly events: readonly ModelEvent[];
}

/** The bound that stopped a search before it had covered every reachable state. */
export type ExploreLimit = WalkLimit;

export interface ExploreResult {
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  /** False when a bound cut the search short: then an invariant not violated is not shown to hold. */
  readonly complete: boolean;
  /**
   * Which bound cut it (null when complete). A state or time limit stops the whole search and wins
   * over a depth limit met earlier; maxDepth alone means some states at that depth were not expanded.
   */
  readonly limit: ExploreLimit | null;
  readonly counterexamples: readonly Counterexample[];
}

/** No build between start and end, and no stray builder process: a point where a user could start a clean build. */
export function idle(s: ModelState): boolean {
  return s.orphans.length === 0 && s.actors.every((a) => a.kind !== 'build' || a.phase.kind === 'waiting' || a.phase.kind === 'done');
}

/** The scenario as exploration sees it: scripted faults become free choices. */
export function freeScenario(s: Scenario): Scenario {
  return {
    ...s,
    actors: s.actors.map((a) => {
      // Stryker disable next-line ConditionalExpression: only a build has scripted faults; taking none away from another actor leaves it as it was
      if (a.kind !== 'build') return a;
      const { fault: _scripted, faults: _scriptedToo, ...free } = a;
      return free;
    }),
  };
}

export function explore(scenario: Scenario, opts: ExploreOptions): ExploreResult {
  const s = freeScenario(scenario);
  const world = initialWorld(s, opts.variant);
  const targets = s.explore?.faultTargets;
  const enabledOpts = { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
  const found = new Map<InvariantName, Counterexample>();
  const record = (v: Violation, events: () => ModelEvent[]): void => {
    if (!found.has(v.invariant)) found.set(v.invariant, { invariant: v.invariant, message: v.message, events: events() });
  };
  const probed = new Map<string, Violation[]>();
  const every = opts.progressEvery ?? 500;
  const walked = walkStates(world, enabledOpts, opts, {
    // NoWedge and friends hold "from every state where no build is running": not only at the end
    state: (w, events, path) => {
      if (events.length === 0 || idle(w.state)) for (const v of checkQuiescent(w, probed)) record(v, path);
    },
    move: (w, prev, event, before, path) => {
      for (const v of checkMove(w, prev, viewOfMove(w, event, before))) record(v, path);
    },
    found: (states, depth, transitions) => {
      if (opts.onProgress && states % every === 0) opts.onProgress({ states, depth, transitions });
    },
  });
  return { ...walked, counterexamples: [...found.values()] };
}
