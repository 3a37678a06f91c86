/**
 * The worlds of the states a breadth-first walk has still to expand, without a snapshot per waiting
 * state: the queue holds about a quarter of all visited states, and their snapshots were nearly all
 * of the heap a walk kept (docs/perf.md). Only checkpoints keep a snapshot: states whose depth is a
 * multiple of `every`, and only while some waiting state descends from them. Any other world is
 * rebuilt by replaying, from its nearest checkpoint, the events that first reached it; the model is
 * deterministic, so the replayed world is the one the walk found (same hash, same checks).
 *
 * Replaying costs about one event per expanded state, not `every`: the queue is in tree order (the
 * states below one ancestor are contiguous within a level), so an ancestor replayed for one state is
 * still in the per-depth cache for its cousins that follow.
 */
import type { World, WorldSnapshot } from '../nix/index.js';
import { applyQuiet, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { StateTree } from './state-tree.js';

/**
 * Depths between checkpoints: memory against replays. On the trio's first 25,000 states (bench/goals.ts
 * 'memory'), 1 keeps the parents of the waiting states (62% as many snapshots as the queue, one
 * replay per state), 3 keeps 32% of it at 1.5 replays per expanded state (1.9 on seed-487, whose
 * levels are narrow). Right after a checkpoint depth is expanded the count is briefly as with 1,
 * so a walk's peak is about half the old queue's, not a third, when a cap stops it there.
 */
export const CHECKPOINT_EVERY = 3;

interface Checkpoint {
  readonly snap: WorldSnapshot;
  /** Waiting states whose nearest checkpoint this is; at 0 the snapshot goes. */
  waiting: number;
}

export class FrontierWorlds {
  private readonly checkpoints = new Map<number, Checkpoint>();
  /** Per depth, the state last replayed there and its world (tree order makes the next one likely its descendant). */
  private readonly recentNode: number[] = [];
  private readonly recentSnap: WorldSnapshot[] = [];

  constructor(
    private readonly tree: StateTree,
    private readonly w: World,
    initial: WorldSnapshot,
    private readonly every = CHECKPOINT_EVERY,
  ) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: a spacing below 1 would make every depth's modulo NaN or negative; callers pass constants
    if (!(every >= 1)) throw new Error(`walk bug: checkpoint spacing ${String(every)}`);
    this.recentNode[0] = 0;
    this.recentSnap[0] = initial;
  }

  /** The world of state `i`, which the walk is about to expand (`w` is left in some other state). */
  enter(i: number): WorldSnapshot {
    const snap = this.worldOf(i);
    if (this.isCheckpoint(i)) this.checkpoints.set(i, { snap, waiting: 0 });
    return snap;
  }

  /** State `child` was just found (a child of the state being expanded) and waits in the queue. */
  waits(child: number): void {
    const c = this.checkpoints.get(this.checkpointOf(child));
    // Stryker disable next-line ConditionalExpression,StringLiteral: the walk adds children only to the state it expands, whose checkpoint is held; this guard never fires
    if (!c) throw new Error(`walk bug: no checkpoint for state ${String(child)}`);
    c.waiting++;
  }

  /** State `i` is expanded: it waits no more, and a checkpoint no state waits on lets its snapshot go. */
  leave(i: number): void {
    const own = this.checkpoints.get(i);
    if (own?.waiting === 0) this.checkpoints.delete(i);
    if (i === 0) return;
    const at = this.checkpointOf(i);
    const c = this.checkpoints.get(at);
    if (c && --c.waiting === 0) this.checkpoints.delete(at);
  }

  /** Checkpoints holding a snapshot now (tests watch it shrink). */
  get held(): number {
    return this.checkpoints.size;
  }

  private isCheckpoint(i: number): boolean {
    return this.tree.depth(i) % this.every === 0;
  }

  /** The nearest proper ancestor of `i` at a checkpoint depth. */
  private checkpointOf(i: number): number {
    let n = this.tree.parent(i);
    while (n > 0 && !this.isCheckpoint(n)) n = this.tree.parent(n);
    return n;
  }

  private worldOf(i: number): WorldSnapshot {
    const todo: number[] = [];
    let snap: WorldSnapshot | undefined;
    for (let n = i; ; n = this.tree.parent(n)) {
      // Stryker disable next-line ConditionalExpression,StringLiteral: every waiting state's checkpoint is held, so the climb stops before the root's parent; this guard never fires
      if (n < 0) throw new Error(`walk bug: no world to replay state ${String(i)} from`);
      const d = this.tree.depth(n);
      if (this.recentNode[d] === n) {
        snap = this.recentSnap[d];
        break;
      }
      snap = this.checkpoints.get(n)?.snap;
      if (snap) break;
      todo.push(n);
    }
    const w = this.w;
    for (let k = todo.length - 1; k >= 0; k--) {
      const n = todo[k] ?? 0;
      const e = this.tree.event(n);
      // Stryker disable next-line ConditionalExpression,StringLiteral: only the initial state has no event, and it is always in the cache
      if (!e || !snap) throw new Error(`walk bug: state ${String(n)} has no event to replay`);
      restoreWorld(w, snap);
      const r = applyQuiet(w, e);
      // Stryker disable next-line ConditionalExpression,StringLiteral: the event was enabled when the walk took it, and the model is deterministic; this guard never fires
      if (!r.ok) throw new Error(`model bug: replaying ${e.type}(${e.actor}) to state ${String(n)}: ${r.reason}`);
      snap = snapshotWorld(w);
      const d = this.tree.depth(n);
      this.recentNode[d] = n;
      this.recentSnap[d] = snap;
    }
    // Stryker disable next-line ConditionalExpression,StringLiteral: the climb ends only with a snapshot in hand
    if (!snap) throw new Error(`walk bug: no world for state ${String(i)}`);
    return snap;
  }
}
