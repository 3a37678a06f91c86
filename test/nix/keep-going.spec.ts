/**
 * keep-going = false: when a top-level goal fails, the worker drops the other goals (worker.cc
 * Worker::removeGoal l.195-198). A dropped goal is destroyed where it is suspended, and a goal is
 * suspended only where the worker loop resumes it, at interrupt check points. docs/model.md lets the
 * interrupt cells stand for cancellations on that ground; this checks the ground: at every state
 * where a build is suspended in the worker loop, an interrupt of it is enabled, and lands with the
 * same cleanup a cancellation gets (the builder's destructor: cleanupOnDestruction).
 */
import { describe, expect, it } from 'vitest';
import type { BuildActor, Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, SRC } from '../../model/nix/index.js';
import { oneCaBuild, runUntil, take, world } from './stepping.js';

/** Phases where the goal waits in the worker loop: for its lock, its yield or a build user, its builder's output or EOF. */
function suspended(a: BuildActor): boolean {
  switch (a.phase.kind) {
    case 'lockOutputs':
    case 'acquireUser':
    case 'builderExit':
      return true;
    case 'building':
      return a.job === undefined; // the prepareScratch deletion runs inside startBuild, before the child is registered
    default:
      return false;
  }
}

function interruptible(w: World, id: string): boolean {
  return enabledEvents(w.ctx, w.state, { freeFaults: { kinds: ['interrupt'], max: 1 } }).some((e) => e.actor === id && e.type === 'interrupt');
}

const iaWithLeftover: Scenario = {
  ...oneCaBuild(),
  derivations: [{ id: 'ia', name: 'ia', kind: 'input-addressed', program: [{ op: 'mkdirP', path: '' }, { op: 'writeFile', path: 'f', content: 'x' }] }],
  initial: [{ at: { drv: 'ia', which: 'final' }, owner: 'builder1', mode: '755', files: { a: 'x' } }],
  actors: [{ id: 'a1', kind: 'build', drv: 'ia' }],
};

describe('keep-going = false cancels other goals only where an interrupt could land', () => {
  for (const [name, s] of [['floating CA', oneCaBuild()], ['input-addressed over an invalid leftover', iaWithLeftover]] as const) {
    it(`${name}: every state with the goal suspended in the worker loop takes an interrupt`, () => {
      const w = world(s);
      const phases: string[] = [];
      runUntil(w, 'a1', (a) => {
        if (suspended(a)) {
          phases.push(a.phase.kind);
          expect(interruptible(w, 'a1'), a.phase.kind).toBe(true);
        }
        return a.phase.kind === 'done';
      });
      expect(new Set(phases)).toEqual(new Set(['lockOutputs', 'acquireUser', 'building', 'builderExit']));
    });
  }

  it('an interrupt (and a build timeout) of a running builder is cleaned up by its destructor, as a dropped goal is', () => {
    for (const fault of ['interrupt', 'timeout'] as const) {
      const s = oneCaBuild();
      const w = world({ ...s, settings: { ...s.settings, buildDeadline: 'timeout' } });
      runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
      take(w, { type: fault, actor: 'a1' });
      const r = apply(w, { type: 'cleanupBuild', actor: 'a1' });
      expect(r.ok && r.step.source, fault).toBe(SRC.cleanupOnDestruction);
    }
  });
});
