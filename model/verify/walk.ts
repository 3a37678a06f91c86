/**
 * The one breadth-first walk over a world's reachable states: every enabled event from every state,
 * states deduplicated by hashWorld, each new state remembered with the event and parent that reached
 * it first (so a path to it is a shortest one). The explorer checks invariants on the way;
 * docs/lifecycle.md records the phase transitions it sees. Both get the same states in the same order.
 */
import type { EnabledOptions, ModelEvent, ModelState, TraceStep, World, WorldSnapshot } from '../nix/index.js';
import { apply, applyQuiet, enabledEvents, hashWorld, observedTree, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { FsSnapshot } from '../fs/index.js';
import { FingerprintSet } from './visited.js';

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

/**
 * The visited states, kept small: a state's world snapshot only until it is expanded (the frontier
 * holds the rest), and per state only its parent's index, its depth and the index of the event that
 * reached it; a path is rebuilt from those by following parents (traces replay the events).
 */
class Nodes {
  private parents = new Int32Array(1024);
  private depths = new Int32Array(1024);
  private eventIds = new Int32Array(1024);
  private readonly snaps: (WorldSnapshot | undefined)[] = [];
  /** Events interned: many states are reached by the same event, so each state stores a number. */
  // Stryker disable next-line ArrayDeclaration: an id is the list's length when the event is pushed, so a leading extra entry is never read
  private readonly events: ModelEvent[] = [];
  private readonly eventIndex = new Map<string, number>();
  length = 0;

  push(snap: WorldSnapshot, parent: number, event: ModelEvent | undefined, depth: number): void {
    const n = this.length;
    if (n === this.parents.length) {
      this.parents = grown(this.parents);
      this.depths = grown(this.depths);
      this.eventIds = grown(this.eventIds);
    }
    this.parents[n] = parent;
    this.depths[n] = depth;
    // Stryker disable next-line UnaryOperator: only the initial state has no event, and pathTo stops before reading it
    this.eventIds[n] = event === undefined ? -1 : this.intern(event);
    this.snaps.push(snap);
    this.length = n + 1;
  }

  private intern(e: ModelEvent): number {
    const key = `${e.type}\u0000${e.actor}`;
    let id = this.eventIndex.get(key);
    // Stryker disable next-line ConditionalExpression: interning every event afresh changes only memory (each id still names its own event)
    if (id === undefined) {
      id = this.events.length;
      this.events.push(e);
      this.eventIndex.set(key, id);
    }
    return id;
  }

  depth(i: number): number {
    return this.depths[i] ?? 0;
  }

  /** The snapshot of a state not yet expanded; expanding it lets it go. */
  take(i: number): WorldSnapshot {
    const snap = this.snaps[i];
    // Stryker disable next-line ConditionalExpression,StringLiteral: the walk expands each index once, in order; this guard never fires
    if (!snap) throw new Error(`walk bug: state ${String(i)} expanded twice`);
    this.snaps[i] = undefined;
    return snap;
  }

  pathTo(i: number): ModelEvent[] {
    const out: ModelEvent[] = [];
    // Stryker disable next-line EqualityOperator: state 0 (the initial one) has no event, and its parent -1 ends the loop anyway
    for (let n = i; n > 0; n = this.parents[n] ?? 0) {
      // Stryker disable next-line UnaryOperator: every state past the initial one has an event id
      const e = this.events[this.eventIds[n] ?? -1];
      // Stryker disable next-line ConditionalExpression: every state past the initial one has an event
      if (e) out.push(e);
    }
    return out.reverse();
  }
}

/** A path to state `i`, then `e`, built only if asked; made here because a closure assigned to a name in the loop costs a defineProperty per transition (tsx and the bundle keep names). */
function pathThrough(nodes: Nodes, i: number, e: ModelEvent): () => ModelEvent[] {
  return () => [...nodes.pathTo(i), e];
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Walks every state reachable from `w`'s current one within `bounds`; `w` is left in some visited state. */
export function walkStates(w: World, enabled: EnabledOptions, bounds: WalkBounds, visit: WalkVisitor): WalkResult {
  const nodes = new Nodes();
  // Stryker disable next-line UnaryOperator: the initial state's parent is never read (pathTo stops at state 0)
  nodes.push(snapshotWorld(w), -1, undefined, 0);
  const seen = new FingerprintSet();
  seen.add(hashWorld(w));
  let transitions = 0;
  let depth = 0;
  let limit: WalkLimit | null = null;
  for (let i = 0; i < nodes.length; i++) {
    if (bounds.timeUp?.()) {
      limit = 'time';
      break;
    }
    const snap = nodes.take(i);
    const nodeDepth = nodes.depth(i);
    restoreWorld(w, snap);
    const events = enabledEvents(w.ctx, w.state, enabled);
    visit.state?.(w, events, () => nodes.pathTo(i));
    if (events.length === 0) continue;
    if (nodeDepth >= bounds.maxDepth) {
      limit = 'maxDepth';
      continue;
    }
    restoreWorld(w, snap);
    // Stryker disable next-line ConditionalExpression: apply lists the tree itself when given none, from the same restored state; listing it once here only saves a listing per event (and one made for no transition visitor is unused)
    const treeBefore = visit.transition ? observedTree(w) : undefined;
    for (const e of events) {
      restoreWorld(w, snap);
      const prev = w.state;
      const path = pathThrough(nodes, i, e);
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
      nodes.push(snapshotWorld(w), i, e, nodeDepth + 1);
      depth = Math.max(depth, nodeDepth + 1);
      visit.found?.(seen.size, depth, transitions);
    }
    if (seen.size > bounds.maxStates) break;
  }
  return { distinctStates: seen.size, transitions, depth, complete: limit === null, limit };
}
