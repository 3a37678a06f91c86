/**
 * The oracle's plans: which scenarios a real daemon runs, on which Nix, and what the model
 * predicts there. Every expectation is the model's own; these tests pin the shape of the plans
 * and the few predictions the two Nix versions are known to differ on.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN } from '../../sim/scenarios/builtin.js';
import { planFromEvents, scriptedEvents } from '../../sim/repro/from-trace.js';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { NOT_ON_A_REAL_DAEMON, validationPlans, validationScenarios, VALIDATION_VARIANTS } from '../../sim/repro/validation-plans.js';

function plans(nix: '2.34.8' | '2.8'): Map<string, ReproPlan> {
  const out = new Map<string, ReproPlan>();
  for (const p of validationPlans(nix)) {
    if (!p.ok) throw new Error(p.error);
    out.set(p.value.scenario, p.value);
  }
  return out;
}
const v2348 = plans('2.34.8');
const v28 = plans('2.8');
const plan = (m: Map<string, ReproPlan>, name: string): ReproPlan => {
  const p = m.get(name);
  if (!p) throw new Error(`no plan ${name}`);
  return p;
};

describe('validation plans', () => {
  it('cover the scenarios the oracle is asked for, at least 12, on both Nix versions', () => {
    const want = [
      'seed-487',
      'ia-twin',
      'same-user-retry',
      'single-user',
      'plain-mkdir-retry',
      'recovery-nix-store-delete',
      'recovery-nix-store--delete',
      'recovery-nix-store-gc',
      'recovery-nix-store--gc',
      'recovery-nix-collect-garbage',
      'duplicate-ca-output',
      'concurrent-same-drv',
      'keep-failed-retry',
      'linux-sandbox',
    ];
    for (const m of [v2348, v28]) {
      expect([...m.keys()]).toEqual(expect.arrayContaining(want));
      expect(m.size).toBeGreaterThanOrEqual(12);
    }
  });

  it('every built-in scenario has a plan or a stated reason why a real daemon cannot run it', () => {
    const planned = new Set(validationScenarios('2.34.8').map((s) => s.name));
    for (const s of BUILTIN) {
      const reason = NOT_ON_A_REAL_DAEMON[s.name];
      expect(planned.has(s.name) !== (reason !== undefined), `${s.name}: ${planned.has(s.name) ? 'planned' : 'not planned'}, reason: ${reason ?? 'none'}`).toBe(true);
    }
    for (const name of Object.keys(NOT_ON_A_REAL_DAEMON)) expect(BUILTIN.some((s) => s.name === name)).toBe(true);
  });

  it('are valid plans naming their Nix version, with every variant predicted, on Linux settings', () => {
    for (const [nix, m] of [
      ['2.34.8', v2348],
      ['2.8', v28],
    ] as const) {
      for (const p of m.values()) {
        const r = parsePlan(JSON.parse(JSON.stringify(p)));
        expect(r.ok ? 'ok' : r.error).toBe('ok');
        expect(p.nix).toBe(nix);
        expect(Object.keys(p.expect).sort()).toEqual([...VALIDATION_VARIANTS].sort());
      }
    }
  });

  it('give the 2.8 daemon no setting Nix 2.8.0 lacks (build-dir, auto-allocate-uids: it would ignore them and build as usual)', () => {
    for (const p of v28.values()) {
      expect(p.settings.buildDirMode, p.scenario).toBeUndefined();
      expect(p.settings.autoAllocateUids, p.scenario).toBeUndefined();
    }
    expect([...v2348.values()].filter((p) => p.settings.buildDirMode !== undefined || p.settings.autoAllocateUids === true).length).toBe(4);
  });

  it('run the recovery GC through the command each names', () => {
    const cmd = (name: string): string | undefined => plan(v2348, name).steps.find((s) => s.kind === 'delete')?.kind === 'delete' ? (plan(v2348, name).steps.find((s) => s.kind === 'delete') as { command: string }).command : undefined;
    expect(cmd('recovery-nix-store-gc')).toBe('nix store gc');
    expect(cmd('recovery-nix-store--gc')).toBe('nix-store --gc');
    expect(cmd('recovery-nix-collect-garbage')).toBe('nix-collect-garbage');
    expect(cmd('recovery-nix-store-delete')).toBe('nix store delete');
  });

  it('hold a build at a gate for the actor placed during it, and resume it', () => {
    const same = plan(v2348, 'concurrent-same-drv');
    expect(same.steps).toEqual([
      { kind: 'build', attempt: 'a1', drv: 'godyn', holdAt: expect.stringMatching(/^before\d+$/) as unknown },
      { kind: 'build', attempt: 'a2', drv: 'godyn', waitsForLock: true },
      { kind: 'resume', attempt: 'a1' },
      { kind: 'resume', attempt: 'a2' },
    ]);
    // the model: the second build waits for the output lock, then finds the output valid and runs no builder
    expect(same.expect['upstream']?.attempts['a2']?.buildUser).toBeNull();
    expect(same.expect['upstream']?.attempts['a2']?.outcome).toBe('success');
    const gc = plan(v2348, 'concurrent-gc');
    expect(gc.steps.map((s) => s.kind)).toEqual(['build', 'delete', 'resume']);
    // upstream: the scratch output has no temp root, so the GC takes it and the build fails
    expect(gc.expect['upstream']?.commands['gc']?.removed).toBe(true);
    expect(gc.expect['upstream']?.attempts['a1']?.outcome).toBe('failed');
    expect(gc.expect['recommended']?.commands['gc']?.removed).toBe(false);
    expect(gc.expect['recommended']?.attempts['a1']?.outcome).toBe('success');
  });

  it('differ between 2.34.8 and 2.8 where the two Nix versions do: a CA result already valid', () => {
    // 2.34.8 deletes the second .drv's scratch copy; 2.8 keeps it root-owned, so its rebuild fails EACCES
    expect(plan(v2348, 'duplicate-ca-output').expect['upstream']?.attempts['b3']?.outcome).toBe('success');
    expect(plan(v28, 'duplicate-ca-output').expect['upstream']?.attempts['b3']?.outcome).toBe('failed');
    // every plan both versions get predicts the same elsewhere
    const both = [...v2348.keys()].filter((k) => v28.has(k));
    const same = both.filter((k) => JSON.stringify(plan(v2348, k).expect) === JSON.stringify(plan(v28, k).expect));
    expect(same.length).toBe(both.length - 1);
  });

  it('predict the build directory kept only where keep-failed keeps it, and never through a sandbox', () => {
    const kept = (name: string): Record<string, boolean | undefined> =>
      Object.fromEntries(Object.entries(plan(v2348, name).expect['upstream']?.attempts ?? {}).map(([k, a]) => [k, a.buildDirKept]));
    expect(kept('keep-failed-retry')).toEqual({ a1: true, a2: true, a3: false });
    expect(kept('seed-487')).toEqual({ a1: false, a2: false, a3: false });
    expect(plan(v2348, 'linux-sandbox').settings.sandbox).toBe(true);
    expect(Object.values(kept('linux-sandbox'))).toEqual([undefined, undefined, undefined]);
  });

  it('predict "removing invalid path" only for attempts that are not interrupted (those run without --debug)', () => {
    const ia = plan(v2348, 'ia-twin').expect['upstream']?.attempts ?? {};
    expect(ia['a1']?.outcome).toBe('interrupted');
    expect(ia['a1'] && 'removedInvalid' in ia['a1']).toBe(false);
    expect(ia['a2']?.removedInvalid).toBe(true);
  });
});

describe('a --check build in a plan', () => {
  const p = plan(v2348, 'check-interrupted-then-delete');
  const builds = p.steps.filter((s) => s.kind === 'build');

  it('keeps the mode of the model actor that is a --check build, and only of that one', () => {
    const checked = builds.filter((s) => s.check === true).map((s) => s.attempt);
    const scenario = BUILTIN.find((s) => s.name === 'check-interrupted-then-delete');
    const want = scenario?.actors.filter((a) => a.kind === 'build' && a.mode === 'check').map((a) => a.id);
    expect(checked).toEqual(want);
    expect(checked.length).toBeGreaterThan(0);
  });

  it('renders --check into the script for that attempt alone', async () => {
    const { renderScript } = await import('../../sim/repro/render.js');
    const script = renderScript(p, { variant: 'upstream', platform: 'linux' });
    const calls = script.split('\n').filter((l) => /^\s+h_build /.test(l));
    expect(calls.filter((l) => / (\S+\+)?check$/.test(l))).toHaveLength(builds.filter((s) => s.check).length);
    expect(script).toContain('$([ "$check" = 1 ] && echo --check)');
  });

  it('is refused by the plan parser when check is not `true`', () => {
    const bad = { ...p, steps: p.steps.map((s) => (s.kind === 'build' && s.check ? { ...s, check: 'yes' } : s)) };
    expect(parsePlan(JSON.parse(JSON.stringify(bad))).ok).toBe(false);
  });
});

describe('a --repair build and a corrupt step in a plan', () => {
  const p = plan(v2348, 'repair-with-ca-derivations');
  const builds = p.steps.filter((s) => s.kind === 'build');
  const scenario = BUILTIN.find((s) => s.name === 'repair-interrupted');

  it('keeps the mode of the model actors that are --repair builds, and corrupts the output as the scenario does, before the first repair', () => {
    const repaired = builds.filter((s) => s.repair === true).map((s) => s.attempt);
    const want = scenario?.actors.filter((a) => a.kind === 'build' && a.mode === 'repair').map((a) => a.id);
    expect(repaired).toEqual(want);
    expect(repaired.length).toBe(2);
    expect(builds.some((s) => s.check)).toBe(false);
    const corrupt = p.steps.findIndex((s) => s.kind === 'corrupt');
    expect(p.steps[corrupt]).toEqual({ kind: 'corrupt', target: { drv: 'ia', which: 'final' } });
    expect(corrupt).toBeLessThan(p.steps.findIndex((s) => s.kind === 'build' && s.repair === true));
  });

  it('predicts, with ca-derivations on, that neither repair runs a builder and the output keeps the damage (derivation-building-goal.cc l.1281-1284)', () => {
    for (const v of VALIDATION_VARIANTS) {
      for (const id of ['r1', 'r2']) {
        const a = p.expect[v]?.attempts[id];
        expect(a?.buildUser, `${v} ${id}`).toBeNull();
        expect(a?.outcome, `${v} ${id}`).toBe('success');
        expect(a?.outputFiles?.['corrupted'], `${v} ${id}`).toBe('corrupted\n');
      }
    }
  });

  it('plans the scenarios without ca-derivations too, the GC during a repair included', () => {
    for (const name of ['repair-interrupted', 'repair-retry-other-user', 'repair-concurrent-gc']) {
      expect(NOT_ON_A_REAL_DAEMON[name]).toBeUndefined();
      expect(plan(v2348, name).settings.caDerivations).toBe(false);
      expect(plan(v28, name).settings.caDerivations).toBe(false);
    }
  });

  it('holds the repair at its gate for the GC only after the build and the damage that set it up ran, in that order', () => {
    const gc = plan(v2348, 'repair-concurrent-gc');
    expect(gc.steps).toEqual([
      { kind: 'build', attempt: 'a1', drv: 'ia' },
      { kind: 'corrupt', target: { drv: 'ia', which: 'final' } },
      { kind: 'build', attempt: 'r1', drv: 'ia', holdAt: expect.stringMatching(/^before\d+$/) as unknown, repair: true },
      { kind: 'delete', command: 'nix store gc', target: { drv: 'ia', which: 'scratch' }, label: 'gc' },
      { kind: 'resume', attempt: 'r1' },
    ]);
    // the gate the repair is held at is one the builder has
    const held = gc.steps[2];
    const program = gc.derivations.find((d) => d.id === 'ia')?.program ?? [];
    expect(program.some((a) => a.op === 'gate' && held?.kind === 'build' && a.name === held.holdAt)).toBe(true);
  });

  it("predicts the GC takes the repair's fallback path upstream (the repair then fails), and keeps it with the temp-root fix", () => {
    for (const m of [v2348, v28]) {
      const gc = plan(m, 'repair-concurrent-gc');
      const up = gc.expect['upstream'];
      expect(up?.commands['gc']?.removed).toBe(true);
      expect(up?.attempts['r1']?.outcome).toBe('failed');
      expect(up?.attempts['r1']?.actions.at(-1)).toEqual(expect.objectContaining({ ok: false, errno: 'ENOENT' }));
      for (const v of ['prepare-deletes-stale-scratch+temp-root-scratch', 'recommended']) {
        expect(gc.expect[v]?.commands['gc']?.removed, v).toBe(false);
        expect(gc.expect[v]?.attempts['r1']?.outcome, v).toBe('success');
      }
      // the first build is the same everywhere: it only sets the repair up
      expect(new Set(VALIDATION_VARIANTS.map((v) => JSON.stringify(gc.expect[v]?.attempts['a1']))).size).toBe(1);
    }
  });

  it('predicts, for a --repair of a CA output another derivation made valid, that replaceValidPath fails and the valid path stays (2.34.8 only)', () => {
    const twin = plan(v2348, 'repair-ca-twin');
    expect(twin.settings.caDerivations).toBeUndefined();
    for (const v of VALIDATION_VARIANTS) {
      expect(twin.expect[v]?.attempts['b1']?.outcome, v).toBe('success');
      // the builder ran to its end: the failure is the daemon's, after it
      expect(twin.expect[v]?.attempts['r1']?.outcome, v).toBe('failed');
      expect(twin.expect[v]?.attempts['r1']?.actions.every((a) => a.ok), v).toBe(true);
      expect(twin.expect[v]?.paths['info'], v).toEqual({ exists: true, valid: true });
    }
    expect(v28.has('repair-ca-twin')).toBe(false);
  });

  it('renders --repair and the corrupt step into the script', async () => {
    const { renderScript } = await import('../../sim/repro/render.js');
    const script = renderScript(p, { variant: 'upstream', platform: 'linux' });
    const calls = script.split('\n').filter((l) => /^\s+h_build /.test(l));
    expect(calls.filter((l) => / (\S+\+)?repair$/.test(l))).toHaveLength(2);
    expect(script).toContain('$([ "$repair" = 1 ] && echo --repair)');
    expect(script.split('\n').filter((l) => /^\s+h_corrupt \d+ 0$/.test(l))).toHaveLength(1);
  });

  it('is refused by the plan parser when repair is not `true`, or a corrupt step names a scratch path', () => {
    const badRepair = { ...p, steps: p.steps.map((s) => (s.kind === 'build' && s.repair ? { ...s, repair: 1 } : s)) };
    expect(parsePlan(JSON.parse(JSON.stringify(badRepair))).ok).toBe(false);
    const badCorrupt = { ...p, steps: p.steps.map((s) => (s.kind === 'corrupt' ? { ...s, target: { drv: 'ia', which: 'scratch' } } : s)) };
    expect(parsePlan(JSON.parse(JSON.stringify(badCorrupt))).ok).toBe(false);
  });
});

describe('an actor placed during a held build, after others', () => {
  const base = BUILTIN.find((s) => s.name === 'repair-concurrent-gc');
  if (!base) throw new Error('no repair-concurrent-gc');

  it('is refused, naming the actor, when another actor runs after the held build started', () => {
    const later = { ...base, actors: [...base.actors, { id: 'info', kind: 'pathInfo' as const, target: { drv: 'ia', which: 'final' as const }, after: ['r1'] }] };
    const r = planFromEvents(later, scriptedEvents(later), ['upstream']);
    expect(r.ok ? 'planned' : r.error).toMatch(/^info does not run before r1 starts/);
  });

  it('is planned with the earlier actors first, and without them as before (a held build and one actor)', () => {
    const r = planFromEvents(base, scriptedEvents(base), ['upstream']);
    expect(r.ok ? r.value.steps.map((s) => s.kind) : r.error).toEqual(['build', 'corrupt', 'build', 'delete', 'resume']);
    // the same repair with no earlier actors: nothing is damaged, so --repair finds the path absent and simply builds it
    const alone = { ...base, actors: base.actors.filter((a) => a.id === 'r1' || a.id === 'gc').map((a) => (a.id === 'r1' ? { ...a, after: [] } : a)) };
    const r2 = planFromEvents(alone, scriptedEvents(alone), ['upstream']);
    expect(r2.ok ? r2.value.steps.map((s) => s.kind) : r2.error).toEqual(['build', 'delete', 'resume']);
  });
});
