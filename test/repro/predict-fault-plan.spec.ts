import { describe, expect, it } from 'vitest';
import { parseVariant } from '../../model/nix/index.js';
import { cellsOf, registrationSweep } from '../../scripts/lib/fault-plans.js';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { predictFaultPlan } from '../../sim/repro/predict-fault-plan.js';
import { freeScenario } from '../../model/verify/index.js';
import { exploredTrace } from './traces.js';

const variant = (name: string) => {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
};

describe('a fault plan read under another variant (predict-fault-plan)', () => {
  const sweep = registrationSweep();
  const cells = cellsOf(sweep, ['recommended']);

  it('every registration-sweep plan is pinned: its steps, run as the harness runs them, give the trace expectation back', () => {
    const plans = cells.filter((c) => c.plan);
    expect(plans.length).toBeGreaterThan(5);
    for (const c of plans) {
      expect(c.unpredictable ?? {}, c.name).toEqual({});
      expect(c.plan?.expect.recommended, c.name).toBeDefined();
    }
  });

  it('the recommended daemon builds the retry that the unpatched one cannot, for some schedule of the sweep', () => {
    const healed = cells.filter((c) => c.plan && JSON.stringify(c.plan.expect.upstream) !== JSON.stringify(c.plan.expect.recommended));
    expect(healed.length).toBeGreaterThan(0);
    for (const c of healed) {
      const up = Object.values(c.plan?.expect.upstream?.attempts ?? {}).filter((a) => a.outcome === 'success').length;
      const rec = Object.values(c.plan?.expect.recommended?.attempts ?? {}).filter((a) => a.outcome === 'success').length;
      expect(rec, c.name).toBeGreaterThanOrEqual(up);
    }
  });

  it('refuses a hold at a call the daemon never makes, naming it', () => {
    const first = sweep[0];
    if (!first) throw new Error('no sweep trace');
    const r = planFromFaultTrace(first.trace, 'x');
    if (!r.realisable) throw new Error(r.why);
    const spec = freeScenario(first.trace.scenario.spec);
    const build = r.plan.steps.find((s) => s.kind === 'build');
    if (build?.kind !== 'build') throw new Error('no build step');
    const held = { ...build, daemonAt: { op: 'mkdir' as const, when: 'after' as const, nth: 99, glob: '/nix/store/*-never', action: 'hold' as const } };
    const { interruptAt: _i, crashAt: _c, failAt: _f, holdAt: _h, ...plain } = held;
    const p = predictFaultPlan({ ...spec, settings: { ...spec.settings, platform: 'linux' } }, [plain, { kind: 'resume', attempt: build.attempt }], [], variant('recommended'));
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.why).toMatch(/ends before the daemon's call mkdir #99/);
  });
});


describe("a fault plan of the daemon's own auto-GC, read under the patched variants (what validate:patched asks)", () => {
  const patched = ['prepare-deletes-stale-scratch+temp-root-scratch', 'recommended'];
  const traces = (['interrupt', 'crash', 'builderFailure'] as const).map((f) => ({ name: `auto-gc-during-ca-build.upstream.InProgressOutputSafe.${f}`, trace: exploredTrace('auto-gc-during-ca-build', 'InProgressOutputSafe', f) }));

  it('is pinned under upstream, and each patched variant gets an expectation: its auto-GC keeps the running output', () => {
    const cells = cellsOf(traces, patched);
    const plans = cells.filter((c) => c.plan);
    expect(plans.length).toBeGreaterThan(0);
    for (const c of plans) {
      expect(c.unpredictable ?? {}, c.name).toEqual({});
      const up = c.plan?.expect.upstream;
      expect(up?.commands.autogc?.removed, `${c.name} upstream`).toBe(true);
      for (const v of patched) {
        const e = c.plan?.expect[v];
        expect(e, `${c.name} ${v}`).toBeDefined();
        // temp-root-scratch makes the scratch output a temp root: the collector must not delete it, and the build goes on
        expect(e?.commands.autogc?.removed, `${c.name} ${v}`).toBe(false);
        expect(e?.attempts.a1?.outcome, `${c.name} ${v}`).toBe('success');
      }
    }
  });
});

describe("an auto-GC step where the build's worker loop is not at the auto-GC's point", () => {
  it('is refused with the reason (not a model bug): a daemon whose build is held elsewhere would not collect', () => {
    const t = exploredTrace('auto-gc-during-ca-build', 'InProgressOutputSafe', 'interrupt');
    const r = planFromFaultTrace(t, 'x');
    if (!r.realisable) throw new Error(r.why);
    const build = r.plan.steps.find((s) => s.kind === 'build');
    if (build?.kind !== 'build' || build.holdAt === undefined) throw new Error('the plan holds a1 at a gate');
    // the plan as it is runs (pinned); held one builder command earlier, the worker loop is not at the point
    const spec = t.scenario.spec;
    const gates = [{ actor: 'a1', drv: build.drv, before: 1 }];
    const ok = predictFaultPlan(spec, r.plan.steps, [{ actor: 'a1', drv: build.drv, before: Number(build.holdAt.replace('before', '')) }], variant('upstream'));
    expect(ok.ok).toBe(true);
    const early = r.plan.steps.map((s) => (s === build ? { ...build, holdAt: 'before1' } : s));
    for (const v of ['upstream', 'recommended']) {
      const p = predictFaultPlan(spec, early, gates, variant(v));
      expect(p.ok, v).toBe(false);
      if (!p.ok) expect(p.why, v).toMatch(/autogc, the auto-GC of a1's daemon worker, starts only where that worker's loop runs, just before a1 takes its builderAction number 3/);
    }
  });
});
