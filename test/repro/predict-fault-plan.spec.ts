import { describe, expect, it } from 'vitest';
import { parseVariant } from '../../model/nix/index.js';
import { cellsOf, registrationSweep } from '../../scripts/lib/fault-plans.js';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { predictFaultPlan } from '../../sim/repro/predict-fault-plan.js';
import { freeScenario } from '../../model/verify/index.js';

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
