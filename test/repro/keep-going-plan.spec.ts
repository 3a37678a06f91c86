/**
 * keep-going-cancel on a real daemon: one client builds two derivations (an `invocation` step),
 * the sibling's builder fails at its gate while godyn's is held at its own, and the daemon must
 * cancel godyn. The plan's steps and its expectation come from the model's scripted run; what the
 * harness calls `cancelled` is read off the client's own messages (oracle.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { runScripted, UPSTREAM } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { placeInvocation, planFromEvents, scriptedEvents } from '../../sim/repro/from-trace.js';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { describeStep, renderScript } from '../../sim/repro/render.js';
import { NOT_ON_A_REAL_DAEMON, validationPlans } from '../../sim/repro/validation-plans.js';
import { keepGoingCancel } from '../../sim/scenarios/builtin.js';
import { traceScenario } from '../../sim/trace.js';
import { traceOf } from '../../sim/verdicts.js';
import { scriptedTrace } from './traces.js';

const linux: Scenario = { ...keepGoingCancel, settings: { ...keepGoingCancel.settings, platform: 'linux', nixVersion: '2.34.8' } };

function kgPlan(): ReproPlan {
  const p = validationPlans('2.34.8').find((x) => x.ok && x.value.scenario === 'keep-going-cancel');
  if (!p?.ok) throw new Error('no validation plan keep-going-cancel');
  return p.value;
}

function planOf(s: Scenario): ReturnType<typeof planFromEvents> {
  return planFromEvents(s, scriptedEvents(s), ['upstream']);
}

describe('the validation plan keep-going-cancel', () => {
  it('is planned for 2.34.8 (not 2.8), and no longer listed as impossible on a real daemon', () => {
    expect(NOT_ON_A_REAL_DAEMON['keep-going-cancel']).toBeUndefined();
    expect(parsePlan(JSON.parse(JSON.stringify(kgPlan())) as unknown).ok).toBe(true);
    expect(validationPlans('2.8').some((x) => x.ok && x.value.scenario === 'keep-going-cancel')).toBe(false);
  });

  it('starts with one invocation: godyn held where the sibling joined, the sibling failing at the gate before its failing command', () => {
    const events = scriptedEvents(linux);
    const joinedAt = events.findIndex((e) => e.actor === 'sib');
    const k = events.slice(0, joinedAt).filter((e) => e.actor === 'a1' && e.type === 'builderAction').length;
    const p = kgPlan();
    expect(p.steps[0]).toEqual({
      kind: 'invocation',
      goals: [
        { attempt: 'a1', drv: 'godyn', gate: `before${String(k)}` },
        { attempt: 'sib', drv: 'sibling', gate: 'before0' },
      ],
      fails: 'sib',
    });
    // the retries run after it, one client each, as the scenario orders them
    expect(p.steps.slice(1).map((s) => (s.kind === 'build' ? `build ${s.attempt}` : s.kind))).toEqual(['holdUsers', 'build a2', 'releaseUsers', 'pathInfo', 'delete', 'build a3']);
  });

  it("expects for each goal the model's own outcome: cancelled for godyn, failed for the sibling, whose builder ran up to its gate", () => {
    const run = runScripted(linux, UPSTREAM);
    const outcomes = Object.fromEntries(run.world.state.actors.flatMap((a) => (a.kind === 'build' && a.phase.kind === 'done' ? [[a.id, a.phase.outcome.kind]] : [])));
    expect(outcomes).toMatchObject({ a1: 'cancelled', sib: 'failure' });
    const e = kgPlan().expect.upstream;
    expect(e?.attempts.a1?.outcome).toBe('cancelled');
    expect(e?.attempts.sib?.outcome).toBe('failed');
    // the failing builder logged itself and its gate: it ran, as which user the model says
    const sib = run.world.state.actors.find((a) => a.id === 'sib');
    expect(e?.attempts.sib?.buildUser).toBe(sib?.kind === 'build' && sib.uid !== undefined ? `nixbld${String(sib.uid - 30000)}` : 'none');
    expect(e?.attempts.sib?.actions).toEqual([{ i: 0, ok: true }]);
    // the retry runs as another user than the cancelled attempt
    expect(e?.attempts.a2?.buildUser).not.toBe(e?.attempts.a1?.buildUser);
  });

  it('without the failure nothing is cancelled, and the plan is refused rather than expecting a cancel that never comes', () => {
    const noFail: Scenario = {
      ...linux,
      actors: linux.actors.map((a) => {
        if (a.id !== 'sib' || a.kind !== 'build') return a;
        const { fault: _fault, ...rest } = a;
        return rest;
      }),
    };
    const r = planOf(noFail);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/builder failure/);
  });

  it('refuses other shapes: three goals, a fault of the held goal, an interrupt beside the invocation', () => {
    const three = placeInvocation({ ...linux, invocations: [['a1', 'sib', 'a2']] }, scriptedEvents(linux));
    expect(three.ok).toBe(false);
    const heldFault: Scenario = { ...linux, actors: linux.actors.map((a) => (a.id === 'a1' && a.kind === 'build' ? { ...a, fault: { kind: 'interrupt', before: 'builderAction', nth: 3 } } : a)) };
    const r = planOf(heldFault);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/held goal/);
    const interrupted: Scenario = { ...linux, actors: linux.actors.map((a) => (a.id === 'a2' && a.kind === 'build' ? { ...a, fault: { kind: 'interrupt', before: 'builderAction', nth: 1 } } : a)) };
    const i = planOf(interrupted);
    expect(i.ok).toBe(false);
    if (!i.ok) expect(i.error).toMatch(/interrupt/);
  });

  it("fault plans run the scripted trace as the same invocation, the seed's retries after it", () => {
    const r = planFromFaultTrace(scriptedTrace(linux), 'x');
    if (!r.realisable) throw new Error(r.why);
    expect(r.plan.steps.filter((st) => st.kind === 'invocation')).toEqual(kgPlan().steps.filter((st) => st.kind === 'invocation'));
    expect(r.plan.expect['upstream']?.attempts['a2']?.outcome).toBe('failed');
  });

  it("fault plans place the model's own builder failure of the sibling (its breadth-first counterexample) in the invocation, and the probe that found the wedge after it", () => {
    const spec = keepGoingCancel;
    const found = explore(spec, { variant: UPSTREAM, faults: ['builderFailure'], maxFaults: 1, maxDepth: 200, maxStates: 50_000 }).counterexamples.find((c) => c.invariant === 'NoWedge');
    if (!found) throw new Error('no NoWedge counterexample');
    const t = traceOf({ scenario: traceScenario(spec, { kind: 'builtin' }), variant: 'upstream', search: { mode: 'bfs', faults: ['builderFailure'], maxFaults: 1, faultTargets: ['sib'] }, cx: found, foundBy: 'bfs', replay: 'outpath explore keep-going-cancel' });
    const r = planFromFaultTrace(t, 'x', ['recommended']);
    if (!r.realisable) throw new Error(r.why);
    expect(parsePlan(JSON.parse(JSON.stringify(r.plan)) as unknown).ok).toBe(true);
    const [first, ...rest] = r.plan.steps;
    expect(first).toEqual({ kind: 'invocation', goals: [{ attempt: 'a1', drv: 'godyn', gate: 'before2' }, { attempt: 'sib', drv: 'sibling', gate: 'before0' }], fails: 'sib' });
    // the wedge's probe, as the second build user
    expect(rest.map((st) => st.kind)).toEqual(['holdUsers', 'build', 'releaseUsers']);
    const probe = (v: string) => r.plan.expect[v]?.attempts['probe'];
    expect(probe('upstream')?.outcome).toBe('failed');
    expect(probe('upstream')?.actions.filter((a) => !a.ok).map((a) => a.errno)).toEqual(['EACCES', 'EACCES']);
    expect(probe('recommended')?.outcome).toBe('success');
    expect(r.plan.expect['upstream']?.attempts['a1']?.outcome).toBe('cancelled');
  });

  it('fault plans refuse an invocation whose trace has no builder failure to place', () => {
    const plain = (a: (typeof linux.actors)[number]): (typeof linux.actors)[number] => {
      if (a.id !== 'sib' || a.kind !== 'build') return a;
      const { fault: _failure, ...rest } = a;
      return rest;
    };
    const noFailure: Scenario = { ...linux, actors: linux.actors.map(plain) };
    const r = planFromFaultTrace(scriptedTrace(noFailure), 'x');
    expect(r.realisable ? 'realisable' : r.why).toMatch(/goals of one invocation: .*this trace has none/);
  });
});

describe('the invocation step in a plan', () => {
  it('is refused when it names a goal it does not have, a derivation twice, or a gate the program lacks', () => {
    const p = kgPlan();
    const inv = p.steps[0];
    if (inv?.kind !== 'invocation') throw new Error('no invocation step');
    const withStep = (s: typeof inv): unknown => JSON.parse(JSON.stringify({ ...p, steps: [s, ...p.steps.slice(1)] }));
    const bad = [
      [{ ...inv, fails: 'a9' }, /not a goal of this invocation/],
      [{ ...inv, goals: [inv.goals[0], { ...inv.goals[0], attempt: 'sib' }] }, /is a goal twice/],
      [{ ...inv, goals: [{ ...inv.goals[0], gate: 'nogate' }, inv.goals[1]] }, /gate "nogate" is not in/],
    ] as const;
    for (const [step, why] of bad) {
      const r = parsePlan(withStep(step as typeof inv));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(why);
    }
  });

  it('renders as one h_invocation call naming the failing goal and each goal with its gate', () => {
    const p = kgPlan();
    const text = renderScript(p, { variant: 'upstream', platform: 'linux' });
    expect(text).toMatch(/^ {4}h_invocation 0 sib a1 0 'before\d+' sib 1 'before0'$/m);
    expect(text).toContain('--max-jobs "${#atts[@]}"');
    const inv = p.steps[0];
    if (inv?.kind !== 'invocation') throw new Error('no invocation step');
    expect(describeStep(inv, 0)).toMatch(/one nix-build of godyn .* and sibling .*sib's builder exits 1/);
  });
});

const python = spawnSync('python3', ['--version']).status === 0;
const oracle = join(import.meta.dirname, '..', '..', 'sim', 'repro', 'oracle.py');

describe.skipIf(!python)('oracle.py: a held goal of an invocation is cancelled only on the client\'s evidence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nol-kg-'));
  const blog = join(dir, 'builder.log');
  writeFileSync(blog, 'U 999 nixbld1 /nix/store/f33cnq01pkdxlpdi9vpgkjjkbldlmwjl-godyn-1 193\nA 0 ok\nA 1 ok\nA 2 ok\n');
  const godyn = '/nix/store/p1l5bq1bsg5a33jhwxbfbqj3hjaj58hw-godyn-1.drv';
  const sib = '/nix/store/4vhb85r262znpck2xfhy6ca5gksy8gfn-sibling-1.drv';
  const outcome = (err: string, rc: number): string => {
    const f = join(dir, 'err');
    writeFileSync(f, err);
    const r = spawnSync('python3', [oracle, 'attempt', 'a1', 'godyn', 'godyn-1', String(rc), '2', blog, f, '', '0.1', '0', '1'], { encoding: 'utf8' });
    return (JSON.parse(r.stdout) as { observation: { outcome: string } }).observation.outcome;
  };
  // the lines 2.34.8's client printed on sid (the failed sibling, then both named)
  const sibFailed = `error: Cannot build '${sib}'.\n       Reason: builder failed with exit code 1.\n`;
  const both = `error: build of '${sib}', '${godyn}' failed\n`;

  it('cancelled: named in "build of ... failed", no failure of its own', () => {
    expect(outcome(sibFailed + both, 1)).toBe('cancelled');
  });
  it('failed: its own "Cannot build" (or an older "builder for ... failed"), or not named at all', () => {
    expect(outcome(`error: Cannot build '${godyn}'.\n` + both, 1)).toBe('failed');
    expect(outcome(`error: builder for '${godyn}' failed with exit code 1\n` + both, 1)).toBe('failed');
    expect(outcome(sibFailed + `error: build of '${sib}' failed\n`, 1)).toBe('failed');
  });
});
