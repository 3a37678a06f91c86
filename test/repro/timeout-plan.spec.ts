/** The real-daemon plan of a build timeout: a gate the builder blocks at, and `--option timeout`. */
import { describe, expect, it } from 'vitest';
import { timeoutRetry } from '../../sim/scenarios/builtin.js';
import { planFromEvents, scriptedEvents } from '../../sim/repro/from-trace.js';
import { parsePlan } from '../../sim/repro/plan.js';
import type { ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';

function timeoutPlan(): ReproPlan {
  const p = planFromEvents(timeoutRetry, scriptedEvents(timeoutRetry), ['upstream', 'recommended']);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

describe('a build timeout on a real daemon (build.timeoutAt)', () => {
  it('holds the timed-out attempt at a gate where the model timed it out, and interrupts nobody', () => {
    const plan = timeoutPlan();
    const a1 = plan.steps.find((s) => s.kind === 'build' && s.attempt === 'a1');
    expect(a1).toMatchObject({ timeoutAt: 'before2' });
    expect(a1 && 'interruptAt' in a1).toBe(false);
    expect(plan.derivations[0]?.program.filter((a) => a.op === 'gate')).toEqual([{ op: 'gate', name: 'before2' }]);
  });

  it('predicts what the model computes: a failed attempt, then EACCES upstream and a clean retry with the series', () => {
    const plan = timeoutPlan();
    expect(plan.expect.upstream?.attempts.a1).toMatchObject({ outcome: 'failed', buildUser: 'nixbld1', buildDirKept: false });
    expect(plan.expect.upstream?.attempts.a2?.actions.filter((a) => !a.ok).map((a) => a.errno)).toEqual(['EACCES', 'EACCES']);
    expect(plan.expect.recommended?.attempts.a2?.outcome).toBe('success');
  });

  it('runs nix-build with a timeout in the timeout mode of the harness', () => {
    const script = renderScript(timeoutPlan(), { variant: 'upstream', platform: 'linux' });
    expect(script).toMatch(/h_build 0 a1 0 timeout 'before2'/);
    expect(script).toContain('deadline=(--option timeout "$BUILD_TIMEOUT")');
  });

  it('rejects a timeoutAt gate the program does not have, and a second fault on the same build', () => {
    const plan = timeoutPlan();
    const steps = plan.steps.map((s) => (s.kind === 'build' && s.attempt === 'a1' ? { ...s, timeoutAt: 'before9' } : s));
    const bad = parsePlan(JSON.parse(JSON.stringify({ ...plan, steps })));
    expect(bad.ok ? '' : bad.error).toMatch(/gate "before9" is not in derivation/);
    const two = plan.steps.map((s) => (s.kind === 'build' && s.attempt === 'a1' ? { ...s, interruptAt: 'before2' } : s));
    const both = parsePlan(JSON.parse(JSON.stringify({ ...plan, steps: two })));
    expect(both.ok ? '' : both.error).toMatch(/at most one of .*timeoutAt/);
  });
});
