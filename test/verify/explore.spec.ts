import { describe, expect, it } from 'vitest';
import type { FaultKind, Scenario, Variant } from '../../model/nix/index.js';
import { apply, enabledEvents, hashWorld, initialWorld, parseVariant, restoreWorld, runScripted, snapshotWorld } from '../../model/nix/index.js';
import type { ExploreResult } from '../../model/verify/index.js';
import { checkPath, explore, freeScenario } from '../../model/verify/index.js';
import { concurrentGc, sameUserRetry, seed487 } from '../../sim/scenarios/builtin.js';

function run(variant: string, scenario = seed487, fault: 'interrupt' | 'crash' | 'builderFailure' = 'interrupt'): ExploreResult {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return explore(scenario, { variant: v.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
}

const broken = (r: ExploreResult): string[] => r.counterexamples.map((c) => c.invariant).sort();

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

/** Distinct states reachable with one free fault, counted depth-first: an independent check of the explorer's breadth-first count. */
function reachable(scenario: Scenario, variant: string, fault: FaultKind): number {
  const s = freeScenario(scenario);
  const w = initialWorld(s, variantOf(variant));
  const targets = s.explore?.faultTargets;
  const opts = { freeFaults: { kinds: [fault], max: 1, ...(targets ? { targets } : {}) } };
  const seen = new Set<string>([hashWorld(w)]);
  const stack = [snapshotWorld(w)];
  for (let snap = stack.pop(); snap; snap = stack.pop()) {
    restoreWorld(w, snap);
    for (const e of enabledEvents(w.ctx, w.state, opts)) {
      restoreWorld(w, snap);
      if (!apply(w, e).ok) throw new Error(`${e.type} disabled`);
      const h = hashWorld(w);
      if (!seen.has(h)) {
        seen.add(h);
        stack.push(snapshotWorld(w));
      }
    }
  }
  return seen.size;
}

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

  it('visits exactly the reachable states: a depth-first recount over the same events finds as many', () => {
    const r = run('upstream');
    expect(r.complete).toBe(true);
    expect(r.distinctStates).toBe(reachable(seed487, 'upstream', 'interrupt'));
    // and more than the one schedule a scripted run takes: interleavings, user draws and fault points are free
    expect(r.distinctStates).toBeGreaterThan(runScripted(seed487, variantOf('upstream')).steps.length + 1);
  });

  it('finds a shortest counterexample: no violation of NoWedge within one event fewer', () => {
    const cx = run('upstream').counterexamples.find((c) => c.invariant === 'NoWedge');
    const n = cx?.events.length ?? 0;
    expect(n).toBeGreaterThan(0);
    const cut = explore(seed487, { variant: variantOf('upstream'), faults: ['interrupt'], maxFaults: 1, maxDepth: n - 1, maxStates: 20_000 });
    expect(cut.complete).toBe(false);
    expect(broken(cut)).not.toContain('NoWedge');
  });
});

describe('garbage collection during a build', () => {
  it('upstream lets GC delete an in-progress output; temp-root-scratch does not', () => {
    expect(broken(run('upstream', concurrentGc))).toContain('InProgressOutputSafe');
    expect(broken(run('temp-root-scratch', concurrentGc))).not.toContain('InProgressOutputSafe');
  });
});

describe('which bound cut a search', () => {
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('upstream');
  const opts = { variant: v.variant, faults: ['interrupt'] as const, maxFaults: 1, maxDepth: 200, maxStates: 20_000 };

  it('names none when the search covered every reachable state', () => {
    const r = explore(seed487, opts);
    expect({ complete: r.complete, limit: r.limit }).toEqual({ complete: true, limit: null });
  });

  it('names maxStates, maxDepth and time when each stops it', () => {
    expect(explore(seed487, { ...opts, maxStates: 5 }).limit).toBe('maxStates');
    expect(explore(seed487, { ...opts, maxDepth: 5 }).limit).toBe('maxDepth');
    let asked = 0;
    const timed = explore(seed487, { ...opts, timeUp: () => ++asked > 3 });
    expect(timed.limit).toBe('time');
    expect(timed.complete).toBe(false);
  });

  it('a depth bound deeper than any run cuts nothing', () => {
    const r = explore(seed487, opts);
    expect(explore(seed487, { ...opts, maxDepth: r.depth }).limit).toBe(null);
    expect(explore(seed487, { ...opts, maxDepth: r.depth - 1 }).limit).toBe('maxDepth');
  });
});

describe('checking one path', () => {
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('upstream');

  it("finds the scripted run's stale file in same-user-retry's registered output, at the last state", () => {
    const p = checkPath(sameUserRetry, { variant: v.variant });
    const clean = p.violations.find((x) => x.invariant === 'CleanOutput');
    expect(clean?.message).toMatch(/\+stale/);
    expect(clean?.state).toBe(p.steps.length + 1);
    expect(p.truncated).toBe(false);
  });

  it('re-finds an exploration counterexample at the state it ends in, and stops at an event that is not enabled', () => {
    const r = explore(seed487, { variant: v.variant, faults: ['interrupt'], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
    const cx = r.counterexamples.find((c) => c.invariant === 'NoWedge');
    if (!cx) throw new Error('no NoWedge counterexample');
    const freeFaults = { kinds: ['interrupt'] as const, max: 1, targets: ['a1'] };
    const p = checkPath(freeScenario(seed487), { variant: v.variant, events: cx.events, freeFaults });
    expect(p.violations.filter((x) => x.invariant === 'NoWedge').map((x) => x.state)).toContain(cx.events.length + 1);
    const bad = checkPath(freeScenario(seed487), { variant: v.variant, events: [...cx.events.slice(0, 2), { type: 'registerOutputs', actor: 'a1' }], freeFaults });
    expect(bad.divergedAt?.index).toBe(2);
  });
});
