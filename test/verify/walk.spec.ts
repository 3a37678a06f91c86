/**
 * The breadth-first walk on its own: each visitor sees what it is promised, a path handed out leads
 * to the state it is for (also past the first 1024 states, where the walk's tables grow), and the
 * state bound stops the walk where it says.
 */
import { describe, expect, it } from 'vitest';
import type { EnabledOptions, ModelEvent, World } from '../../model/nix/index.js';
import { apply, hashWorld, initialWorld, parseVariant } from '../../model/nix/index.js';
import type { WalkBounds, WalkResult } from '../../model/verify/index.js';
import { freeScenario, walkStates } from '../../model/verify/index.js';
import { seed487 } from '../../sim/scenarios/builtin.js';

function upstream(): World {
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('upstream');
  return initialWorld(freeScenario(seed487), v.variant);
}

/** Every fault kind, one fault, on seed-487's fault target: a few thousand states. */
const FAULTS: EnabledOptions = { freeFaults: { kinds: ['interrupt', 'crash', 'builderFailure'], max: 1, targets: seed487.explore?.faultTargets ?? [] } };
const OPEN: WalkBounds = { maxDepth: Number.POSITIVE_INFINITY, maxStates: 1_000_000 };

function replay(events: readonly ModelEvent[]): string {
  const w = upstream();
  for (const e of events) if (!apply(w, e).ok) throw new Error(`${e.type}(${e.actor}) disabled`);
  return hashWorld(w);
}

describe('walkStates', () => {
  const full = walkStates(upstream(), FAULTS, OPEN, {});

  it('should walk a space larger than its first tables, with no visitor at all', () => {
    expect(full.complete).toBe(true);
    expect(full.limit).toBe(null);
    expect(full.distinctStates).toBeGreaterThan(1024);
  });

  it('should give each state a path that leads to it, of the state\'s breadth-first depth', () => {
    let n = 0;
    let deepest = 0;
    const checked: { path: ModelEvent[]; hash: string }[] = [];
    walkStates(upstream(), FAULTS, OPEN, {
      state: (w, _events, path) => {
        const p = path();
        deepest = Math.max(deepest, p.length);
        // depths never decrease along a breadth-first queue
        expect(p.length).toBeGreaterThanOrEqual(checked.at(-1)?.path.length ?? 0);
        if (n++ % 97 === 0 || n > 1024) checked.push({ path: p, hash: hashWorld(w) });
      },
    });
    expect(n).toBe(full.distinctStates);
    expect(deepest).toBe(full.depth);
    for (const { path, hash } of checked.filter((_, i) => i % 7 === 0)) expect(replay(path)).toBe(hash);
  });

  it('should show the transition and move visitors every transition, from the state before, with the path to the state after', () => {
    let transitions = 0;
    let moves = 0;
    const r = walkStates(upstream(), FAULTS, { ...OPEN, maxStates: 300 }, {
      transition: (w, prev, step, path) => {
        transitions++;
        expect(step.event).toEqual(path().at(-1));
        expect(prev).not.toBe(w.state);
        if (transitions % 50 === 0) expect(replay(path())).toBe(hashWorld(w));
      },
      move: (w, _prev, event, _before, path) => {
        moves++;
        expect(event).toEqual(path().at(-1));
        if (moves % 50 === 0) expect(replay(path())).toBe(hashWorld(w));
      },
    });
    expect(transitions).toBe(r.transitions);
    expect(moves).toBe(r.transitions);
  });

  it('should report each new state to found, with the count so far', () => {
    const counts: number[] = [];
    const r = walkStates(upstream(), FAULTS, OPEN, { found: (states) => counts.push(states) });
    // the initial state is counted before the walk starts
    expect(counts).toEqual(Array.from({ length: counts.length }, (_, i) => i + 2));
    expect(counts.at(-1)).toBe(r.distinctStates);
  });

  it('should cut nothing with a state bound equal to the number of reachable states', () => {
    const exact: WalkResult = walkStates(upstream(), FAULTS, { ...OPEN, maxStates: full.distinctStates }, {});
    expect(exact).toEqual(full);
  });

  it('should stop the whole walk at the state past the bound', () => {
    for (const maxStates of [1, 10, 500, full.distinctStates - 1]) {
      const r = walkStates(upstream(), FAULTS, { ...OPEN, maxStates }, {});
      expect(r.limit).toBe('maxStates');
      expect(r.complete).toBe(false);
      expect(r.distinctStates).toBe(maxStates + 1);
    }
  });
});
