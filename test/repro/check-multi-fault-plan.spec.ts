/**
 * Fault plans with a `nix-build --check` step and with a multi-output floating CA derivation, and
 * the plan maker's check that a plan, predicted as the harness runs it, is its trace's
 * counterexample. Every plan here is made from the model's own traces (its explorer's shortest
 * counterexamples, or a built-in's scripted run); the expectations are read off those traces, never
 * written down.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, TraceStep } from '../../model/nix/index.js';
import { cellsOf } from '../../scripts/lib/fault-plans.js';
import { daemonCalls, globOf, storeNamesOf } from '../../sim/repro/daemon-calls.js';
import { notTheCounterexample, planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import type { DaemonOp, PlanStep, ReproPlan } from '../../sim/repro/plan.js';
import { predictFaultPlan } from '../../sim/repro/predict-fault-plan.js';
import { derivationSpec, renderScript } from '../../sim/repro/render.js';
import type { Trace } from '../../sim/trace.js';
import { builtin, exploredTrace, faultPlanOf, scriptedTrace, upstream } from './traces.js';

const FAULTS = ['interrupt', 'crash', 'builderFailure'] as const;
type Fault = (typeof FAULTS)[number];

const planOf = faultPlanOf;

type Build = Extract<PlanStep, { kind: 'build' }>;
const buildStep = (p: ReproPlan, attempt: string): Build | undefined => p.steps.find((s): s is Build => s.kind === 'build' && s.attempt === attempt);

/** The `$out = X` a build's prepareScratch note gives, and what it was redirected from. */
function scratchOf(t: Trace, actor: string): { out?: string; from?: string } {
  const note = t.states.find((s) => s.actor === actor && s.action === 'prepareScratch')?.note ?? '';
  return { ...optional('out', /\$out = ([^\s;]+)/.exec(note)?.[1]), ...optional('from', /redirected from ([^\s)]+)/.exec(note)?.[1]) };
}
function optional<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, string>);
}

describe('fault plans with a nix-build --check step (check-concurrent-gc)', () => {
  const traces = Object.fromEntries(FAULTS.map((f) => [f, exploredTrace('check-concurrent-gc', 'InProgressOutputSafe', f)])) as Record<Fault, Trace>;

  it('builderFailure: the --check build is held at its gate, the GC runs, the check resumes; its builder then fails ENOENT', () => {
    const t = traces.builderFailure;
    const p = planOf(t);
    const c1 = buildStep(p, 'c1');
    expect(c1?.check).toBe(true);
    expect(c1?.holdAt).toMatch(/^before\d+$/);
    expect(p.steps.map((s) => s.kind)).toEqual(['build', 'build', 'delete', 'resume', 'pathInfo']);
    expect(p.steps[2]).toMatchObject({ kind: 'delete', command: 'nix store gc' });
    const up = p.expect['upstream'];
    expect(up?.attempts['a1']?.outcome).toBe('success');
    expect(up?.attempts['c1']?.outcome).toBe('failed');
    expect(up?.attempts['c1']?.actions.at(-1)).toEqual({ i: (up?.attempts['c1']?.actions.length ?? 0) - 1, ok: false, errno: 'ENOENT' });
    expect(up?.commands['gc']?.removed).toBe(true);
    // the output checked stays valid and on disk: the GC deleted the check's hash-rewrite path, not it
    expect(up?.paths['final-ia']).toEqual({ exists: true, valid: true });
    const { out, from } = scratchOf(t, 'c1');
    expect(out).toBeDefined();
    expect(from).toBeDefined();
    expect(out).not.toBe(from);
    expect(t.states.some((st) => st.actor === 'gc' && st.note.includes(`deleting '${out ?? '-'}'`))).toBe(true);
  });

  it('the check step renders as nix-build --check, as a validation plan renders it', () => {
    const s = renderScript(planOf(traces.builderFailure), { variant: 'upstream', platform: 'linux' });
    expect(s).toMatch(/h_build \S+ c1 \S+ \S+ \S+ check\b/);
  });

  it("interrupt: the trace's violation comes before its fault, so its plan is the builderFailure one", () => {
    const cells = cellsOf([
      { name: 'check-concurrent-gc.upstream.InProgressOutputSafe.builderFailure', trace: traces.builderFailure },
      { name: 'check-concurrent-gc.upstream.InProgressOutputSafe.interrupt', trace: traces.interrupt },
    ]);
    expect(cells[0]?.plan).toBeDefined();
    expect(cells[1]?.sameAs).toBe(cells[0]?.plan?.scenario);
  });

  it('crash: the model crashes a1 right after its database registration; the plan holds the worker before the call it makes next', () => {
    const t = traces.crash;
    const crashAt = t.events.findIndex((e) => e.type === 'crash');
    // the trace itself: a1 crashes right after "registered ... valid", a step with no syscall
    expect(t.states[crashAt - 1]?.note).toMatch(/^registered \S+ valid$/);
    expect(t.states[crashAt - 1]?.syscalls).toEqual([]);
    const p = planOf(t);
    // after its last call (canonicalisation) the crash would land before the registration: the
    // plan holds a1 before its next one, the chmod that starts removing its build dir
    expect(buildStep(p, 'a1')?.daemonAt).toEqual({ op: 'chmod', when: 'before', nth: 1, glob: '/nix/var/nix/builds/nix-*', action: 'crash' });
    const up = p.expect['upstream'];
    expect(up?.attempts['a1']).toMatchObject({ outcome: 'failed', buildDirKept: true });
    // a1's output was registered: the --check runs, the GC deletes its hash-rewrite path, the check fails
    expect(up?.attempts['c1']?.outcome).toBe('failed');
    expect(up?.attempts['c1']?.actions.at(-1)).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(up?.commands['gc']?.removed).toBe(true);
  });
});

describe('fault plans of a multi-output floating CA derivation (multi-output-ca-interrupted)', () => {
  const traces = Object.fromEntries(FAULTS.map((f) => [f, exploredTrace('multi-output-ca-interrupted', 'NoWedge', f)])) as Record<Fault, Trace>;

  for (const f of FAULTS) {
    it(`${f}: the plan writes both outputs, and the NoWedge probe as the next build user fails EACCES on out's stale scratch path`, () => {
      const t = traces[f];
      const r = planFromFaultTrace(t, 'x');
      if (!r.realisable) throw new Error(r.why);
      expect(r.foundOn).toBe('darwin');
      expect(r.violatedOnLinux).toContain('NoWedge');
      const p = planOf(t);
      const lib = p.derivations.find((d) => d.id === 'lib');
      expect(lib?.outputs).toEqual(['out', 'dev']);
      // the builder gets $dev and writes below it (derivationSpec passes outputs to builtins.derivation)
      expect(lib && derivationSpec(lib, 'linux')).toMatchObject({ outputs: ['out', 'dev'] });
      expect(lib?.program.some((a) => 'output' in a && a.output === 'dev')).toBe(true);
      const up = p.expect['upstream'];
      const a1 = up?.attempts['a1'];
      expect(a1?.buildUser).toBe('nixbld1');
      expect(a1?.outcome).toBe(f === 'interrupt' ? 'interrupted' : 'failed');
      const probe = up?.attempts['probe'];
      expect(probe?.buildUser).toBe('nixbld2');
      expect(probe?.outcome).toBe('failed');
      // its first write into out's scratch dir, which a1's user made and left
      const failed = probe?.actions.filter((x) => !x.ok) ?? [];
      expect(failed.map((x) => x.errno)).toEqual(['EACCES']);
      // and the probe's message in the trace names out's scratch path, which the plan's a1 made
      expect(t.violations[0]?.message).toMatch(/suspicious ownership or permission on '\S+-lib' for output 'out'/);
    });
  }

  it("globs another output's store path as <name><nonce>-<output>", () => {
    const h = '0123456789abcdfghijklmnpqrsvwxyz';
    expect(globOf(`/nix/store/${h}-lib-dev`, ['lib'], ['out', 'dev'])).toBe('/nix/store/*-lib@N@-dev');
    expect(globOf(`/nix/store/${h}-lib-dev.tmp`, ['lib'], ['out', 'dev'])).toBe('/nix/store/*-lib@N@-dev.tmp');
    expect(globOf(`/nix/store/${h}-lib-dev/include`, ['lib'], ['out', 'dev'])).toBe('/nix/store/*-lib@N@-dev/*');
    // without the output named, a path of it is no derivation's; `out` is never a suffix
    expect(globOf(`/nix/store/${h}-lib-dev`, ['lib'])).toBeUndefined();
    expect(globOf(`/nix/store/${h}-lib-out`, ['lib'], ['out', 'dev'])).toBeUndefined();
  });

  it("a successful build's other output is predicted at its own final path (otherOutputFiles)", () => {
    const base = builtin('multi-output-ca-interrupted');
    const p = planOf(scriptedTrace({ ...base, settings: { ...base.settings, platform: 'linux' }, actors: [{ id: 'a1', kind: 'build', drv: 'lib' }] }));
    const a1 = p.expect['upstream']?.attempts['a1'];
    expect(a1?.outcome).toBe('success');
    expect(a1?.outputFiles).toEqual({ 'lib.a': 'archive' });
    expect(a1?.otherOutputFiles).toEqual({ dev: { 'include/': '', 'include/lib.h': 'header' } });
  });

  it("the scripted run: its interrupt lands between dev's registration and out's, held after the unlink of dev's lock", () => {
    const t = scriptedTrace(builtin('multi-output-ca-interrupted'));
    const at = t.events.findIndex((e) => e.type === 'interrupt');
    // the trace: dev registered valid inside the loop, out not yet, when the interrupt comes
    const before = t.states.slice(0, at).map((st) => st.note);
    expect(before.some((n) => /registered \S+-lib-dev valid \(output 'dev', content-addressed: right away\)/.test(n))).toBe(true);
    expect(before.some((n) => /registered \S+ valid$/.test(n))).toBe(false);
    const p = planOf(t);
    // dev's final-path lock goes (~PathLocks) after its registration: the daemon's last call before out's turn
    expect(buildStep(p, 'a1')?.daemonAt).toEqual({ op: 'unlink', when: 'after', nth: 1, glob: '/nix/store/*-lib@N@-dev.lock', action: 'interrupt' });
    const up = p.expect['upstream'];
    expect(up?.attempts['a1']?.outcome).toBe('interrupted');
    // out's scratch path stays as a1's user left it: the retry as nixbld2 is refused it
    expect(up?.attempts['a2']).toMatchObject({ buildUser: 'nixbld2', outcome: 'failed' });
    expect(up?.paths['info']).toEqual({ exists: true, valid: false });
  });

  it("refuses a command naming a floating CA derivation's other output: the harness names it only from an input-addressed .drv", () => {
    const base = builtin('multi-output-ca-interrupted');
    const spec: Scenario = {
      ...base,
      actors: base.actors.map((a) => (a.kind === 'pathInfo' ? { ...a, target: { drv: 'lib', which: 'final', output: 'dev' } } : a)),
    };
    const r = planFromFaultTrace(scriptedTrace(spec), 'x');
    expect(r.realisable).toBe(false);
    if (!r.realisable) expect(r.why).toBe('info names the final path of output dev of the floating CA derivation lib: the harness names another output\'s path only from an input-addressed .drv');
  });
});

describe('the plan maker runs each plan on the model as the harness would, and makes it only if that is the counterexample', () => {
  it('makes every plan of these traces', () => {
    const traces = [
      ...FAULTS.map((f) => exploredTrace('check-concurrent-gc', 'InProgressOutputSafe', f)),
      ...FAULTS.map((f) => exploredTrace('multi-output-ca-interrupted', 'NoWedge', f)),
      ...FAULTS.map((f) => exploredTrace('concurrent-gc', 'InProgressOutputSafe', f)),
    ];
    const refused = traces.flatMap((t) => {
      const r = planFromFaultTrace(t, 'x');
      return r.realisable ? [] : [`${t.scenario.name} ${t.search.faults.join()}`];
    });
    expect(refused).toEqual([]);
  });

  // concurrent-gc on Linux: a1 held at its gate before its 2nd command while `nix store gc` runs
  const spec: Scenario = (() => {
    const s = builtin('concurrent-gc');
    return { ...s, settings: { ...s.settings, platform: 'linux' } };
  })();
  const names = storeNamesOf(spec.derivations);
  const gates = [{ actor: 'a1', drv: 'godyn', before: 2 }];
  const held: PlanStep[] = [{ kind: 'build', attempt: 'a1', drv: 'godyn', holdAt: 'before2' }, { kind: 'delete', command: 'nix store gc', target: { drv: 'godyn', which: 'scratch' }, label: 'gc' }, { kind: 'resume', attempt: 'a1' }];
  const predicted = (steps: PlanStep[], g: typeof gates = gates) => {
    const p = predictFaultPlan(spec, steps, g, upstream);
    if (!p.ok) throw new Error(p.why);
    return p;
  };

  it("passes a plan whose prediction is the trace's observation and violates the trace's invariant", () => {
    const p = predicted(held);
    expect(notTheCounterexample(spec, { steps: held, gates }, upstream, p.observation, p.steps, ['InProgressOutputSafe'], names)).toBeUndefined();
  });

  it("refuses one that violates another invariant than the trace's, or none", () => {
    const p = predicted(held);
    expect(notTheCounterexample(spec, { steps: held, gates }, upstream, p.observation, p.steps, ['InProgressOutputSafe', 'NoWedge'], names)).toMatch(/^the plan's own run violates [A-Za-z, ]+, not NoWedge: it is not the counterexample$/);
    // the GC before the build: nothing is in progress, nothing is violated
    const before: PlanStep[] = [held[1] as PlanStep, { kind: 'build', attempt: 'a1', drv: 'godyn' }];
    const q = predicted(before, []);
    expect(notTheCounterexample(spec, { steps: before, gates: [] }, upstream, q.observation, q.steps, ['InProgressOutputSafe'], names)).toBe("the plan's own run violates nothing, not InProgressOutputSafe: it is not the counterexample");
  });

  it('refuses one whose prediction is another observation than the trace gives, naming the first model step where the two runs part', () => {
    const p = predicted(held);
    const before: PlanStep[] = [held[1] as PlanStep, { kind: 'build', attempt: 'a1', drv: 'godyn' }];
    expect(notTheCounterexample(spec, { steps: before, gates: [] }, upstream, p.observation, p.steps, ['InProgressOutputSafe'], names)).toMatch(/^the plan does not reproduce the trace: at model step 1 the trace has start\(a1\) \(.*\) where the plan's run has gcStep\(gc\)/);
  });

  it('holds a worker before a call only where a model step begins with it', () => {
    // the calls a1 makes, step by step, in the plain run: a point before the first call of a step
    // is predicted there, one before a later call of the same step is refused
    const plain = predicted([{ kind: 'build', attempt: 'a1', drv: 'godyn' }], []);
    const seen = new Map<string, number>();
    let first: { key: string; nth: number } | undefined;
    let later: { key: string; nth: number } | undefined;
    for (const st of plain.steps) {
      if (st.event.actor !== 'a1' || st.event.type === 'builderAction') continue;
      const calls = daemonCalls(st.syscalls, names).flatMap((c) => (c.kind === 'hooked' ? [c.key] : []));
      calls.forEach((key, j) => {
        const nth = (seen.get(key) ?? 0) + 1;
        seen.set(key, nth);
        if (j === 0 && first === undefined && daemonCalls(st.syscalls, names).find((c) => c.kind !== 'quiet')?.kind === 'hooked') first = { key, nth };
        if (j > 0 && later === undefined && !calls.slice(0, j).includes(key)) later = { key, nth };
      });
    }
    if (!first || !later) throw new Error('the plain run has no step with two calls');
    const at = (x: { key: string; nth: number }): PlanStep[] => {
      const [op, glob] = x.key.split(' ') as [DaemonOp, string];
      return [{ kind: 'build', attempt: 'a1', drv: 'godyn', daemonAt: { op, when: 'before', nth: x.nth, glob, action: 'crash' } }];
    };
    const ok = predictFaultPlan(spec, at(first), [], upstream);
    expect(ok.ok).toBe(true);
    // crashed before that step: the run is the plain one up to it, and the step itself never ran
    if (ok.ok) expect(ok.steps.at(-1)?.event.type).toBe('crash');
    const refused = predictFaultPlan(spec, at(later), [], upstream);
    expect(refused).toMatchObject({ ok: false, why: expect.stringMatching(/^a1 is held before the daemon's call .* \(before it\), which is not the first call of its model step \(.* comes first\): the model cannot stop there$/) as unknown });
  });

  it("counts only the daemon's calls: a builder's mkdir of $out (the builder runs without the injector) does not meet a rule", () => {
    const plain = predicted([{ kind: 'build', attempt: 'a1', drv: 'godyn' }], []);
    const key = (st: TraceStep): string[] => daemonCalls(st.syscalls, names).flatMap((c) => (c.kind === 'hooked' && c.op === 'mkdir' ? [c.key] : []));
    const byBuilder = plain.steps.filter((st) => st.event.actor === 'a1' && st.event.type === 'builderAction').flatMap(key);
    const byDaemon = new Set(plain.steps.filter((st) => st.event.actor === 'a1' && st.event.type !== 'builderAction').flatMap(key));
    const only = byBuilder.find((k) => !byDaemon.has(k));
    if (only === undefined) throw new Error("the builder makes no mkdir the daemon does not make too");
    const [op, glob] = only.split(' ') as [DaemonOp, string];
    const p = predicted([{ kind: 'build', attempt: 'a1', drv: 'godyn', daemonAt: { op, when: 'after', nth: 1, glob, action: 'crash' } }], []);
    // the rule never fires: the attempt runs as it does without one
    expect(p.observation).toEqual(plain.observation);
    expect(p.steps.some((st) => st.event.type === 'crash')).toBe(false);
  });

  it('refuses a plan the model cannot run as the harness would, with the reason', () => {
    const unheld: PlanStep[] = [{ kind: 'resume', attempt: 'a1' }];
    expect(notTheCounterexample(spec, { steps: unheld, gates: [] }, upstream, undefined, [], [], names)).toBe('the plan, run on the model as the harness runs it, cannot be predicted: the plan resumes a1 before it starts');
  });
});
