/**
 * The options of explore and checkPath that the verdict tests leave alone: which states count as
 * idle, where free faults may land when a scenario names no targets, progress reports, and how a
 * path check ends (its step limit, the end of a recorded path, a recorded event not enabled).
 */
import { describe, expect, it } from 'vitest';
import type { ModelEvent, ModelState, Variant } from '../../model/nix/index.js';
import { initialWorld, parseVariant } from '../../model/nix/index.js';
import type { ExploreOptions } from '../../model/verify/index.js';
import { checkPath, explore, freeScenario, idle, runSchedule } from '../../model/verify/index.js';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { concurrentTrio } from '../../bench/scenarios.js';
import { buildIn, runUntil, world } from '../nix/stepping.js';

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

describe('idle: no build between start and end, no stray builder process', () => {
  const w = world(seed487);
  const s0 = w.state;

  it('should hold where every build waits to start, and stop holding once one has started', () => {
    expect(s0.actors.some((a) => a.kind === 'build')).toBe(true);
    expect(idle(s0)).toBe(true);
    runUntil(w, 'a1', (a) => a.phase.kind === 'building');
    expect(idle(w.state)).toBe(false);
  });

  it('should hold where every build is done, whatever other actors do, and not while a stray process runs', () => {
    const done = (s: ModelState): ModelState => ({
      ...s,
      actors: s.actors.map((a) => (a.kind === 'build' ? { ...a, phase: { kind: 'done' as const, outcome: { kind: 'success' as const, skipped: true } } } : a)),
    } as ModelState);
    expect(idle(done(s0))).toBe(true);
    const a1 = buildIn(w, 'a1');
    const orphan = { id: 'a1~orphan', drv: a1.drv, uid: 30001, scratch: a1.scratch ?? '/nix/store/x', pc: 0, lastStatus: 0 };
    expect(idle({ ...done(s0), orphans: [orphan] })).toBe(false);
  });
});

describe('explore: options', () => {
  const upstream = variantOf('upstream');
  const base: ExploreOptions = { variant: upstream, faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, maxDepth: 200, maxStates: 100_000 };

  it('should let free faults land on any actor when the scenario names no fault targets', () => {
    const { explore: _targets, ...bare } = seed487;
    expect(seed487.explore?.faultTargets?.length).toBeGreaterThan(0);
    const anywhere = explore(bare, base);
    const targeted = explore(seed487, base);
    expect(anywhere.complete).toBe(true);
    expect(targeted.complete).toBe(true);
    expect(anywhere.distinctStates).toBeGreaterThan(targeted.distinctStates);
  });

  it('should report progress every progressEvery new states, and every 500 by default', () => {
    const seen: { states: number; depth: number; transitions: number }[] = [];
    const r = explore(seed487, { ...base, progressEvery: 10, onProgress: (p) => seen.push(p) });
    expect(r.complete).toBe(true);
    // the walk counts the initial state, then reports at each multiple of 10 it reaches
    expect(seen.map((p) => p.states)).toEqual(Array.from({ length: Math.floor(r.distinctStates / 10) }, (_, i) => (i + 1) * 10));
    for (const [i, p] of seen.entries()) {
      expect(p.depth).toBeGreaterThan(0);
      expect(p.depth).toBeLessThanOrEqual(r.depth);
      expect(p.transitions).toBeGreaterThanOrEqual(p.states - 1);
      if (i > 0) expect(p.transitions).toBeGreaterThan(seen[i - 1]?.transitions ?? 0);
    }
    const byDefault: number[] = [];
    explore(seed487, { ...base, onProgress: (p) => byDefault.push(p.states) });
    expect(r.distinctStates).toBeGreaterThan(1000);
    expect(byDefault).toEqual(Array.from({ length: Math.floor(r.distinctStates / 500) }, (_, i) => (i + 1) * 500));
    // and the search still checks every state where no build runs
    expect(r.counterexamples.map((c) => c.invariant)).toContain('NoWedge');
  });
});

describe('checkPath: how a path check ends', () => {
  const recommended = variantOf('recommended');

  it('should stop a scripted run at maxSteps and call it truncated', () => {
    const full = checkPath(seed487, { variant: recommended });
    expect(full.truncated).toBe(false);
    expect(full.divergedAt).toBeUndefined();
    expect(full.steps.length).toBeGreaterThan(3);
    const cut = checkPath(seed487, { variant: recommended, maxSteps: 3 });
    expect(cut.truncated).toBe(true);
    expect(cut.divergedAt).toBeUndefined();
    expect(cut.steps.map((s) => s.event)).toEqual(full.steps.slice(0, 3).map((s) => s.event));
  });

  it('should follow recorded events to their end and no further, even where more is enabled', () => {
    const full = checkPath(seed487, { variant: recommended });
    const events: ModelEvent[] = full.steps.slice(0, 5).map((s) => s.event);
    const p = checkPath(freeScenario(seed487), { variant: recommended, events });
    expect(p.steps.map((s) => s.event)).toEqual(events);
    expect(p.truncated).toBe(false);
    expect(p.divergedAt).toBeUndefined();
  });

  it('should take each recorded event as recorded: its type and its actor, not only one of them', () => {
    // three concurrent builds and a GC, off the scripted schedule: at most steps several actors are enabled
    // with the same event type, and one actor with several (its next step, or an interrupt)
    const trio = concurrentTrio();
    expect(trio.explore?.faultTargets).toBeUndefined();
    const up = variantOf('upstream');
    for (const choices of [[1, 2, 1, 0, 2, 1, 1, 0, 2, 2, 1, 1, 2], [0, 1, 2, 1000, 1, 2, 0, 1, 1001, 2]]) {
      const { events } = runSchedule(trio, { variant: up, faults: ['interrupt'], maxFaults: 1 }, choices);
      const p = checkPath(freeScenario(trio), { variant: up, events, freeFaults: { kinds: ['interrupt'], max: 1 } });
      expect(p.divergedAt).toBeUndefined();
      expect(p.steps.map((s) => s.event)).toEqual(events);
    }
  });

  it('should call a recorded event past the end of the run diverged, not the end of the path', () => {
    const full = checkPath(seed487, { variant: recommended });
    const events = full.steps.map((s) => s.event);
    const last = events.at(-1);
    if (!last) throw new Error('no steps');
    // nothing is enabled after the scripted run's last event, so the same event once more cannot be taken
    const p = checkPath(seed487, { variant: recommended, events: [...events, last] });
    expect(p.divergedAt).toEqual({ index: events.length, reason: `${last.type}(${last.actor}) is not enabled here` });
    expect(p.steps.map((s) => s.event)).toEqual(events);
    expect(p.truncated).toBe(false);
  });

  it('should name the recorded event that is not enabled, and where', () => {
    const w = initialWorld(freeScenario(seed487), recommended);
    expect(w.state.actors.some((a) => a.id === 'a3')).toBe(true);
    const events: ModelEvent[] = [...checkPath(seed487, { variant: recommended }).steps.slice(0, 2).map((s) => s.event), { type: 'registerOutputs', actor: 'a3' }];
    const p = checkPath(freeScenario(seed487), { variant: recommended, events });
    expect(p.divergedAt).toEqual({ index: 2, reason: 'registerOutputs(a3) is not enabled here' });
    expect(p.truncated).toBe(false);
    expect(p.steps).toHaveLength(2);
  });
});
