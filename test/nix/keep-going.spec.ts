/**
 * keep-going = false across the goals of one invocation (keep-going.ts): when one goal fails, the
 * others are cancelled where they are suspended, and their builders are destroyed with the cleanup
 * an interrupt gets. Checked over every state the walk reaches, not at hand-picked points.
 */
import { describe, expect, it } from 'vitest';
import type { BuildActor, ModelEvent, ModelState, Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, isDone, NAMED_VARIANTS, observedTree, restoreWorld, snapshotWorld, SRC } from '../../model/nix/index.js';
import { walkStates } from '../../model/verify/index.js';
import { keepGoingCancel } from '../../sim/scenarios/builtin.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { interruptPoint } from '../../model/nix/interrupt-points.js';
import { outcome, run, traceOf } from './helpers.js';
import { oneCaBuild, runUntil, take, world } from './stepping.js';

const FAULTS = { kinds: ['interrupt', 'crash', 'builderFailure'], max: Number.MAX_SAFE_INTEGER } as const;

/**
 * One invocation (a1: floating CA, sib: a builder that exits 1) and a build of a1's derivation by
 * another client, with one build user: a1 can wait for the lock, for the user, for its builder.
 */
const invocation: Scenario = {
  name: 'invocation',
  doc: 'nix-build godyn.drv fails.drv beside another client building godyn',
  settings: { ...DARWIN, buildUsers: 1 },
  derivations: [
    { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
    { id: 'fails', name: 'fails', kind: 'input-addressed', program: [{ op: 'mkdirP', path: '' }, { op: 'exit', code: 1 }] },
  ],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'sib', kind: 'build', drv: 'fails' },
    { id: 'c', kind: 'build', drv: 'godyn' },
  ],
  invocations: [['a1', 'sib']],
};

function builds(s: ModelState): BuildActor[] {
  return s.actors.filter((a): a is BuildActor => a.kind === 'build');
}

function failed(s: ModelState, id: string): boolean {
  const a = builds(s).find((x) => x.id === id);
  return a?.phase.kind === 'done' && a.phase.outcome.kind === 'failure';
}

/** Where a goal waits in the worker loop (derivation-building-goal.cc co_await): lock, yield or user, builder output or EOF. */
function suspended(a: BuildActor): boolean {
  if (a.job) return false;
  return ['lockOutputs', 'acquireUser', 'building', 'builderExit'].includes(a.phase.kind);
}

/** The scripted run's choice (the first enabled event) until `until` holds. */
function scriptedUntil(w: World, until: (w: World) => boolean): void {
  for (let i = 0; i < 500 && !until(w); i++) {
    const [e] = enabledEvents(w.ctx, w.state);
    if (!e) break;
    take(w, e);
  }
  expect(until(w)).toBe(true);
}

function walk(s: Scenario, visit: (w: World, events: readonly ModelEvent[]) => void): number {
  const r = walkStates(world(s), { freeFaults: { kinds: [], max: 0 } }, { maxDepth: 400, maxStates: 200_000 }, { state: (w, events) => { visit(w, events); } });
  expect(r.complete).toBe(true);
  return r.distinctStates;
}

/** Runs build `id`'s own events to its end; what it leaves: the tree, the locks and build users held, its outcome. */
function endOf(w: World, id: string): { tree: string; locks: string; users: string; outcome: string } {
  runUntil(w, id, (a) => isDone(a));
  const a = builds(w.state).find((x) => x.id === id);
  return {
    tree: JSON.stringify(observedTree(w)),
    locks: JSON.stringify(w.state.locks),
    users: JSON.stringify(w.state.userLeases),
    outcome: a?.phase.kind === 'done' ? a.phase.outcome.kind : 'unfinished',
  };
}

describe('cancel: only after a sibling failed, only where the goal is suspended', () => {
  it('in every reachable state of an invocation beside another client, and at each kind of suspension point', () => {
    const at = new Set<string>();
    let notSuspended = 0;
    const states = walk(invocation, (w, events) => {
      for (const a of builds(w.state)) {
        const enabled = events.some((e) => e.type === 'cancel' && e.actor === a.id);
        const sibling = a.id === 'a1' ? 'sib' : a.id === 'sib' ? 'a1' : undefined;
        const expected = sibling !== undefined && failed(w.state, sibling) && suspended(a);
        expect(enabled, `${a.id} at ${a.phase.kind}`).toBe(expected);
        if (sibling !== undefined && failed(w.state, sibling) && !suspended(a) && !isDone(a)) notSuspended++;
        if (!enabled) continue;
        // a subset of the interrupt points (interrupt-points.ts)
        expect(interruptPoint(w.ctx, a), `${a.id} cancellable at ${a.phase.kind} but not interruptible`).toBeDefined();
        at.add(a.phase.kind === 'lockOutputs' && w.state.locks[Object.keys(w.state.locks).find((l) => l.includes('godyn')) ?? ''] === 'c' ? 'lockOutputs (held by c)' : a.phase.kind);
      }
    });
    expect(states).toBeGreaterThan(100);
    // the walk met running goals of a failed invocation too: there cancel waits for the next suspension point
    expect(notSuspended).toBeGreaterThan(0);
    expect([...at].sort()).toEqual(['acquireUser', 'builderExit', 'building', 'lockOutputs', 'lockOutputs (held by c)']);
  });

  it('free interrupts and crashes never hit a goal of an invocation (they would stop its whole worker); builder failures and the other client do', () => {
    const hit = new Set<string>();
    walk(invocation, (w) => {
      for (const e of enabledEvents(w.ctx, w.state, { freeFaults: FAULTS })) {
        if (e.type !== 'interrupt' && e.type !== 'crash' && e.type !== 'builderFailure') continue;
        if (e.type !== 'builderFailure') expect(e.actor, `${e.type} of a goal of the invocation`).toBe('c');
        hit.add(`${e.type} ${e.actor}`);
      }
    });
    expect([...hit].sort()).toEqual(['builderFailure a1', 'builderFailure c', 'builderFailure sib', 'crash c', 'interrupt c']);
  });

  it('never without `invocations`: the same builds as separate clients all run to their end', () => {
    const { invocations: _none, ...separate } = invocation;
    walk(separate, (_w, events) => {
      expect(events.filter((e) => e.type === 'cancel')).toEqual([]);
    });
  });

  it('is refused by the step itself where it is not enabled, saying why', () => {
    const w = world(invocation);
    const r = apply(w, { type: 'cancel', actor: 'a1' });
    expect(r).toEqual({ ok: false, reason: 'no other goal of this invocation has failed' });
    runUntil(w, 'sib', (a) => isDone(a));
    // cancel now comes first among a1's events wherever it is suspended: its own events are taken by name
    for (const type of ['start', 'lockOutputs', 'acquireUser'] as const) take(w, { type, actor: 'a1' });
    expect(apply(w, { type: 'cancel', actor: 'a1' })).toEqual({ ok: false, reason: 'the goal is running, not suspended: it is cancelled at its next suspension point' });
    take(w, { type: 'createTempDir', actor: 'a1' });
    take(w, { type: 'chownToBuilder', actor: 'a1' });
    take(w, { type: 'prepareScratch', actor: 'a1' });
    take(w, { type: 'cancel', actor: 'a1' });
  });
});

describe("a cancelled goal's cleanup is an interrupted one's at the same point", () => {
  it('same tree, locks and build users, in every state where a1 can be cancelled; only the outcome differs', () => {
    let compared = 0;
    walk(invocation, (w, events) => {
      if (!events.some((e) => e.type === 'cancel' && e.actor === 'a1')) return;
      const snap = snapshotWorld(w);
      take(w, { type: 'cancel', actor: 'a1' });
      const cancelled = endOf(w, 'a1');
      restoreWorld(w, snap);
      take(w, { type: 'interrupt', actor: 'a1' });
      const interrupted = endOf(w, 'a1');
      restoreWorld(w, snap);
      expect({ ...cancelled, outcome: undefined }).toEqual({ ...interrupted, outcome: undefined });
      expect([cancelled.outcome, interrupted.outcome]).toEqual(['cancelled', 'interrupted']);
      compared++;
    });
    expect(compared).toBeGreaterThan(5);
  });

  it.each(Object.keys(NAMED_VARIANTS))('%s: the same at the scripted point of keep-going-cancel, fault budget untouched', (variant) => {
    const w = world(keepGoingCancel, variant);
    scriptedUntil(w, (x) => failed(x.state, 'sib'));
    const snap = snapshotWorld(w);
    const before = w.state.faultsUsed;
    const r = apply(w, { type: 'cancel', actor: 'a1' });
    expect(r.ok && r.step.source).toBe(SRC.cancel);
    expect(w.state.faultsUsed).toBe(before);
    const cleanup = apply(w, { type: 'cleanupBuild', actor: 'a1' });
    expect(cleanup.ok && cleanup.step.source).toBe(SRC.cleanupOnDestruction);
    const cancelled = endOf(w, 'a1');
    restoreWorld(w, snap);
    take(w, { type: 'interrupt', actor: 'a1' });
    expect({ ...endOf(w, 'a1'), outcome: 'cancelled' }).toEqual(cancelled);
  });
});

describe('keep-going-cancel, scripted', () => {
  it('upstream: the failure cancels a1 mid-build; the retry as another build user fails EACCES on what it left', () => {
    const r = run(keepGoingCancel);
    const t = traceOf(r);
    expect([outcome(r, 'sib'), outcome(r, 'a1'), outcome(r, 'a2'), outcome(r, 'a3')], t).toEqual(['failure', 'cancelled', 'failure', 'success']);
    const cancel = r.steps.findIndex((s) => s.event.type === 'cancel');
    // cancelled between the builder's writes: after the first, before the second
    expect(r.steps.slice(0, cancel).filter((s) => s.event.type === 'builderAction' && s.event.actor === 'a1'), t).toHaveLength(2);
    const a2 = r.world.state.actors.find((a) => a.id === 'a2');
    expect(a2?.kind === 'build' && a2.calls.filter((c) => !c.ok).map((c) => c.errno), t).toEqual(['EACCES', 'EACCES']);
  });

  it('recommended: the retry builds', () => {
    const r = run(keepGoingCancel, 'recommended');
    expect([outcome(r, 'a1'), outcome(r, 'a2')], traceOf(r)).toEqual(['cancelled', 'success']);
  });

  it('without the invocation the failure cancels nothing and a1 builds', () => {
    const { invocations: _none, ...separate } = keepGoingCancel;
    const r = run(separate);
    expect([outcome(r, 'sib'), outcome(r, 'a1')], traceOf(r)).toEqual(['failure', 'success']);
  });

  it('a single build is never cancelled, whatever fails around it', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', (a) => {
      expect(enabledEvents(w.ctx, w.state).some((e) => e.type === 'cancel')).toBe(false);
      return isDone(a);
    });
  });
});
