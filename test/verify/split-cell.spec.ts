/**
 * One cell split across threads by state hash must come out as explored in one thread: the same
 * distinct states, transitions, depth, limit and counterexamples (the same events, so the same
 * length: breadth-first counterexamples are shortest), and the state counts and verdicts that
 * docs/verification.md records. The split replays explore's order exactly, so a state cap or a
 * depth bound must cut it at the same place too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVariant } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { ownerOf, splitInThisThread } from '../../model/verify/partition.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';
import { BOUNDS } from '../../sim/verification-doc.js';
import { boundedScenario, exploreCell, scenarioBounds, type Cell } from '../../sim/verdicts.js';
import { SplitPool } from '../../sim/workers/split-cell.js';
import { marksOf, recorded } from './recorded-matrix.js';

const builtin = (name: string): (typeof BUILTIN)[number] => {
  const s = BUILTIN.find((x) => x.name === name);
  if (!s) throw new Error(`no built-in ${name}`);
  return s;
};
const strip = ({ millis: _m, ...rest }: Cell): unknown => rest;
const now = (): number => performance.now();

describe('one cell split across threads by state hash', () => {
  let pool: SplitPool;
  beforeAll(() => {
    pool = new SplitPool(2);
  });
  afterAll(() => {
    pool.close();
  });

  // a few hundred states a variant, with three invariants violated under every fault model, and the timeout fault
  for (const name of ['concurrent-gc', 'gc-during-registration', 'timeout-retry']) {
    it(`should match one thread and docs/verification.md on ${name}`, () => {
      const s = builtin(name);
      const b = scenarioBounds(s, BOUNDS);
      const rows = recorded(name);
      expect(rows.size).toBeGreaterThan(1);
      for (const [variant, row] of rows) {
        const cfg = { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults, now };
        const one = b.faults.map((fault) => exploreCell(boundedScenario(s, b), variant, fault, cfg));
        const two = b.faults.map((fault) => exploreCell(boundedScenario(s, b), variant, fault, { ...cfg, split: pool }));
        expect(two.map(strip)).toEqual(one.map(strip));
        expect({ variant, marks: marksOf(two), states: two.reduce((a, c) => a + c.states, 0) }).toEqual({ variant, ...row });
      }
    });
  }

  it('should cut at the same state as one thread under a state cap or a depth bound, for any number of partitions', () => {
    const s = boundedScenario(builtin('seed-487'), scenarioBounds(builtin('seed-487'), BOUNDS));
    const v = parseVariant('upstream', []);
    if (!v.ok) throw new Error('no upstream variant');
    for (const fault of ['builderFailure', 'crash'] as const) {
      for (const bounds of [
        { maxStates: 1, maxDepth: 200 },
        { maxStates: 57, maxDepth: 200 },
        { maxStates: 180, maxDepth: 200 },
        { maxStates: 50_000, maxDepth: 9 },
      ]) {
        const opts = { variant: v.variant, faults: [fault], maxFaults: 1, ...bounds };
        const one = explore(s, opts);
        expect(one.complete).toBe(false);
        for (const parts of [1, 2, 3]) expect(splitInThisThread(s, opts, parts)).toEqual(one);
      }
    }
  });

  it('should spread states over the partitions', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const o = ownerOf(`${i.toString(16)}:state`, 3);
      counts[o] = (counts[o] ?? 0) + 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
