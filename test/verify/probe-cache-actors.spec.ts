/**
 * The NoWedge/debris probes run every started actor on beside their clean build (extendWorld), so the
 * probe cache must key on what those actors have yet to do: a GC part-way through its queue removes
 * the stale scratch path before the probe build gets to it; the same store without that GC does not.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, World } from '../../model/nix/index.js';
import type { InvariantName } from '../../model/verify/index.js';
import { checkQuiescent } from '../../model/verify/index.js';
import { oneCaBuild, runAlone, stepUntil, take, world } from '../nix/stepping.js';

const names = (vs: readonly { invariant: InvariantName }[]): InvariantName[] => vs.map((v) => v.invariant);

/**
 * a1 (godyn, two build users) writes into its scratch path, is interrupted and leaves the directory
 * behind (upstream); then the GC is part-way through deleting it. With `autoGcOf`, that GC is a1's own
 * automatic GC, which its process's end decides (auto-gc.ts).
 */
function gcDeletingStale(autoGcOf?: string): World {
  const base = oneCaBuild();
  const s: Scenario = { ...base, settings: { ...base.settings, buildUsers: 2 }, actors: [...base.actors, { id: 'gc', kind: 'gc' }] };
  const w = world(s);
  stepUntil(w, 'a1', (x) => x.state.actors.some((a) => a.id === 'a1' && a.kind === 'build' && a.phase.kind === 'building' && a.calls.length > 0));
  take(w, { type: 'interrupt', actor: 'a1' });
  runAlone(w, 'a1');
  stepUntil(w, 'gc', (x) => x.state.actors.some((a) => a.id === 'gc' && a.kind === 'gc' && a.state === 'collecting' && a.job !== undefined && a.job.root.endsWith('-godyn')));
  if (autoGcOf === undefined) return w;
  // the same state read under a scenario whose GC is a1's auto-GC (a scripted run never starts one after its build)
  const scenario: Scenario = { ...s, actors: s.actors.map((x) => (x.id === 'gc' ? { id: 'gc', kind: 'gc', autoGcOf } : x)) };
  return { ...w, ctx: { ...w.ctx, scenario } };
}

describe('the probe cache', () => {
  it('should not reuse a verdict across states that differ only in how far a started GC has got', () => {
    const w = gcDeletingStale();
    const collecting = w.state;
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    const withGc = checkQuiescent(w, cache);
    // the same store and database with the GC not yet started: the probes do not run it
    w.state = { ...collecting, actors: collecting.actors.map((a) => (a.id === 'gc' && a.kind === 'gc' ? { ...a, state: 'waiting' as const, queue: [] } : a)) };
    const withoutGc = checkQuiescent(w);
    expect(names(withGc)).not.toEqual(names(withoutGc));
    expect(checkQuiescent(w, cache)).toEqual(withoutGc);
  });

  it('should not reuse a verdict across states where the GC is collecting in both, one with its deletion still to do', () => {
    const w = gcDeletingStale();
    const deleting = w.state;
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    const before = checkQuiescent(w, cache);
    // still collecting, with nothing left to delete: the stale directory stays
    const idle = (a: (typeof deleting.actors)[number]): (typeof deleting.actors)[number] => {
      if (a.id !== 'gc' || a.kind !== 'gc') return a;
      const { job: _done, ...rest } = a;
      return { ...rest, queue: [] };
    };
    w.state = { ...deleting, actors: deleting.actors.map(idle) };
    const fresh = checkQuiescent(w);
    expect(names(fresh)).not.toEqual(names(before));
    expect(checkQuiescent(w, cache)).toEqual(fresh);
  });

  it("should not reuse a verdict across states that differ only in how a finished build ended, where an auto-GC reads it", () => {
    const w = gcDeletingStale('a1');
    const interrupted = w.state;
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    // a1 was interrupted, so its auto-GC ends at its next step without deleting
    const stopped = checkQuiescent(w, cache);
    expect(names(stopped)).toContain('NoWedge');
    const a1 = interrupted.actors.find((a) => a.id === 'a1');
    if (a1?.kind !== 'build' || a1.phase.kind !== 'done') throw new Error('a1 is not done');
    // had a1 ended otherwise, its process would be over and the auto-GC would go on and delete the stale directory
    const failed = { kind: 'failure' as const, failure: 'builderFailed' as const, message: 'builder failed' };
    w.state = { ...interrupted, actors: interrupted.actors.map((a) => (a.id === 'a1' && a.kind === 'build' ? { ...a, phase: { kind: 'done' as const, outcome: failed } } : a)) };
    const fresh = checkQuiescent(w);
    expect(names(fresh)).not.toContain('NoWedge');
    expect(checkQuiescent(w, cache)).toEqual(fresh);
  });
});
