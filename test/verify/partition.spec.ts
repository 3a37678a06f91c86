/**
 * The split search in one thread against explore on spaces where the coordinator hands states over
 * (levels wide enough for the partitions' shares to drift apart), with a state cap that cuts a wide
 * level, and with counterexamples found at several keys of one level.
 *
 * The split's answer is the same however a level is balanced, and explore's order hides which
 * partition reported what; so the coordinator's plan (who hands how many states to whom) and its
 * merging of reports are also driven directly, with the reports a partition would send.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, Variant } from '../../model/nix/index.js';
import { applyQuiet, enabledEvents, initialWorld, parseVariant, snapshotWorld } from '../../model/nix/index.js';
import { explore, freeScenario } from '../../model/verify/index.js';
import type { KeyedViolation, LevelReport, Moved, NextLevel, PartitionOptions } from '../../model/verify/partition.js';
import { LevelMerge, ownerOf, Partition, splitInThisThread } from '../../model/verify/partition.js';
import { concurrentTrio } from '../../bench/scenarios.js';
import { BUILTIN, concurrentGc } from '../../sim/scenarios/builtin.js';

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

type Opts = PartitionOptions & { readonly maxStates: number };

/** splitInThisThread's loop, counting the states handed over, so a test knows the hand-over ran. */
function splitCounting(scenario: Scenario, opts: Opts, parts: number): { handed: number; levels: number } {
  const all = Array.from({ length: parts }, (_, i) => new Partition(scenario, opts, i, parts));
  const merge = new LevelMerge(opts.maxStates, parts);
  let handed = 0;
  for (let depth = 0; ; depth++) {
    const expanded = all.map((p) => p.expand(depth));
    for (const p of all) for (const x of expanded) p.receive(x.claims[p.index] ?? []);
    const next = merge.merge(
      expanded.map((x) => x.report),
      all.map((p) => p.settle()),
    );
    if (next === null) return { handed, levels: depth + 1 };
    const moved: Moved[][][] = all.map((p, i) => p.next(next[i] as NextLevel));
    for (const p of all) {
      for (const m of moved) {
        const mine = m[p.index] ?? [];
        handed += mine.length;
        p.accept(mine);
      }
    }
  }
}

const upstream = variantOf('upstream');
/** Each case, and how many invariants explore finds broken there (several: their order by key is compared too). */
const CASES: [string, Scenario, Opts, number][] = [
  ['concurrent-gc, interrupts and crashes, two faults', concurrentGc, { variant: upstream, faults: ['interrupt', 'crash'], maxFaults: 2, maxDepth: 200, maxStates: 100_000 }, 2],
  ['concurrent-trio, cut at 1,000 states', concurrentTrio(), { variant: upstream, faults: ['interrupt'], maxFaults: 1, maxDepth: 200, maxStates: 1_000 }, 0],
  ['concurrent-trio, cut at depth 7', concurrentTrio(), { variant: upstream, faults: ['interrupt'], maxFaults: 1, maxDepth: 7, maxStates: 100_000 }, 0],
];

describe('the split search on levels wide enough to hand states over', () => {
  for (const [label, s, opts, broken] of CASES) {
    it(`should report what explore reports, for 2 and 3 partitions: ${label}`, () => {
      const one = explore(s, opts);
      expect(one.counterexamples.length).toBeGreaterThanOrEqual(broken);
      for (const parts of [2, 3]) expect(splitInThisThread(s, opts, parts), `${String(parts)} partitions`).toEqual(one);
      // and the hand-over ran: some state left the partition that found it
      expect(splitCounting(s, opts, 3).handed).toBeGreaterThan(0);
    });
  }

});

describe('the split search where the order of a level matters', () => {
  it('should expand the states handed to a partition in rank order among its own: the keys of what they both reach decide where the state cap cuts', () => {
    const opts: Opts = { variant: upstream, faults: ['builderFailure'], maxFaults: 1, maxDepth: 200, maxStates: 120 };
    const one = explore(concurrentTrio(), opts);
    for (const parts of [2, 3]) expect(splitInThisThread(concurrentTrio(), opts, parts), `${String(parts)} partitions`).toEqual(one);
    expect(splitCounting(concurrentTrio(), opts, 3).handed).toBeGreaterThan(0);
  });

  it("should keep what the state check found at the state whose first move reaches the state cap", () => {
    // the wedge is first seen at a state whose first move finds the state one over the cap: one state fewer and it is not reached
    for (const [fault, cap] of [['interrupt', 39], ['crash', 30]] as const) {
      const opts: Opts = { variant: upstream, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: cap };
      const one = explore(concurrentGc, opts);
      expect(one.counterexamples.map((c) => c.invariant), fault).toContain('NoWedge');
      expect(explore(concurrentGc, { ...opts, maxStates: cap - 1 }).counterexamples.map((c) => c.invariant), fault).not.toContain('NoWedge');
      for (const parts of [2, 3]) expect(splitInThisThread(concurrentGc, opts, parts), `${fault}, ${String(parts)} partitions`).toEqual(one);
    }
  });
});

describe('ownerOf', () => {
  it('should give every hash an owner among the partitions, the same one each time', () => {
    for (const parts of [1, 2, 3, 7]) {
      for (let i = 0; i < 500; i++) {
        const h = `${(i * 2654435761).toString(16)}:${String(i)}`;
        const o = ownerOf(h, parts);
        expect(Number.isInteger(o) && o >= 0 && o < parts).toBe(true);
        expect(ownerOf(h, parts)).toBe(o);
      }
    }
  });
});

const report = (held: number, found: readonly KeyedViolation[] = [], timeUp = false): LevelReport => ({ held, moves: [], found, depthCut: false, timeUp });
/** `count` new states found from the state at `rank`, as (rank, event) pairs. */
const from = (rank: number, count: number): number[] => Array.from({ length: count }, (_, e) => [rank, e]).flat();
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

function planned(next: NextLevel[] | null): NextLevel[] {
  if (next === null) throw new Error('the search ended where a plan was expected');
  return next;
}

/** A coordinator past its first level, where partition 0 found 10 states for each partition and handed 10 to each other one. */
function pastFirstLevel(parts: number): { merge: LevelMerge; holding: (p: number) => number } {
  const merge = new LevelMerge(1_000_000, parts);
  const first = planned(merge.merge(Array.from({ length: parts }, (_, p) => report(p === 0 ? 1 : 0)), [from(0, 10 * parts)]));
  expect(first[0]?.give).toEqual([0, ...Array.from({ length: parts - 1 }, () => 10)]);
  // Partition.next hands over from the end of its share, the lowest partition first: partition q (q > 0) gets ranks 10 * (parts - q) onwards
  return { merge, holding: (p) => (p === 0 ? 0 : 10 * (parts - p)) };
}

/** The plan for a second level where partition p's states found `shares[p]` new states. */
function planFor(shares: readonly number[]): NextLevel[] {
  const { merge, holding } = pastFirstLevel(shares.length);
  const plan = planned(merge.merge(shares.map(() => report(10)), shares.map((n, p) => from(holding(p), n))));
  // each new state stays, before any hand-over, with the partition that holds its parent
  plan.forEach((next, p) => {
    const parents = new Set(next.keep.filter((_, i) => i % 3 === 0));
    expect([...parents], `partition ${String(p)}'s parents`).toEqual((shares[p] ?? 0) > 0 ? [holding(p)] : []);
  });
  return plan;
}

/** Each partition's share of the next level once the hand-over is done. */
function after(plan: readonly NextLevel[]): number[] {
  return plan.map((next, p) => next.keep.length / 3 - sum(next.give) + sum(plan.map((q) => q.give[p] ?? 0)));
}

/** What any plan must be: one count per partition, none to itself, none both giving and getting, and `from` naming exactly the givers. */
function expectWellFormed(plan: readonly NextLevel[]): void {
  plan.forEach((next, p) => {
    expect(next.give).toHaveLength(plan.length);
    expect(next.give[p]).toBe(0);
    const givers = plan.flatMap((q, i) => ((q.give[p] ?? 0) > 0 ? [i] : []));
    expect(next.from, `partition ${String(p)} waits for`).toEqual(givers);
    if (givers.length > 0) expect(sum(next.give), `partition ${String(p)} gets and gives`).toBe(0);
  });
}

describe("the coordinator's plan for the next level", () => {
  it('should leave the first level with the partition that holds the initial state, whichever it is', () => {
    const plan = planned(new LevelMerge(1_000, 3).merge([report(0), report(0), report(1)], [from(0, 3)]));
    expect(plan.map((n) => n.keep.length / 3)).toEqual([0, 0, 3]);
    expectWellFormed(plan);
  });

  it('should hand nothing over while no share is more than 4 states over its due', () => {
    // nine new states for two partitions: a due of five, and one share of nine
    const plan = planned(new LevelMerge(1_000, 2).merge([report(1), report(0)], [from(0, 9)]));
    expect(plan.map((n) => n.give)).toEqual([[0, 0], [0, 0]]);
    expect(after(plan)).toEqual([9, 0]);
    expectWellFormed(plan);
  });

  it('should cut a share more than 4 over its due down to the due, the rest to the partition under it', () => {
    const plan = planned(new LevelMerge(1_000, 2).merge([report(1), report(0)], [from(0, 10)]));
    expect(after(plan)).toEqual([5, 5]);
    expectWellFormed(plan);
  });

  it('should allow a wide level an eighth of its due as slack, and no more', () => {
    // 180 states for two partitions: a due of 90, and a slack of 11
    expect(after(planFor([100, 80]))).toEqual([100, 80]);
    expect(after(planFor([101, 79]))).toEqual([101, 79]);
    expect(after(planFor([102, 78]))).toEqual([90, 90]);
    expect(after(planFor([110, 70]))).toEqual([90, 90]);
    expect(after(planFor([70, 110]))).toEqual([90, 90]);
  });

  it('should leave a giver with exactly its due, the due rounded up, when the level does not divide evenly', () => {
    // 181 states: a due of 91; the other share ends one under it
    const plan = planFor([111, 70]);
    expect(after(plan)).toEqual([91, 90]);
    expect(plan[0]?.give).toEqual([0, 20]);
    expectWellFormed(plan);
  });

  it('should fill the partitions under their due, the lowest first, none past its due', () => {
    // 25 states for three: a due of 9; partition 1 has room for 4, partition 2 for 9
    const plan = planFor([20, 5, 0]);
    expect(plan[0]?.give).toEqual([0, 4, 7]);
    expect(after(plan)).toEqual([9, 9, 7]);
    expectWellFormed(plan);
  });

  it('should share the room left by one giver with the next giver, never filling a partition twice', () => {
    // 80 states for four: a due of 20; partitions 0 and 1 give 15 each, partition 2 has room for 10, partition 3 for 20
    const plan = planFor([35, 35, 10, 0]);
    expect(plan.map((n) => n.give)).toEqual([
      [0, 0, 10, 5],
      [0, 0, 0, 15],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(plan.map((n) => n.from)).toEqual([[], [], [0], [0, 1]]);
    expect(after(plan)).toEqual([20, 20, 20, 20]);
    expectWellFormed(plan);
  });

  it('should keep every new state with exactly one partition, whatever the shares', () => {
    for (const shares of [[7, 0, 30], [0, 0, 0, 50], [13, 12, 11], [40, 1, 1, 1, 1]]) {
      const plan = planFor(shares);
      expectWellFormed(plan);
      const ends = after(plan);
      expect(sum(ends), String(shares)).toBe(sum(shares));
      const due = Math.ceil(sum(shares) / shares.length);
      // every giver ends at its due, and nobody is given past it
      plan.forEach((next, p) => {
        if (sum(next.give) > 0) expect(ends[p]).toBe(due);
        if (next.from.length > 0) expect(ends[p]).toBeLessThanOrEqual(due);
      });
    }
  });
});

const violation = (invariant: KeyedViolation['invariant'], rank: number, event: number): KeyedViolation => ({ invariant, message: `${invariant} at ${String(rank)}/${String(event)}`, events: [], rank, event });

describe("the coordinator's counterexamples and limits", () => {
  it('should list counterexamples as explore finds them: by level, then by key, whichever partition reported them', () => {
    const merge = new LevelMerge(1_000, 2);
    planned(merge.merge([report(1), report(0)], [from(0, 4)]));
    // level 1: partition 0 holds ranks 0..3; the reports say what each found, each in its own key order
    planned(
      merge.merge(
        [report(2, [violation('CleanOutput', 3, 0)]), report(2, [violation('NoWedge', 1, -1), violation('InProgressOutputSafe', 1, 2)])],
        [from(0, 2)],
      ),
    );
    // level 2: a smaller key than any of level 1's, found first by partition 0
    expect(merge.merge([report(1, [violation('ValidPathsIntact', 0, 0)]), report(1)], [])).toBeNull();
    expect(merge.result().counterexamples.map((c) => c.message)).toEqual([
      'NoWedge at 1/-1',
      'InProgressOutputSafe at 1/2',
      'CleanOutput at 3/0',
      'ValidPathsIntact at 0/0',
    ]);
  });

  it('should keep the smallest key of an invariant broken in one level by several partitions', () => {
    const merge = new LevelMerge(1_000, 2);
    planned(merge.merge([report(1), report(0)], [from(0, 4)]));
    expect(merge.merge([report(2, [violation('NoWedge', 3, 1)]), report(2, [violation('NoWedge', 2, 5)])], [])).toBeNull();
    expect(merge.result().counterexamples.map((c) => c.message)).toEqual(['NoWedge at 2/5']);
  });

  it('should keep the first level an invariant is broken in, not a smaller key found later', () => {
    const merge = new LevelMerge(1_000, 2);
    planned(merge.merge([report(1, [violation('NoWedge', 0, 3)]), report(0)], [from(0, 4)]));
    expect(merge.merge([report(2, [violation('NoWedge', 0, 0)]), report(2)], [])).toBeNull();
    expect(merge.result().counterexamples.map((c) => c.message)).toEqual(['NoWedge at 0/3']);
  });

  it('should drop what was found past the state cap, and keep what the capping move itself found', () => {
    // a cap of 3 states: the initial one and two more; the third new state, at (1, 0), is where explore stops
    const merge = new LevelMerge(3, 2);
    const broken = [violation('NoWedge', 0, 2), violation('CleanOutput', 1, -1), violation('InProgressOutputSafe', 1, 0)];
    const late = [violation('ValidPathsIntact', 1, 1), violation('NoForeignContent', 2, -1)];
    expect(merge.merge([report(1, broken), report(1, late)], [[0, 0, 1, 0, 0, 1, 1, 3]])).toBeNull();
    const r = merge.result();
    expect(r.counterexamples.map((c) => c.invariant)).toEqual(['NoWedge', 'CleanOutput', 'InProgressOutputSafe']);
    expect({ states: r.distinctStates, limit: r.limit, complete: r.complete }).toEqual({ states: 4, limit: 'maxStates', complete: false });
  });

  it('should stop the whole search when any one partition ran out of time', () => {
    const merge = new LevelMerge(1_000, 3);
    expect(merge.merge([report(1), report(0, [], true), report(0)], [from(0, 5)])).toBeNull();
    expect(merge.result()).toMatchObject({ limit: 'time', complete: false, distinctStates: 6 });
  });
});

describe('a partition as the owner of states', () => {
  it('should keep the smallest key of a state claimed several times in a level, whatever order the claims come in', () => {
    const p = new Partition(concurrentGc, { variant: upstream, faults: ['interrupt'], maxFaults: 1, maxDepth: 200 }, 0, 2);
    p.receive([{ hash: 'h1', rank: 5, event: 0 }, { hash: 'h2', rank: 4, event: 7 }]);
    p.receive([{ hash: 'h1', rank: 2, event: 3 }, { hash: 'h2', rank: 4, event: 2 }, { hash: 'h1', rank: 2, event: 4 }]);
    expect(p.settle()).toEqual([2, 3, 4, 2]);
  });
  it('should hold each state it finds under its own key, however far apart the ranks of their parents', () => {
    // a level of more than 65,536 states is within the caps a run may ask for: here one parent at rank 0 and one at 65,536
    const popts: PartitionOptions = { variant: upstream, faults: [], maxFaults: 0, maxDepth: 200 };
    const trio = concurrentTrio();
    const w = initialWorld(freeScenario(trio), upstream);
    const [e0, e1] = enabledEvents(w.ctx, w.state, {});
    if (!e0 || !e1) throw new Error('concurrent-trio starts with fewer than two events');
    if (!applyQuiet(w, e0).ok) throw new Error('first event disabled');
    const [f0] = enabledEvents(w.ctx, w.state, {});
    if (!f0) throw new Error('no event after the first');
    const p = new Partition(trio, popts, 0, 1);
    p.accept([{ rank: 65536, snap: snapshotWorld(w), path: [e0] }]);
    const { claims } = p.expand(0);
    p.receive(claims[0] ?? []);
    const keys = p.settle();
    // the initial state's second successor and the far parent's first, both new
    expect(keys).toEqual(expect.arrayContaining([0, 1]));
    expect(keys.join()).toContain('65536,0');
    const [handed] = p.next({ keep: [0, 1, 0, 65536, 0, 1], give: [2], from: [] });
    expect(handed?.map((m) => m.path)).toEqual([[e1], [e0, f0]]);
  });
});

describe('the split search at the edges of its bounds', () => {
  const deleteRaces = BUILTIN.find((x) => x.name === 'delete-races-rebuild');
  if (!deleteRaces) throw new Error('no built-in delete-races-rebuild');
  const { explore: _own, ...bare } = concurrentGc;

  it('should fault only the builds a scenario names as targets, and every build when it has no explore block', () => {
    const opts: Opts = { variant: upstream, faults: ['crash'], maxFaults: 1, maxDepth: 200, maxStates: 100_000 };
    for (const s of [deleteRaces, bare]) expect(splitInThisThread(s, opts, 2), s.name).toEqual(explore(s, opts));
  });

  it('should call a search complete when the states at its depth bound have no moves left', () => {
    const opts: Opts = { variant: upstream, faults: ['interrupt'], maxFaults: 1, maxDepth: 200, maxStates: 100_000 };
    const deepest = explore(concurrentGc, opts).depth;
    const bounded = { ...opts, maxDepth: deepest };
    expect(explore(concurrentGc, bounded).complete).toBe(true);
    expect(splitInThisThread(concurrentGc, bounded, 2)).toEqual(explore(concurrentGc, bounded));
  });

  it('should stop, limited by time, once the clock runs out', () => {
    let asked = 0;
    const opts = { variant: upstream, faults: ['interrupt' as const], maxFaults: 1, maxDepth: 200, maxStates: 100_000, timeUp: () => ++asked > 10 };
    const r = splitInThisThread(concurrentGc, opts, 2);
    expect({ limit: r.limit, complete: r.complete }).toEqual({ limit: 'time', complete: false });
    expect(r.distinctStates).toBeLessThan(explore(concurrentGc, { ...opts, timeUp: () => false }).distinctStates);
  });
});
