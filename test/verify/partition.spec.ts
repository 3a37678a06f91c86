/**
 * The split search in one thread against explore on spaces where the coordinator hands states over
 * (levels wide enough for the partitions' shares to drift apart), with a state cap that cuts a wide
 * level, and with counterexamples found at several keys of one level.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, Variant } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import type { Moved, NextLevel, PartitionOptions } from '../../model/verify/partition.js';
import { LevelMerge, ownerOf, Partition, splitInThisThread } from '../../model/verify/partition.js';
import { concurrentTrio } from '../../bench/scenarios.js';
import { concurrentGc } from '../../sim/scenarios/builtin.js';

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
