/**
 * The one breadth-first walk over a world's reachable states: every enabled event from every state,
 * states deduplicated by hashWorld, each new state remembered with the event and parent that reached
 * it first (so a path to it is a shortest one). The explorer checks invariants on the way;
 * docs/lifecycle.md records the phase transitions it sees. Both get the same states in the same order.
 */
import type { EnabledOptions, ModelEvent, ModelState, TraceStep, World, WorldSnapshot } from '../nix/index.js';
import { apply, applyQuiet, enabledEvents, hashWorld, observedTree, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { FsSnapshot } from '../fs/index.js';

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

interface Node {
  readonly snap: WorldSnapshot;
  readonly parent: number;
  readonly event?: ModelEvent;
  readonly depth: number;
}

function pathTo(nodes: readonly Node[], i: number): ModelEvent[] {
  const out: ModelEvent[] = [];
  for (let n = nodes[i]; n?.event; n = nodes[n.parent]) out.push(n.event);
  return out.reverse();
}

/** Walks every state reachable from `w`'s current one within `bounds`; `w` is left in some visited state. */
export function walkStates(w: World, enabled: EnabledOptions, bounds: WalkBounds, visit: WalkVisitor): WalkResult {
  const nodes: Node[] = [{ snap: snapshotWorld(w), parent: -1, depth: 0 }];
  const seen = new Set<string>([hashWorld(w)]);
  let transitions = 0;
  let depth = 0;
  let limit: WalkLimit | null = null;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!node) break;
    if (bounds.timeUp?.()) {
      limit = 'time';
      break;
    }
    restoreWorld(w, node.snap);
    const events = enabledEvents(w.ctx, w.state, enabled);
    visit.state?.(w, events, () => pathTo(nodes, i));
    if (events.length === 0) continue;
    if (node.depth >= bounds.maxDepth) {
      limit = 'maxDepth';
      continue;
    }
    restoreWorld(w, node.snap);
    const treeBefore = visit.transition ? observedTree(w) : undefined;
    for (const e of events) {
      restoreWorld(w, node.snap);
      const prev = w.state;
      const path = (): ModelEvent[] => [...pathTo(nodes, i), e];
      if (visit.transition) {
        const r = apply(w, e, treeBefore);
        if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
        visit.transition(w, prev, r.step, path);
      } else {
        const r = applyQuiet(w, e);
        if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
      }
      transitions++;
      visit.move?.(w, prev, e, node.snap.fs, path);
      const h = hashWorld(w);
      if (seen.has(h)) continue;
      seen.add(h);
      if (seen.size > bounds.maxStates) {
        limit = 'maxStates';
        break;
      }
      nodes.push({ snap: snapshotWorld(w), parent: i, event: e, depth: node.depth + 1 });
      depth = Math.max(depth, node.depth + 1);
      visit.found?.(seen.size, depth, transitions);
    }
    if (seen.size > bounds.maxStates) break;
  }
  return { distinctStates: seen.size, transitions, depth, complete: limit === null, limit };
}
