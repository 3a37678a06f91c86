/**
 * The worker's build deadlines (timeout, max-silent-time) as a fault: where one can expire, what
 * the goal does then, and that it wedges a floating CA output as an interrupt does.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind, Scenario, World } from '../../model/nix/index.js';
import { enabledEvents, FAULT_KINDS, parseVariant } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { timeoutRetry } from '../../sim/scenarios/builtin.js';
import { buildIn, oneCaBuild, runAlone, runUntil, take, world } from './stepping.js';

function withDeadline(keepFailed = false, deadline: 'timeout' | 'max-silent-time' = 'timeout'): Scenario {
  const s = oneCaBuild(keepFailed);
  return { ...s, settings: { ...s.settings, buildDeadline: deadline } };
}

/** Every fault kind exploration could pick for `id` here. */
function faults(w: World, id: string): FaultKind[] {
  const all = enabledEvents(w.ctx, w.state, { freeFaults: { kinds: FAULT_KINDS, max: Number.MAX_SAFE_INTEGER } });
  return all.filter((e) => e.actor === id && (FAULT_KINDS as readonly string[]).includes(e.type)).map((e) => e.type as FaultKind);
}

/** Every phase a build passes through, with whether a timeout could land there. */
function timeoutPhases(s: Scenario): string[] {
  const w = world(s);
  const seen: string[] = [];
  runUntil(w, 'a1', (a) => {
    if (faults(w, 'a1').includes('timeout')) seen.push(a.phase.kind === 'registering' ? `registering:${a.phase.step.kind}` : a.phase.kind);
    return a.phase.kind === 'done';
  });
  return [...new Set(seen)];
}

describe('build deadlines (worker.cc Worker::waitForInput l.499-508)', () => {
  it('never expire when neither is set', () => {
    expect(timeoutPhases(oneCaBuild())).toEqual([]);
  });

  it('expire only while the worker waits for the builder: running, or exited with its EOF not yet handled', () => {
    expect(timeoutPhases(withDeadline())).toEqual(['building', 'builderExit']);
    expect(timeoutPhases(withDeadline(false, 'max-silent-time'))).toEqual(['building', 'builderExit']);
  });

  it('kill the builder and fail the goal with TimedOut; the destructor cleans up, and nothing is registered', () => {
    const w = world(withDeadline());
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 2);
    const { scratch, tmpDir } = buildIn(w, 'a1');
    take(w, { type: 'timeout', actor: 'a1' });
    const p = buildIn(w, 'a1').phase;
    expect(p.kind === 'cleanup' ? p.outcome : p).toMatchObject({ kind: 'failure', failure: 'timedOut' });
    runAlone(w, 'a1');
    const done = buildIn(w, 'a1').phase;
    expect(done.kind === 'done' ? done.outcome.kind : done.kind).toBe('failure');
    expect(Object.keys(w.state.valid)).toEqual([]);
    expect(w.state.userLeases).toEqual({});
    // cleanupBuild(false): the temp dir goes, a floating CA output's scratch path stays, owned by the build user
    expect(w.ctx.fs.lstat(w.ctx.daemon, tmpDir ?? '').ok).toBe(false);
    const st = w.ctx.fs.lstat(w.ctx.daemon, scratch ?? '');
    expect(st.ok && st.value.uid).toBe(30001);
  });

  it('drop the EOF of a builder that already exited 0: its complete output is left unregistered (goal.cc l.36)', () => {
    const w = world(withDeadline());
    runUntil(w, 'a1', (a) => a.phase.kind === 'builderExit');
    expect(buildIn(w, 'a1').phase).toMatchObject({ kind: 'builderExit', status: 0 });
    take(w, { type: 'timeout', actor: 'a1' });
    runAlone(w, 'a1');
    expect(Object.keys(w.state.valid)).toEqual([]);
    expect(w.state.realisations).toEqual({});
    const scratch = buildIn(w, 'a1').scratch ?? '';
    expect(w.ctx.fs.lstat(w.ctx.daemon, `${scratch}/importcfg`).ok).toBe(true);
  });

  it('keep the build directory under keep-failed (cleanupBuild(false), not forced)', () => {
    const w = world(withDeadline(true));
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    const tmpDir = buildIn(w, 'a1').tmpDir ?? '';
    take(w, { type: 'timeout', actor: 'a1' });
    runAlone(w, 'a1');
    expect(w.ctx.fs.lstat(w.ctx.daemon, tmpDir).ok).toBe(true);
  });
});

describe('timeout-retry: a deadline wedges a floating CA output with nobody pressing Ctrl-C', () => {
  const cell = (variant: string) => {
    const v = parseVariant(variant);
    if (!v.ok) throw new Error(variant);
    return explore(timeoutRetry, { variant: v.variant, faults: ['timeout'], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
  };

  it('upstream: NoWedge is violated by a timeout, and only NoWedge', () => {
    const r = cell('upstream');
    expect(r.limit).toBeNull();
    expect(r.counterexamples.map((c) => c.invariant)).toEqual(['NoWedge']);
    expect(r.counterexamples[0]?.events.map((e) => e.type)).toContain('timeout');
  });

  it('the series (0001 deletes the stale scratch path before the build) holds', () => {
    const r = cell('recommended');
    expect(r.limit).toBeNull();
    expect(r.counterexamples).toEqual([]);
  });
});
