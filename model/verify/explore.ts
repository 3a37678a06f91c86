/**
 * Exhaustive bounded exploration: breadth-first over every choice a scenario leaves free (which
 * actor moves next, where a fault lands, which build user a build draws as a consequence),
 * deduplicating states by a canonical hash of model and filesystem, so the first counterexample
 * found for an invariant is a shortest one.
 */
import type { FaultKind, ModelEvent, ModelState, Scenario, Variant, WorldSnapshot } from '../nix/index.js';
import { apply, enabledEvents, hashWorld, initialWorld, observedTree, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { InvariantName, Violation } from './invariants.js';
import { checkQuiescent, checkTransition } from './invariants.js';

export interface ExploreOptions {
  readonly variant: Variant;
  /** Fault kinds free to land anywhere on the scenario's fault targets (scripted faults are dropped). */
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly maxDepth: number;
  readonly maxStates: number;
  /** Called every `progressEvery` states (the CLI draws progress with it); the model never prints. */
  readonly onProgress?: (p: { states: number; depth: number; transitions: number }) => void;
  readonly progressEvery?: number;
}

export interface Counterexample {
  readonly invariant: InvariantName;
  readonly message: string;
  readonly events: readonly ModelEvent[];
}

export interface ExploreResult {
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  /** False when maxDepth or maxStates cut the search short. */
  readonly complete: boolean;
  readonly counterexamples: readonly Counterexample[];
}

interface Node {
  readonly snap: WorldSnapshot;
  readonly parent: number;
  readonly event?: ModelEvent;
  readonly depth: number;
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
      if (a.kind !== 'build') return a;
      const { fault: _scripted, ...free } = a;
      return free;
    }),
  };
}

function pathTo(nodes: readonly Node[], i: number): ModelEvent[] {
  const out: ModelEvent[] = [];
  for (let n = nodes[i]; n?.event; n = nodes[n.parent]) out.push(n.event);
  return out.reverse();
}

export function explore(scenario: Scenario, opts: ExploreOptions): ExploreResult {
  const s = freeScenario(scenario);
  const world = initialWorld(s, opts.variant);
  const targets = s.explore?.faultTargets;
  const enabledOpts = { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
  const nodes: Node[] = [{ snap: snapshotWorld(world), parent: -1, depth: 0 }];
  const seen = new Set<string>([hashWorld(world)]);
  const found = new Map<InvariantName, Counterexample>();
  const record = (v: Violation, events: ModelEvent[]): void => {
    if (!found.has(v.invariant)) found.set(v.invariant, { invariant: v.invariant, message: v.message, events });
  };
  const probed = new Map<string, Violation[]>();
  let transitions = 0;
  let depth = 0;
  let complete = true;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!node) break;
    restoreWorld(world, node.snap);
    const events = enabledEvents(world.ctx, world.state, enabledOpts);
    // NoWedge and friends hold "from every state where no build is running": not only at the end
    if (events.length === 0 || idle(world.state)) {
        for (const v of checkQuiescent(world, probed)) record(v, pathTo(nodes, i));
    }
    if (events.length === 0) continue;
    if (node.depth >= opts.maxDepth) {
      complete = false;
      continue;
    }
    restoreWorld(world, node.snap);
    const treeBefore = observedTree(world);
    for (const e of events) {
      restoreWorld(world, node.snap);
      const prev = world.state;
      const r = apply(world, e, treeBefore);
      if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
      transitions++;
      const violations = checkTransition(world, prev, r.step);
      if (violations.length > 0) for (const v of violations) record(v, [...pathTo(nodes, i), e]);
      const h = hashWorld(world);
      if (seen.has(h)) continue;
      seen.add(h);
      if (seen.size > opts.maxStates) {
        complete = false;
        break;
      }
      nodes.push({ snap: snapshotWorld(world), parent: i, event: e, depth: node.depth + 1 });
      depth = Math.max(depth, node.depth + 1);
      if (opts.onProgress && seen.size % (opts.progressEvery ?? 500) === 0) opts.onProgress({ states: seen.size, depth, transitions });
    }
    if (seen.size > opts.maxStates) break;
  }
  return { distinctStates: seen.size, transitions, depth, complete, counterexamples: [...found.values()] };
}
