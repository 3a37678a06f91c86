/**
 * The built-in --repair scenarios, explored under upstream and recommended: what each verdict is
 * and what the counterexample the model finds is made of (never a stored trace).
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind, Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { repairConcurrentGc, repairInterrupted, repairRetryOtherUser } from '../../sim/scenarios/builtin.js';
import { build, outcome, run, traceOf } from './helpers.js';

const FAULTS: readonly FaultKind[] = ['interrupt', 'crash', 'builderFailure'];

function cell(s: Scenario, variant: string, fault: FaultKind) {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return explore(s, { variant: v.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
}

describe('repair-concurrent-gc: GC deletes the output a --repair is writing at its fallback path', () => {
  for (const fault of FAULTS) {
    it(`upstream (${fault}): InProgressOutputSafe is violated, and only it, by a gcStep under r1's fallback path`, () => {
      const r = cell(repairConcurrentGc, 'upstream', fault);
      expect(r.limit).toBeNull();
      expect([...new Set(r.counterexamples.map((c) => c.invariant))]).toEqual(['InProgressOutputSafe']);
      const c = r.counterexamples[0];
      expect(c?.message).toMatch(/^gcStep\(gc\) changed .* while r1's builder was writing /);
      // r1 was redirected to the fallback path: the path GC hit is not the output path a1 registered
      const replay = run(repairConcurrentGc);
      const r1 = build(replay, 'r1');
      expect(r1.redirected, traceOf(replay)).toBe(true);
      expect(c?.message).toContain(r1.scratch ?? '?');
      expect(c?.message).not.toContain(`writing ${r1.known?.path ?? '?'}`);
    });

    it(`recommended (${fault}): every invariant holds (0002 roots the fallback path)`, () => {
      const r = cell(repairConcurrentGc, 'recommended', fault);
      expect(r.limit).toBeNull();
      expect(r.counterexamples).toEqual([]);
    });
  }

  it('temp-root-scratch (0002) alone is enough', () => {
    const r = cell(repairConcurrentGc, 'temp-root-scratch', 'interrupt');
    expect(r.limit).toBeNull();
    expect(r.counterexamples).toEqual([]);
  });
});

describe('repair-interrupted and repair-retry-other-user: a repair after a faulted one heals', () => {
  for (const s of [repairInterrupted, repairRetryOtherUser]) {
    for (const variant of ['upstream', 'recommended']) {
      it(`${s.name}, ${variant}: every invariant holds under each fault, exhaustively within the bounds`, () => {
        for (const fault of FAULTS) {
          const r = cell(s, variant, fault);
          expect(r.limit, fault).toBeNull();
          expect(r.counterexamples, fault).toEqual([]);
          expect(r.distinctStates, fault).toBeGreaterThan(100);
        }
      });
    }
  }

  it('repair-retry-other-user as scripted: the retry runs as another build user, deletes the leftover fallback path as root and repairs', () => {
    const r = run(repairRetryOtherUser);
    const t = traceOf(r);
    const r1 = build(r, 'r1');
    const r2 = build(r, 'r2');
    expect(outcome(r, 'r1'), t).toBe('interrupted');
    expect(r2.uid, t).not.toBe(r1.uid);
    expect(r2.scratch, t).toBe(r1.scratch);
    expect(r.steps.some((x) => x.event.actor === 'r2' && x.note.includes(`ensure scratch path is ours: deletePath '${r1.scratch ?? ''}'`)), t).toBe(true);
    expect(outcome(r, 'r2'), t).toBe('success');
    const out = r1.known?.path ?? '';
    expect(r.world.state.corrupted ?? [], t).toEqual([]);
    expect(r.world.state.valid[out], t).toBeDefined();
  });
});
