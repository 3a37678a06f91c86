/**
 * The one breadth-first walk over a world's reachable states: every enabled event from every state,
 * states deduplicated by hashWorld, each new state remembered with the event and parent that reached
 * it first (so a path to it is a shortest one). The explorer checks invariants on the way;
 * docs/lifecycle.md records the phase transitions it sees. Both get the same states in the same order.
 */
import type { EnabledOptions, ModelEvent, ModelState, TraceStep, World } from '../nix/index.js';
import { apply, applyQuiet, enabledEvents, hashWorld, observedTree, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { FsSnapshot } from '../fs/index.js';
import { FingerprintSet } from './visited.js';
import { FrontierWorlds } from './frontier-worlds.js';
import { StateTree } from './state-tree.js';

export interface WalkBounds {
  readonly maxDepth: number;
  readonly maxStates: number;
  /** The caller's clock, asked before each state is expanded: true stops the walk (limit 'time'). */
  readonly timeUp?: () => boolean;
}

/** The bound that stopped a walk before it had covered every reachable state. */
export type WalkLimit = 'maxStates' | 'maxDepth' | 'time';

export interface WalkVisitor {
  /** A state taken from the queue (the world is restored to it), with the events enabled in it. */
  readonly state?: (w: World, events: readonly ModelEvent[], path: () => ModelEvent[]) => void;
  /** One transition, taken from `prev`; the world holds the state it led to. */
  readonly transition?: (w: World, prev: ModelState, step: TraceStep, path: () => ModelEvent[]) => void;
  /**
   * One transition, as `transition` but without its trace step (no syscall records, no tree listings,
   * which cost more than the step itself): the filesystem state it came from instead.
   */
  readonly move?: (w: World, prev: ModelState, event: ModelEvent, before: FsSnapshot, path: () => ModelEvent[]) => void;
  /** A new distinct state was found (the CLI draws progress from this). */
  readonly found?: (states: number, depth: number, transitions: number) => void;
}

export interface WalkResult {
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  /** False when a bound cut the walk short. */
  readonly complete: boolean;
  /**
   * Which bound cut it (null when complete). A state or time limit stops the whole walk and wins
   * over a depth limit met earlier; maxDepth alone means some states at that depth were not expanded.
   */
  readonly limit: WalkLimit | null;
}

/** A path to state `i`, then `e`, built only if asked; made here because a closure assigned to a name in the loop costs a defineProperty per transition (tsx and the bundle keep names). */
function pathThrough(tree: StateTree, i: number, e: ModelEvent): () => ModelEvent[] {
  return () => [...tree.pathTo(i), e];
}

export interface FrontierOptions {
  /** Depths between the states whose worlds are kept for replay (frontier-worlds.ts); only memory and time depend on it. */
  readonly checkpointEvery: number;
}

/** Walks every state reachable from `w`'s current one within `bounds`; `w` is left in some visited state. */
export function walkStates(w: World, enabled: EnabledOptions, bounds: WalkBounds, visit: WalkVisitor, frontier?: FrontierOptions): WalkResult {
  const tree = new StateTree();
  // Stryker disable next-line UnaryOperator: the initial state's parent is never read (pathTo stops at state 0)
  tree.push(-1, undefined, 0);
  const worlds = new FrontierWorlds(tree, w, snapshotWorld(w), frontier?.checkpointEvery);
  const seen = new FingerprintSet();
  seen.add(hashWorld(w));
  let transitions = 0;
  let depth = 0;
  let limit: WalkLimit | null = null;
  for (let i = 0; i < tree.length; i++) {
    if (bounds.timeUp?.()) {
      limit = 'time';
      break;
    }
    const snap = worlds.enter(i);
    const nodeDepth = tree.depth(i);
    restoreWorld(w, snap);
    const events = enabledEvents(w.ctx, w.state, enabled);
    visit.state?.(w, events, () => tree.pathTo(i));
    if (events.length > 0 && nodeDepth >= bounds.maxDepth) limit = 'maxDepth';
    else if (events.length > 0) {
      restoreWorld(w, snap);
      // Stryker disable next-line ConditionalExpression: apply lists the tree itself when given none, from the same restored state; listing it once here only saves a listing per event (and one made for no transition visitor is unused)
      const treeBefore = visit.transition ? observedTree(w) : undefined;
      for (const e of events) {
        restoreWorld(w, snap);
        const prev = w.state;
        const path = pathThrough(tree, i, e);
        if (visit.transition) {
          const r = apply(w, e, treeBefore);
          // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract); this guard never fires
          if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
          visit.transition(w, prev, r.step, path);
        } else {
          const r = applyQuiet(w, e);
          // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract); this guard never fires
          if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
        }
        transitions++;
        visit.move?.(w, prev, e, snap.fs, path);
        if (!seen.add(hashWorld(w))) continue;
        if (seen.size > bounds.maxStates) {
          limit = 'maxStates';
          break;
        }
        // the world just found is dropped: it is replayed from a checkpoint when its turn comes
        worlds.waits(tree.push(i, e, nodeDepth + 1));
        depth = Math.max(depth, nodeDepth + 1);
        visit.found?.(seen.size, depth, transitions);
      }
    }
    worlds.leave(i);
    if (seen.size > bounds.maxStates) break;
  }
  return { distinctStates: seen.size, transitions, depth, complete: limit === null, limit };
}
