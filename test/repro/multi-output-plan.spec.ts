import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelEvent, Scenario } from '../../model/nix/index.js';
import { runScripted, UPSTREAM } from '../../model/nix/index.js';
import { multiOutputIaPartial, multiOutputCaInterrupted } from '../../sim/scenarios/builtin.js';
import { planFromEvents, scriptedEvents } from '../../sim/repro/from-trace.js';
import { compareObservation, summarize } from '../../sim/repro/observe.js';
import { parsePlan, type PlanStep, type ReproPlan } from '../../sim/repro/plan.js';
import { derivationSpec, renderScript } from '../../sim/repro/render.js';
import { NOT_ON_A_REAL_DAEMON, validationPlans } from '../../sim/repro/validation-plans.js';

const linux = (s: Scenario): Scenario => ({ ...s, settings: { ...s.settings, platform: 'linux' } });

function planOf(s: Scenario, events: readonly ModelEvent[] = scriptedEvents(s)): ReproPlan {
  const r = planFromEvents(s, events, ['upstream']);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function multiPlan(): ReproPlan {
  const p = validationPlans('2.34.8').find((x) => x.ok && x.value.scenario === 'multi-output-ia-partial');
  if (!p?.ok) throw new Error('no validation plan multi-output-ia-partial');
  return p.value;
}

const tmp = mkdtempSync(join(tmpdir(), 'nol-multi-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('multi-output validation plans', () => {
  it('multi-output-ia-partial is a 2.34.8 validation plan now, not a refused one', () => {
    expect(NOT_ON_A_REAL_DAEMON['multi-output-ia-partial']).toBeUndefined();
    expect(parsePlan(JSON.parse(JSON.stringify(multiPlan()))).ok).toBe(true);
    // the nix-2.8 personality has no multi-output builds: no plan for that oracle
    expect(validationPlans('2.8').some((p) => p.ok && p.value.scenario === 'multi-output-ia-partial')).toBe(false);
  });

  it('the plan derivation carries the outputs, and each action the output it writes', () => {
    const plan = planOf(linux(multiOutputIaPartial));
    const [d] = plan.derivations;
    const [spec] = multiOutputIaPartial.derivations;
    expect(d?.outputs).toEqual(spec?.outputs);
    // every action of the model's program keeps its output (absent: out) at the same index
    expect(d?.program.map((a) => ('output' in a ? a.output : undefined))).toEqual(spec?.program.map((a) => ('output' in a ? a.output : undefined)));
    const del = plan.steps.find((s): s is Extract<PlanStep, { kind: 'delete' }> => s.kind === 'delete');
    expect(del?.target).toEqual({ drv: 'lib', which: 'final', output: 'dev' });
  });

  it('a single-output plan has no outputs and names no output', () => {
    const one: Scenario = {
      ...linux(multiOutputIaPartial),
      derivations: multiOutputIaPartial.derivations.map((d) => ({ ...d, outputs: ['out'], program: d.program.filter((a) => !('output' in a)) })),
      actors: multiOutputIaPartial.actors.filter((a) => a.kind !== 'storeDelete' && a.id !== 'other' && a.id !== 'a2'),
    };
    const plan = planOf(one);
    expect(plan.derivations[0]?.outputs).toBeUndefined();
    expect(plan.expect['upstream']?.attempts['a1']?.otherOutputFiles).toBeUndefined();
  });

  it("predicts each other output's files from the model's store, and path-info of each output", () => {
    const s = linux(multiOutputIaPartial);
    const plan = planOf({ ...s, actors: [...s.actors, { id: 'infoDev', kind: 'pathInfo', target: { drv: 'lib', which: 'final', output: 'dev' }, after: ['a2'] }] });
    const run = runScripted(s, UPSTREAM);
    const devPath = Object.entries(run.world.state.valid).find(([, v]) => v.output === 'dev')?.[0];
    expect(devPath).toBeDefined();
    // what the model's store holds below dev's path at the end, as the observation lists it
    const want: Record<string, string> = {};
    for (const e of run.world.ctx.fs.tree(devPath ?? '')) {
      if (e.path === devPath) continue;
      const rel = e.path.slice((devPath ?? '').length + 1);
      want[e.kind === 'dir' ? `${rel}/` : rel] = e.kind === 'dir' ? '' : (e.content ?? '');
    }
    const a2 = plan.expect['upstream']?.attempts['a2'];
    expect(a2?.otherOutputFiles).toEqual({ dev: want });
    expect(plan.expect['upstream']?.paths['infoDev']).toEqual({ exists: true, valid: true });
  });

  it('removedInvalid names the out output alone, as the harness matches it', () => {
    const plan = planOf(linux(multiOutputIaPartial));
    const run = runScripted(linux(multiOutputIaPartial), UPSTREAM);
    // a2 finds out valid: only dev is removed as invalid, which the harness does not look for
    const notes = run.steps.filter((x) => x.event.actor === 'a2').map((x) => x.note).join('\n');
    expect(notes).toMatch(/dev: removing invalid path/);
    expect(notes).not.toMatch(/out: removing invalid path/);
    expect(plan.expect['upstream']?.attempts['a2']?.removedInvalid).toBe(false);
    expect(plan.expect['upstream']?.attempts['a1']?.removedInvalid).toBe(true);
  });

  it('still refuses a floating CA derivation with several outputs', () => {
    const r = planFromEvents(linux(multiOutputCaInterrupted), scriptedEvents(linux(multiOutputCaInterrupted)), ['upstream']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/floating CA derivation with several outputs/);
  });

  it('refuses an interrupt inside registerOutputs, accepts one between builder commands', () => {
    const s = linux(multiOutputIaPartial);
    const inReg: Scenario = { ...s, actors: s.actors.map((a) => (a.id === 'a2' && a.kind === 'build' ? { ...a, fault: { kind: 'interrupt', before: 'registerOutputs', nth: 1 } } : a)) };
    const r = planFromEvents(inReg, scriptedEvents(inReg), ['upstream']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/after its builder exited \(in registerOutputs/);
    const atGate: Scenario = { ...s, actors: s.actors.map((a) => (a.id === 'a2' && a.kind === 'build' ? { ...a, fault: { kind: 'interrupt', before: 'builderAction', nth: 3 } } : a)) };
    const plan = planOf(atGate);
    expect(plan.steps.find((x) => x.kind === 'build' && x.attempt === 'a2')).toMatchObject({ interruptAt: 'before3' });
    // the gate sits before the program's fourth command, which writes dev
    const prog = plan.derivations[0]?.program ?? [];
    expect(prog[3]).toEqual({ op: 'gate', name: 'before3' });
    expect(prog[4]).toMatchObject({ output: 'dev' });
  });
});

describe('multi-output plan schema', () => {
  const base = (): ReproPlan => multiPlan();
  const withDrv = (f: (d: ReproPlan['derivations'][number]) => ReproPlan['derivations'][number]): unknown => ({ ...base(), derivations: base().derivations.map(f) });
  it('refuses an action writing an output the derivation does not have', () => {
    const r = parsePlan(withDrv((d) => ({ ...d, program: [...d.program, { op: 'mkdirP', path: 'x', output: 'doc' }] })));
    expect(r.ok ? '' : r.error).toMatch(/"doc" is not an output of derivation "lib"/);
  });
  it('refuses outputs without out', () => {
    const r = parsePlan(withDrv((d) => ({ ...d, outputs: ['dev', 'doc'], program: [] })));
    expect(r.ok ? '' : r.error).toMatch(/outputs must include "out"/);
  });
  it('refuses the scratch path of another output', () => {
    const p = base();
    const r = parsePlan({ ...p, steps: p.steps.map((s) => (s.kind === 'delete' ? { ...s, target: { drv: 'lib', which: 'scratch', output: 'dev' } } : s)) });
    expect(r.ok ? '' : r.error).toMatch(/only as the final path of an input-addressed derivation/);
  });
});

describe('multi-output rendering', () => {
  it('gives the derivation its outputs and each action its output variable', () => {
    const d = multiPlan().derivations[0];
    if (!d) throw new Error('no derivation');
    const spec = derivationSpec(d, 'linux');
    expect(spec['outputs']).toEqual(['out', 'dev']);
    const script = (spec['args'] as string[])[1] ?? '';
    expect(script).toContain(`mkdir -p "$dev"/'include'`);
    expect(script).toContain(`> "$dev"/'include/lib.h'`);
    expect(script).toContain(`> "$out"/'lib.a'`);
  });

  it('names the output to the harness (final:dev) and asks nix-build for every output', () => {
    const s = renderScript(multiPlan(), { variant: 'upstream', platform: 'linux' });
    expect(s).toMatch(/h_delete \d+ delete 0 final:dev nix store delete/);
    expect(s).toContain('if a ? outputs then map (o: d.${o})');
  });

  it('the builder, run locally, writes each output below its own variable', () => {
    const d = multiPlan().derivations[0];
    if (!d) throw new Error('no derivation');
    const root = mkdtempSync(join(tmp, 'b-'));
    const ctl = join(root, 'ctl');
    for (const x of ['log', 'gate', 'arm', 'flags', 'attempt']) mkdirSync(join(ctl, x), { recursive: true });
    writeFileSync(join(ctl, 'attempt', d.id), 'x1');
    const out = join(root, 'out');
    const dev = join(root, 'dev');
    const args = derivationSpec(d, 'linux')['args'] as string[];
    const r = spawnSync('/bin/sh', args, { env: { PATH: '/usr/bin:/bin', out, dev, nolCtl: ctl, nolDrv: d.id, TMPDIR: root }, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(readFileSync(join(out, 'lib.a'), 'utf8')).toBe('archive');
    expect(readFileSync(join(dev, 'include', 'lib.h'), 'utf8')).toBe('header');
  });

  it('compares other outputs by their files', () => {
    const e = multiPlan().expect['upstream'];
    if (!e) throw new Error('no expectation');
    expect(compareObservation(e, e)).toEqual([]);
    const a2 = e.attempts['a2'];
    if (!a2) throw new Error('no a2');
    const lost = { ...e, attempts: { ...e.attempts, a2: { ...a2, otherOutputFiles: { dev: {} } } } };
    expect(compareObservation(e, lost).map((m) => m.field)).toEqual(['attempts.a2.otherOutputFiles["dev"]']);
  });
});

describe('multi-output summary', () => {
  it('names each other output with its files', () => {
    const e = multiPlan().expect['upstream'];
    if (!e) throw new Error('no expectation');
    const want = Object.keys(e.attempts['a2']?.otherOutputFiles?.['dev'] ?? {}).sort().join(',');
    expect(summarize(e)).toContain(`a2 success@nixbld2 {lib.a} dev{${want}}`);
  });
});
