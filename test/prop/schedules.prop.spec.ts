import { describe, expect, it } from 'vitest';
import { parseVariant } from '../../model/nix/index.js';
import type { RandomOptions } from '../../model/verify/index.js';
import { randomCheck } from '../../model/verify/index.js';
import { concurrentGc, sameUserRetry, seed487 } from '../../sim/scenarios/builtin.js';

function opts(variant: string, extra: Partial<RandomOptions> = {}): RandomOptions {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return { variant: v.variant, faults: ['interrupt'], maxFaults: 1, runs: 150, seed: 487, ...extra };
}

describe('random schedules (fast-check) over the model', () => {
  it('should find a counterexample on upstream, shrunk to a short schedule', () => {
    const r = randomCheck(seed487, opts('upstream'));
    expect(r.failed).toBe(true);
    expect(r.counterexample?.invariant).toBe('NoWedge');
    expect(r.counterexample?.events.filter((e) => e.type === 'interrupt')).toHaveLength(1);
  });

  it('replays the same counterexample from its seed and path', () => {
    const first = randomCheck(seed487, opts('upstream'));
    const again = randomCheck(seed487, opts('upstream', { ...(first.path ? { path: first.path } : {}), runs: 1 }));
    expect(again.failed).toBe(true);
    expect(again.counterexample?.events).toEqual(first.counterexample?.events);
  });

  for (const [scenario, fault] of [
    [seed487, 'interrupt'],
    [seed487, 'builderFailure'],
    [sameUserRetry, 'interrupt'],
    [concurrentGc, 'interrupt'],
  ] as const) {
    it(`should hold every invariant on recommended: ${scenario.name} under ${fault}`, () => {
      const r = randomCheck(scenario, opts('recommended', { faults: [fault], seed: 1 }));
      expect(r.counterexample?.message).toBeUndefined();
      expect(r.failed).toBe(false);
      expect(r.numRuns).toBe(150);
    });
  }

  it('should find GC deleting an in-progress output on upstream', () => {
    const r = randomCheck(concurrentGc, opts('upstream', { seed: 3 }));
    expect(r.failed).toBe(true);
  });
});
