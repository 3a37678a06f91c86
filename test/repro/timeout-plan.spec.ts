/** The real-daemon plan of a build timeout: a gate the builder blocks at, and `--option timeout`. */
import { describe, expect, it } from 'vitest';
import { timeoutRetry } from '../../sim/scenarios/builtin.js';
import { planFromEvents, scriptedEvents } from '../../sim/repro/from-trace.js';
import { parsePlan } from '../../sim/repro/plan.js';
import type { ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { explore } from '../../model/verify/index.js';
import { traceScenario } from '../../sim/trace.js';
import { traceOf } from '../../sim/verdicts.js';
import { faultPlanOf, upstream } from './traces.js';

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

describe('a build timeout in a fault plan (the explorer\'s counterexample, build.timeoutAt)', () => {
  const spec = timeoutRetry;
  const r = explore(spec, { variant: upstream, faults: ['timeout'], maxFaults: 1, maxDepth: 200, maxStates: 50_000 });
  const cx = r.counterexamples.find((c) => c.invariant === 'NoWedge');
  const trace = cx && traceOf({ scenario: traceScenario(spec, { kind: 'builtin' }), variant: 'upstream', search: { mode: 'bfs', faults: ['timeout'], maxFaults: 1 }, cx, foundBy: 'bfs', replay: 'outpath explore timeout-retry' });

  it('times a1 out at the gate its builder waits at when the model times it out; the probe as the next build user fails EACCES', () => {
    if (!trace) throw new Error('no NoWedge counterexample under timeout');
    const at = trace.events.findIndex((e) => e.type === 'timeout');
    // the builder had run this many commands when the model timed it out
    const ran = trace.events.slice(0, at).filter((e) => e.type === 'builderAction' && e.actor === 'a1').length;
    const p = faultPlanOf(trace);
    expect(p.steps[0]).toEqual({ kind: 'build', attempt: 'a1', drv: 'godyn', timeoutAt: `before${String(ran)}` });
    expect(p.derivations[0]?.program.filter((a) => a.op === 'gate')).toEqual([{ op: 'gate', name: `before${String(ran)}` }]);
    const up = p.expect['upstream'];
    expect(up?.attempts['a1']).toMatchObject({ outcome: 'failed', buildUser: 'nixbld1', buildDirKept: false });
    expect(up?.attempts['probe']).toMatchObject({ outcome: 'failed', buildUser: 'nixbld2' });
    expect(up?.attempts['probe']?.actions.some((a) => a.errno === 'EACCES')).toBe(true);
  });
});
