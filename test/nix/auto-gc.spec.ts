/**
 * The automatic GC (min-free / max-free) of a build's own daemon worker, as read in
 * libstore/gc.cc LocalStore::autoGC @2.34.8: started from the worker loop (worker.cc l.350), a
 * detached thread running the same collectGarbage (gc.cc l.854-886) beside the build, ended by that
 * process's SIGKILL or interrupt flag, by max-free, or by the worker's exit.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, resolveRef } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { autoGcDuringCaBuildDarwin, autoGcDuringCaBuildLinux } from '../../sim/scenarios/auto-gc.js';
import { concurrentGc } from '../../sim/scenarios/builtin.js';
import { buildIn, runUntil, take, world } from './stepping.js';

const scenario = autoGcDuringCaBuildLinux;
const enabledFor = (w: World, id: string): string[] => enabledEvents(w.ctx, w.state).filter((e) => e.actor === id).map((e) => e.type);

function gc(w: World, id = 'autogc') {
  const a = w.state.actors.find((x) => x.id === id);
  if (a?.kind !== 'gc') throw new Error(`no gc actor ${id}`);
  return a;
}

const scratch = (w: World): string => resolveRef(w.ctx, { drv: 'godyn', which: 'scratch' }, w.state.realisations) ?? '';
const exists = (w: World, p: string): boolean => w.ctx.fs.lstat(w.ctx.daemon, p).ok;

/** The build at the auto-GC's point: about to take its builderAction number 2. */
function atPoint(s: Scenario = scenario): World {
  const w = world(s);
  runUntil(w, 'a1', (a) => (a.counts.builderAction ?? 0) === 2);
  return w;
}

describe('starting: only at its point of the worker loop (worker.cc Worker::run l.350)', () => {
  it('starts beside the build without pausing it: both move at the point', () => {
    const w = atPoint();
    expect(enabledFor(w, 'a1')).toEqual(['builderAction']);
    expect(enabledFor(w, 'autogc')).toEqual(['gcStep']);
  });

  it('never starts once the build has gone past the point', () => {
    const w = atPoint();
    take(w, { type: 'builderAction', actor: 'a1' });
    expect(enabledFor(w, 'autogc')).toEqual([]);
    const r = apply(w, { type: 'gcStep', actor: 'autogc' });
    expect(r.ok ? 'enabled' : r.reason).toMatch(/only at its point/);
  });

  it('without a `during` point (a scenario the checker refuses), it is never enabled: the enabled set agrees with apply', () => {
    const noPoint: Scenario = { ...scenario, actors: scenario.actors.map((a) => (a.id === 'autogc' ? { id: a.id, kind: 'gc' as const, autoGcOf: 'a1' } : a)) };
    const w = world(noPoint);
    for (let i = 0; i < 200; i++) {
      expect(enabledFor(w, 'autogc')).toEqual([]);
      const r = apply(w, { type: 'gcStep', actor: 'autogc' });
      expect(r.ok ? 'enabled' : r.reason).toMatch(/only at its point/);
      const [next] = enabledEvents(w.ctx, w.state);
      if (!next) break;
      take(w, next);
    }
  });

  it('an external nix store gc placed `during` a build pauses it instead, and never ends early', () => {
    const w = world(concurrentGc);
    runUntil(w, 'a1', (a) => (a.counts.builderAction ?? 0) === 2);
    take(w, { type: 'gcStep', actor: 'gc' });
    expect(enabledFor(w, 'a1')).toEqual([]);
    expect(enabledFor(w, 'gc')).toEqual(['gcStep']);
  });
});

describe('what it collects: the same collector, so the same roots (flock per open file description)', () => {
  it('upstream: deletes the in-progress scratch output, which nothing roots, and keeps the lock file its own goal roots', () => {
    const w = atPoint();
    const out = scratch(w);
    expect(exists(w, out)).toBe(true);
    take(w, { type: 'gcStep', actor: 'autogc' });
    expect(gc(w).pending).toBeDefined();
    while (gc(w).state !== 'done') take(w, { type: 'gcStep', actor: 'autogc' });
    expect(gc(w).deleted).toEqual([out]);
    expect(exists(w, out)).toBe(false);
    const lock = resolveRef(w.ctx, { drv: 'godyn', which: 'lock' }, w.state.realisations) ?? '';
    expect(exists(w, lock)).toBe(true);
  });

  it('recommended (the scratch path a temp root of the goal): the auto-GC of that very process keeps it', () => {
    const w = world(scenario, 'recommended');
    runUntil(w, 'a1', (a) => (a.counts.builderAction ?? 0) === 2);
    while (gc(w).state !== 'done') take(w, { type: 'gcStep', actor: 'autogc' });
    expect(gc(w).deleted).toEqual([]);
    expect(exists(w, scratch(w))).toBe(true);
  });
});

describe('how it ends', () => {
  it('a crash of the build (SIGKILL of its worker) ends it in the same step, its deletion half done', () => {
    const w = atPoint();
    take(w, { type: 'gcStep', actor: 'autogc' });
    take(w, { type: 'gcStep', actor: 'autogc' }); // one unlink of the scratch output
    expect(gc(w).job).toBeDefined();
    take(w, { type: 'crash', actor: 'a1' });
    const g = gc(w);
    expect([g.state, g.stopped, g.job, g.pending]).toEqual(['done', 'killed', undefined, undefined]);
    expect(exists(w, scratch(w))).toBe(true);
    expect(enabledFor(w, 'autogc')).toEqual([]);
  });

  it('an interrupt of the build: the next step of the GC thread throws Interrupted (checkInterrupt, gc.cc l.599, l.728) and changes nothing', () => {
    const w = atPoint();
    take(w, { type: 'gcStep', actor: 'autogc' });
    take(w, { type: 'interrupt', actor: 'a1' });
    expect(gc(w).state).toBe('collecting');
    expect(enabledFor(w, 'autogc')).toEqual(['gcStep']);
    const r = apply(w, { type: 'gcStep', actor: 'autogc' });
    if (!r.ok) throw new Error(r.reason);
    expect(r.step.syscalls).toEqual([]);
    expect(r.step.note).toMatch(/Interrupted.*half deleted/);
    expect([gc(w).state, gc(w).stopped, gc(w).pending]).toEqual(['done', 'interrupted', undefined]);
  });

  it('max-free: may stop after a whole deletion (GCLimitReached, gc.cc l.567-570), never inside one', () => {
    const w = atPoint();
    take(w, { type: 'gcStep', actor: 'autogc' });
    expect(gc(w).job).toBeDefined();
    expect(enabledFor(w, 'autogc')).toEqual(['gcStep']);
    while (gc(w).job) take(w, { type: 'gcStep', actor: 'autogc' });
    expect(gc(w).deleted).toHaveLength(1);
    expect(enabledFor(w, 'autogc')).toEqual(['gcStep', 'gcStop']);
    take(w, { type: 'gcStop', actor: 'autogc' });
    expect([gc(w).state, gc(w).stopped]).toEqual(['done', 'limitReached']);
  });

  it('once the build is over, the worker may exit and the detached thread with it, even mid-deletion', () => {
    const w = atPoint();
    take(w, { type: 'gcStep', actor: 'autogc' });
    runUntil(w, 'a1', (a) => a.phase.kind === 'done');
    expect(gc(w).job).toBeDefined();
    expect(enabledFor(w, 'autogc')).toEqual(['gcStep', 'gcStop']);
    take(w, { type: 'gcStop', actor: 'autogc' });
    expect([gc(w).state, gc(w).stopped]).toEqual(['done', 'processExit']);
  });

  it('an external nix store gc never ends early: gcStop is an auto-GC event', () => {
    const w = world(concurrentGc);
    runUntil(w, 'a1', (a) => (a.counts.builderAction ?? 0) === 2);
    while (gc(w, 'gc').state !== 'done') {
      expect(enabledFor(w, 'gc')).toEqual(['gcStep']);
      take(w, { type: 'gcStep', actor: 'gc' });
    }
    expect(buildIn(w, 'a1').phase.kind).not.toBe('done');
  });
});

describe('verdicts of the built-in scenarios (explored, one fault per run)', () => {
  for (const s of [autoGcDuringCaBuildLinux, autoGcDuringCaBuildDarwin]) {
    const cell = (variant: 'upstream' | 'recommended', fault: 'interrupt' | 'crash') => {
      const w = world(s, variant);
      const r = explore(s, { variant: w.ctx.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
      expect(r.limit).toBe(null);
      return r.counterexamples.map((c) => c.invariant).sort();
    };

    it(`${s.name}: upstream loses the in-progress output to its own auto-GC`, () => {
      expect(cell('upstream', 'interrupt')).toContain('InProgressOutputSafe');
    });

    it(`${s.name}: recommended (0002 roots the scratch path) holds every invariant`, () => {
      expect(cell('recommended', 'interrupt')).toEqual([]);
      expect(cell('recommended', 'crash')).toEqual([]);
    });
  }
});
