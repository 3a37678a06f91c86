import { describe, expect, it } from 'vitest';
import { parseVariant } from '../../model/nix/index.js';
import type { ExploreResult } from '../../model/verify/index.js';
import { explore } from '../../model/verify/index.js';
import { concurrentGc, seed487 } from '../../sim/scenarios/builtin.js';

function run(variant: string, scenario = seed487, fault: 'interrupt' | 'crash' | 'builderFailure' = 'interrupt'): ExploreResult {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return explore(scenario, { variant: v.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
}

const broken = (r: ExploreResult): string[] => r.counterexamples.map((c) => c.invariant).sort();

describe('exhaustive exploration of seed-487', () => {
  it('finds the wedge on upstream, with a replayable shortest event list', () => {
    const r = run('upstream');
    expect(r.complete).toBe(true);
    expect(broken(r)).toContain('NoWedge');
    const cx = r.counterexamples.find((c) => c.invariant === 'NoWedge');
    expect(cx?.events.some((e) => e.type === 'interrupt')).toBe(true);
  });

  it('on 2.34.8, deleting the stale scratch path alone still wedges through a leftover <scratch>.tmp', () => {
    const r = run('prepare-deletes-stale-scratch');
    expect(r.complete).toBe(true);
    const cx = r.counterexamples.find((c) => c.invariant === 'NoWedge');
    expect(cx?.message).toMatch(/\.tmp' already exists/);
    expect(cx?.events.some((e) => e.type === 'interrupt')).toBe(true);
  });

  it('the recommended series (with the store temp dir of 2.35) never wedges under interrupts', () => {
    const r = run('recommended');
    expect(r.complete).toBe(true);
    expect(broken(r)).not.toContain('NoWedge');
    expect(broken(r)).not.toContain('CleanOutput');
    expect(broken(r)).not.toContain('NoDebrisAfterRecovery');
  });

  it('explores more than one state per fault point (interleavings and user draws are free)', () => {
    const r = run('upstream');
    expect(r.distinctStates).toBeGreaterThan(20);
  });
});

describe('garbage collection during a build', () => {
  it('upstream lets GC delete an in-progress output; temp-root-scratch does not', () => {
    expect(broken(run('upstream', concurrentGc))).toContain('InProgressOutputSafe');
    expect(broken(run('temp-root-scratch', concurrentGc))).not.toContain('InProgressOutputSafe');
  });
});
