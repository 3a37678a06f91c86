/**
 * The quiescent invariants are checked where no build is running, and also where nothing is enabled
 * any more though a build is part-way: a deadlock. Every built-in scenario's terminal states are
 * idle, so only a scenario made to deadlock tells the second condition apart. Here the one build
 * user is taken, at the build's acquireUser point, by a holder that lets it go only after the build:
 * the build waits for ever, and a clean build from there cannot get a user either.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, Variant } from '../../model/nix/index.js';
import { apply, enabledEvents, initialWorld, parseVariant } from '../../model/nix/index.js';
import { checkPath, explore, idle, runSchedule } from '../../model/verify/index.js';
import { splitInThisThread } from '../../model/verify/partition.js';
import { seed487 } from '../../sim/scenarios/builtin.js';

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

const drv = seed487.derivations[0]?.id ?? 'godyn';
const deadlock: Scenario = {
  name: 'user-deadlock',
  doc: 'one build user, taken at the build acquireUser point by a holder released only after the build',
  settings: { ...seed487.settings, buildUsers: 1 },
  derivations: seed487.derivations,
  actors: [
    { id: 'b', kind: 'build', drv },
    { id: 'h', kind: 'holdUser', releaseAfter: ['b'], during: { actor: 'b', before: 'acquireUser', nth: 0 } },
  ],
};
const upstream = variantOf('upstream');
const wedged = 'clean build of godyn (first build user): did not finish';

// made inside each test, not once in the describe: the mutation runner activates a mutant per test, after the files load
const scripted = (): ReturnType<typeof checkPath> => checkPath(deadlock, { variant: upstream });

describe('a deadlock: nothing enabled while a build waits for a build user', () => {
  it('should end the scripted run where the build waits and nothing is enabled', () => {
    const p = scripted();
    expect(p.truncated).toBe(false);
    expect(p.divergedAt).toBeUndefined();
    const w = initialWorld(deadlock, upstream);
    for (const s of p.steps) if (!apply(w, s.event).ok) throw new Error(`${s.event.type}(${s.event.actor}) disabled`);
    expect(enabledEvents(w.ctx, w.state, {})).toEqual([]);
    expect(idle(w.state)).toBe(false);
  });

  it('should check the quiescent invariants there: checkPath', () => {
    const p = scripted();
    const last = p.steps.length + 1;
    // every earlier state is either running the build or the initial one, where a clean build still gets the user
    expect(p.violations.map((v) => v.state)).toEqual(p.violations.map(() => last));
    expect(p.violations).toContainEqual({ invariant: 'NoWedge', message: wedged, state: last });
  });

  it('should check them there: explore, and the split search', () => {
    const events = scripted().steps.map((s) => s.event);
    const opts = { variant: upstream, faults: [], maxFaults: 0, maxDepth: 100, maxStates: 1000 };
    const r = explore(deadlock, opts);
    expect(r.complete).toBe(true);
    expect(r.counterexamples).toContainEqual({ invariant: 'NoWedge', message: wedged, events });
    for (const parts of [1, 2]) expect(splitInThisThread(deadlock, opts, parts)).toEqual(r);
  });

  it('should check them there: random mode', () => {
    const events = scripted().steps.map((s) => s.event);
    const out = runSchedule(deadlock, { variant: upstream, faults: [], maxFaults: 0 }, []);
    expect(out).toEqual({ events, violation: { invariant: 'NoWedge', message: wedged } });
  });
});
