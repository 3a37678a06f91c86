/**
 * The NoWedge/debris probes run every started actor on beside their clean build (extendWorld), so the
 * probe cache must key on what those actors have yet to do: a GC part-way through its queue removes
 * the stale scratch path before the probe build gets to it; the same store without that GC does not.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import type { InvariantName } from '../../model/verify/index.js';
import { checkQuiescent } from '../../model/verify/index.js';
import { oneCaBuild, runAlone, stepUntil, take, world } from '../nix/stepping.js';

const names = (vs: readonly { invariant: InvariantName }[]): InvariantName[] => vs.map((v) => v.invariant);

describe('the probe cache', () => {
  it('should not reuse a verdict across states that differ only in how far a started GC has got', () => {
    const base = oneCaBuild();
    const s: Scenario = { ...base, settings: { ...base.settings, buildUsers: 2 }, actors: [...base.actors, { id: 'gc', kind: 'gc' }] };
    const w = world(s);
    // a1 writes into its scratch path, is interrupted, and leaves the directory behind (upstream)
    stepUntil(w, 'a1', (x) => x.state.actors.some((a) => a.id === 'a1' && a.kind === 'build' && a.phase.kind === 'building' && a.calls.length > 0));
    take(w, { type: 'interrupt', actor: 'a1' });
    runAlone(w, 'a1');
    // the GC is part-way through deleting the stale scratch path
    stepUntil(w, 'gc', (x) => x.state.actors.some((a) => a.id === 'gc' && a.kind === 'gc' && a.state === 'collecting' && a.job !== undefined && a.job.root.endsWith('-godyn')));
    const collecting = w.state;
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    const withGc = checkQuiescent(w, cache);
    // the same store and database with the GC not yet started: the probes do not run it
    w.state = { ...collecting, actors: collecting.actors.map((a) => (a.id === 'gc' && a.kind === 'gc' ? { ...a, state: 'waiting' as const, queue: [] } : a)) };
    const withoutGc = checkQuiescent(w);
    expect(names(withGc)).not.toEqual(names(withoutGc));
    expect(checkQuiescent(w, cache)).toEqual(withoutGc);
  });
});
