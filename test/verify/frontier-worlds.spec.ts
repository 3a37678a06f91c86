/**
 * The walk keeps no world for a state waiting in its queue: it replays the state's events from a
 * checkpoint (model/verify/frontier-worlds.ts). These pin what that saving must not cost: a replayed
 * world is the one the walk found (same hash), the walk sees the same states in the same order
 * whatever the checkpoint spacing, and the snapshots held stay well below one per waiting state and
 * are all let go by the end.
 */
import { describe, expect, it } from 'vitest';
import type { EnabledOptions, World } from '../../model/nix/index.js';
import { applyQuiet, enabledEvents, hashWorld, initialWorld, parseVariant, restoreWorld, snapshotWorld } from '../../model/nix/index.js';
import { freeScenario, walkStates } from '../../model/verify/index.js';
import { FrontierWorlds } from '../../model/verify/frontier-worlds.js';
import { StateTree } from '../../model/verify/state-tree.js';
import { concurrentTrio } from '../../bench/scenarios.js';
import { seed487 } from '../../sim/scenarios/builtin.js';

function world(scenario: Parameters<typeof freeScenario>[0], variant: string): World {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return initialWorld(freeScenario(scenario), v.variant);
}

const SEED_FAULTS: EnabledOptions = { freeFaults: { kinds: ['interrupt', 'crash', 'builderFailure'], max: 1, targets: seed487.explore?.faultTargets ?? [] } };
const TRIO_FAULTS: EnabledOptions = { freeFaults: { kinds: ['interrupt'], max: 1 } };

/** What a walk showed, state by state: the path handed out and the hash of the world it was given. */
function seenStates(w: World, enabled: EnabledOptions, maxStates: number, checkpointEvery: number): string[] {
  const out: string[] = [];
  walkStates(w, enabled, { maxDepth: Number.POSITIVE_INFINITY, maxStates }, {
    state: (sw, _events, path) => out.push(`${hashWorld(sw)} ${path().map((e) => `${e.type}(${e.actor})`).join(' ')}`),
  }, { checkpointEvery });
  return out;
}

describe('FrontierWorlds', () => {
  it('should give the walk the same states, in the same order, with the same paths, whatever the checkpoint spacing', () => {
    for (const [w, enabled, max] of [
      [() => world(seed487, 'upstream'), SEED_FAULTS, 1_000_000],
      [() => world(concurrentTrio(), 'upstream'), TRIO_FAULTS, 1_500],
    ] as const) {
      // spacing 1 replays one event per state; 1000 replays every state from the initial one
      const [first, ...rest] = [1, 2, 3, 1000].map((every) => seenStates(w(), enabled, max, every));
      expect(first?.length).toBeGreaterThan(1_000);
      for (const r of rest) expect(r).toEqual(first);
    }
  });

  it('should replay each waiting state to the world the walk found, and let every snapshot go once the queue is empty', () => {
    const r = replayingWalk(world(seed487, 'upstream'), SEED_FAULTS, Number.POSITIVE_INFINITY);
    expect(r.states).toBeGreaterThan(1_000);
    expect(r.heldAtEnd).toBe(0);
  });

  it('should hold far fewer snapshots than states wait in a wide walk', () => {
    // the trio's levels are wide, as in the runs where the queue's memory matters
    const r = replayingWalk(world(concurrentTrio(), 'upstream'), TRIO_FAULTS, 3_000);
    // one snapshot per waiting state, as the walk kept before, would make these equal (measured: 0.31)
    expect(r.heldSum).toBeLessThan(r.waitingSum * 0.5);
  });
});

/**
 * The walk's own loop without the invariants, expanding at most `maxExpanded` states, so a test can
 * watch the snapshots held; every world handed out is checked against the hash found for it.
 */
function replayingWalk(w: World, enabled: EnabledOptions, maxExpanded: number): { states: number; heldSum: number; waitingSum: number; heldAtEnd: number } {
  const tree = new StateTree();
  tree.push(-1, undefined, 0);
  const worlds = new FrontierWorlds(tree, w, snapshotWorld(w), 3);
  const found = [hashWorld(w)];
  const seen = new Set(found);
  let heldSum = 0;
  let waitingSum = 0;
  for (let i = 0; i < tree.length && i < maxExpanded; i++) {
    const snap = worlds.enter(i);
    restoreWorld(w, snap);
    expect(hashWorld(w)).toBe(found[i]);
    for (const e of enabledEvents(w.ctx, w.state, enabled)) {
      restoreWorld(w, snap);
      expect(applyQuiet(w, e).ok).toBe(true);
      const h = hashWorld(w);
      if (seen.has(h)) continue;
      seen.add(h);
      found.push(h);
      worlds.waits(tree.push(i, e, tree.depth(i) + 1));
    }
    worlds.leave(i);
    heldSum += worlds.held;
    waitingSum += tree.length - i - 1;
  }
  return { states: tree.length, heldSum, waitingSum, heldAtEnd: worlds.held };
}
