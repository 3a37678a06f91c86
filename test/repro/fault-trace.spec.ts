import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { cellsOf, registrationSweep } from '../../scripts/lib/fault-plans.js';
import { globOf, hookable, planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { parsePlan, type PlanStep, type ReproPlan } from '../../sim/repro/plan.js';
import { builderScript, renderScript } from '../../sim/repro/render.js';
import type { Trace } from '../../sim/trace.js';
import { builtin, faultPlanOf, scriptedTrace as scriptedTraceOf } from './traces.js';

/** The scripted run of a built-in scenario, perhaps edited, as a trace (what `outpath run NAME --json` prints). */
function scriptedTrace(name: string, edit: (s: Scenario) => Scenario = (s) => s): Trace {
  return scriptedTraceOf(edit(builtin(name)));
}

const planOf = faultPlanOf;

type Build = Extract<PlanStep, { kind: 'build' }>;
const builds = (p: ReproPlan): Build[] => p.steps.filter((s): s is Build => s.kind === 'build');

/** The glob as a regex over model paths (`@N@` is the harness's nonce; the model's names have none). */
function globRegex(glob: string): RegExp {
  const body = glob
    .split('@N@')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*'))
    .join('');
  return new RegExp(`^${body}$`);
}

/** The last `as root  op("path"...` line of the trace's states before the first state of `actor`, among hookable ops. */
function lastDaemonCallBefore(t: Trace, actor: string): { op: string; path: string } {
  const i = t.states.findIndex((s) => s.actor === actor);
  for (let k = i - 1; k >= 0; k--) {
    const st = t.states[k];
    if (!st || st.action === 'builderAction') continue;
    for (const line of [...st.syscalls].reverse()) {
      const m = /^as root {2}(\w+)\("([^"]+)"(?:, "([^"]+)")?/.exec(line);
      if (!m?.[1] || !m[2]) continue;
      const h = hookable(m[1], m[3] !== undefined ? [m[2], m[3]] : [m[2]]);
      if (h) return h;
    }
  }
  throw new Error(`no daemon call before ${actor}`);
}

describe('globOf: a model path as the real daemon names it', () => {
  const h = '0123456789abcdfghijklmnpqrsvwxyz';
  it('turns the store hash into *, appends the nonce to the derivation name, keeps suffixes, stars entries below', () => {
    expect(globOf(`/nix/store/${h}-godyn`, ['godyn'])).toBe('/nix/store/*-godyn@N@');
    expect(globOf(`/nix/store/${h}-godyn.tmp`, ['godyn'])).toBe('/nix/store/*-godyn@N@.tmp');
    expect(globOf(`/nix/store/${h}-godyn.drv.out.lock`, ['godyn'])).toBe('/nix/store/*-godyn@N@.drv.out.lock');
    expect(globOf(`/nix/store/${h}-godyn/pkg.a`, ['godyn'])).toBe('/nix/store/*-godyn@N@/*');
    expect(globOf('/nix/var/nix/builds/nix-3/x', ['godyn'])).toBe('/nix/var/nix/builds/nix-*/*');
  });
  it('picks the longest derivation name, and refuses a store path of no derivation of the plan', () => {
    expect(globOf(`/nix/store/${h}-godyn-ia`, ['godyn', 'godyn-ia'])).toBe('/nix/store/*-godyn-ia@N@');
    expect(globOf(`/nix/store/${h}-other`, ['godyn'])).toBeUndefined();
  });
});

describe('hookable: what the injector can see of a model syscall', () => {
  it('maps the model names to the libc operations it hooks', () => {
    expect(hookable('mkdirP', ['/a', 493])).toEqual({ op: 'mkdir', path: '/a' });
    expect(hookable('writeFile', ['/a/f', 'x', 438])).toEqual({ op: 'open', path: '/a/f' });
    expect(hookable('rename', ['/a', '/b'])).toEqual({ op: 'rename', path: '/a' });
    expect(hookable('symlink', ['/target', '/link'])).toEqual({ op: 'symlink', path: '/link' });
  });
  it('sees only creating opens, and no reads or utimes', () => {
    expect(hookable('open', ['/l', 'O_RDWR|O_CREAT', 384])).toEqual({ op: 'open', path: '/l' });
    expect(hookable('open', ['/l', 'O_RDONLY'])).toBeUndefined();
    expect(hookable('lstat', ['/l'])).toBeUndefined();
    expect(hookable('utimes', ['/l'])).toBeUndefined();
  });
});

describe('planFromFaultTrace: the daemon settings of the scenario', () => {
  it('a world-writable build-dir reaches the plan, as it does in a validation plan', () => {
    const t = scriptedTrace('build-dir-world-writable');
    const r = planFromFaultTrace(t, 'x');
    if (!r.realisable) throw new Error(r.why);
    expect(r.plan.settings.buildDirMode).toBe(t.scenario.spec.settings.buildDirMode);
    expect(r.plan.settings.buildDirMode).toBeDefined();
  });

  it("the daemon's own auto-GC reaches the plan (min-free and the free-space file), as it does in a validation plan", () => {
    for (const name of ['auto-gc-during-ca-build', 'auto-gc-during-ca-build-darwin']) {
      const r = planFromFaultTrace(scriptedTrace(name), 'x');
      if (!r.realisable) throw new Error(r.why);
      expect(r.plan.settings.autoGc, name).toBe(true);
      expect(r.plan.steps.some((st) => st.kind === 'delete' && st.command === 'nol_auto_gc'), name).toBe(true);
    }
  });

  it('a multi-output derivation reaches the plan with its outputs', () => {
    // the CA scenario's own schedule interrupts between dev's registration and out's (check-multi-fault-plan.spec.ts)
    const ca = planFromFaultTrace(scriptedTrace('multi-output-ca-interrupted'), 'x');
    expect(ca.realisable ? ca.plan.derivations[0]?.outputs : ca.why).toEqual(['out', 'dev']);
    // on Linux, with no fault, the input-addressed one builds both outputs, as the model says
    const ia = planOf(scriptedTrace('multi-output-ia-partial', (s) => ({ ...s, settings: { ...s.settings, platform: 'linux' } })));
    expect(ia.derivations[0]?.outputs).toEqual(['out', 'dev']);
    expect(ia.expect['upstream']?.attempts['a1']?.otherOutputFiles?.['dev']).toEqual({ 'include/': '', 'include/lib.h': 'header' });
  });

  it('a scenario without ca-derivations runs on a daemon without it', () => {
    const t = scriptedTrace('repair-concurrent-gc');
    expect(t.scenario.spec.settings.caDerivations).toBe(false);
    expect(planOf(t).settings.caDerivations).toBe(false);
  });

  it('a scenario without mount and PID namespaces runs on a daemon kept from them, with sandbox-fallback as it sets it', () => {
    const fb = planOf(scriptedTrace('sandbox-fallback'));
    expect(fb.settings).toMatchObject({ sandbox: true, mountAndPidNamespaces: false, sandboxFallback: true });
    // unsandboxed, the retry as another build user fails on the stranded scratch dir, as the model says
    expect(fb.expect['upstream']?.attempts['a2']?.outcome).toBe('failed');
    const refused = planOf(scriptedTrace('sandbox-unavailable'));
    expect(refused.settings.mountAndPidNamespaces).toBe(false);
    expect(refused.settings.sandboxFallback).toBeUndefined();
    const relaxed = planFromFaultTrace(scriptedTrace('sandbox-fallback', (s) => ({ ...s, settings: { ...s.settings, sandbox: 'relaxed' }, derivations: s.derivations.map((d) => ({ ...d, noChroot: true })) })), 'x');
    expect(relaxed.realisable ? '' : relaxed.why).toMatch(/relaxed without mount and PID namespaces/);
  });
});

describe("planFromFaultTrace: a GC's 'removed' names the path the harness checks", () => {
  // the harness checks the $out the builder reported: under --repair, the hash-rewrite fallback
  // path, not the valid output path (plan.ts PathRef 'scratch')
  it('repair-concurrent-gc: the GC removes the fallback path the repair builds at, and leaves the valid output registered', () => {
    const t = scriptedTrace('repair-concurrent-gc');
    const p = planOf(t);
    const up = p.expect['upstream'];
    expect(up?.commands['gc']?.removed).toBe(true);
    expect(up?.attempts['r1']?.outcome).toBe('failed');
    expect(up?.paths['final-ia']).toEqual({ exists: false, valid: true });
    // what the GC deleted in the model is the repair's scratch path, which is not the output path
    const r1 = t.states.find((st) => st.actor === 'r1' && st.action === 'prepareScratch');
    const out = /\$out = ([^\s;]+)/.exec(r1?.note ?? '')?.[1];
    const final = /removing invalid path '([^']+)'/.exec(t.states.find((st) => st.actor === 'r1' && st.action === 'lockOutputs')?.note ?? '')?.[1];
    expect(out).toBeDefined();
    expect(final).toBeDefined();
    expect(out).not.toBe(final);
    expect(t.states.some((st) => st.actor === 'gc' && st.note.includes(`deleting '${out ?? ''}'`))).toBe(true);
  });

  it('recommended keeps the fallback path (a temp root) and the repair builds', () => {
    const r = planFromFaultTrace(scriptedTrace('repair-concurrent-gc'), 'x', ['recommended']);
    if (!r.realisable) throw new Error(r.why);
    expect(r.plan.expect['recommended']?.commands['gc']?.removed).toBe(false);
    expect(r.plan.expect['recommended']?.attempts['r1']?.outcome).toBe('success');
  });
});

describe('planFromFaultTrace: injection points come from the trace', () => {
  it('gc-during-registration: the build is held at the daemon call the trace made last before the GC, the GC runs, the build resumes', () => {
    const t = scriptedTrace('gc-during-registration');
    const p = planOf(t);
    const [a1] = builds(p);
    const point = a1?.daemonAt;
    expect(point?.action).toBe('hold');
    const last = lastDaemonCallBefore(t, 'gc');
    expect(point?.op).toBe(last.op);
    expect(last.path).toMatch(globRegex(point?.glob ?? '-'));
    expect(p.steps.map((s) => s.kind)).toEqual(['build', 'delete', 'resume', 'pathInfo']);
    expect(p.steps[1]).toMatchObject({ kind: 'delete', command: 'nix store gc' });
  });

  it('interrupt-during-registration: the interrupt lands at the daemon call the trace made last before it', () => {
    const t = scriptedTrace('interrupt-during-registration');
    const p = planOf(t);
    const point = builds(p)[0]?.daemonAt;
    expect(point?.action).toBe('interrupt');
    const i = t.states.findIndex((s) => s.action === 'interrupt');
    const before = { ...t, states: t.states.slice(0, i + 1).map((s, k) => (k === i ? { ...s, actor: 'mark' } : s)) };
    const last = lastDaemonCallBefore(before, 'mark');
    expect(point?.op).toBe(last.op);
    expect(last.path).toMatch(globRegex(point?.glob ?? '-'));
    // the model's own run of the same events says what the retry meets
    expect(p.expect['upstream']?.attempts['a1']?.outcome).toBe('interrupted');
  });

  it('concurrent-gc: a point between builder commands is a gate, not a daemon call', () => {
    const p = planOf(scriptedTrace('concurrent-gc'));
    const [a1] = builds(p);
    expect(a1?.holdAt).toMatch(/^before\d+$/);
    expect(a1?.daemonAt).toBeUndefined();
    const gate = a1?.holdAt;
    expect(p.derivations[0]?.program.some((a) => a.op === 'gate' && a.name === gate)).toBe(true);
  });

  it('a crash between builder commands kills the worker at a gate; a builder failure makes the builder exit there', () => {
    const crash = planOf(scriptedTrace('darwin-daemon-crash', (s) => ({ ...s, settings: { ...s.settings, platform: 'linux' } })));
    expect(builds(crash)[0]?.crashAt).toMatch(/^before\d+$/);
    const fail = planOf(
      scriptedTrace('same-user-retry', (s) => ({ ...s, actors: s.actors.map((a) => (a.id === 'a1' && a.kind === 'build' ? { ...a, fault: { kind: 'builderFailure', before: 'builderAction', nth: 2 } } : a)) })),
    );
    expect(builds(fail)[0]?.failAt).toBe('before2');
  });

  it('a co-tenant plants at the victim scratch path through the harness, which knows it before any build', () => {
    const p = planOf(scriptedTrace('hostile-plant-single-user'));
    const evil = p.derivations.find((d) => d.id === 'evil');
    expect(evil?.program[0]).toMatchObject({ op: 'plant', drv: 'godyn', path: 'backdoor', content: 'planted' });
    if (!evil) throw new Error('no evil derivation in the plan');
    expect(builderScript(evil, 'linux')).toContain('"$nolCtl/scratch/"');
  });

  it('says why a schedule cannot run here instead of skipping it', () => {
    const spawnTrace = planFromFaultTrace(scriptedTrace('linux-orphan-subprocess'), 'x');
    expect(spawnTrace.realisable).toBe(false);
    if (!spawnTrace.realisable) expect(spawnTrace.why).toMatch(/spawn/);
  });

  it('a darwin trace whose events still violate the same invariant on Linux runs there; the plan says Linux-only things', () => {
    const r = planFromFaultTrace(scriptedTrace('seed-487'), 'x');
    expect(r.realisable).toBe(true);
    if (r.realisable) {
      expect(r.foundOn).toBe('darwin');
      expect(r.violatedOnLinux).toContain('NoWedge');
    }
  });
});

describe('the registration sweep', () => {
  const cells = cellsOf(registrationSweep());
  it('interrupts and crashes registration at many points, each realisable one a valid plan, each other one with a reason', () => {
    expect(cells.filter((c) => c.name.includes('.interrupt.')).length).toBeGreaterThan(3);
    expect(cells.filter((c) => c.name.includes('.crash.')).length).toBeGreaterThan(5);
    for (const c of cells) {
      if (c.plan) expect(parsePlan(JSON.parse(JSON.stringify(c.plan))).ok).toBe(true);
      else expect(c.notRealisable ?? c.sameAs).toBeTruthy();
    }
    expect(new Set(cells.map((c) => c.name)).size).toBe(cells.length);
  });
  it("walks a two-output build too, with a plan for each fault between dev's registration and out's", () => {
    const sweep = registrationSweep().filter((t) => t.name.startsWith('sweep.multi-output-registration.'));
    // the fault's point in each trace: after dev was registered valid on its own, before the registration of all
    const between = sweep.filter(({ trace }) => {
      const at = trace.events.findIndex((e) => e.type === 'interrupt' || e.type === 'crash');
      const notes = trace.states.slice(0, at).map((st) => st.note);
      return notes.some((n) => n.includes("(output 'dev', content-addressed: right away)")) && !notes.some((n) => /registered \S+ valid$/.test(n));
    });
    expect(between.map((t) => t.name.split('.')[2]).sort()).toEqual(expect.arrayContaining(['crash', 'interrupt']));
    const made = cellsOf(between);
    expect(made.filter((c) => c.notRealisable !== undefined)).toEqual([]);
  });
});

describe('rendering daemon points', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nol-fault-render-'));
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });
  it('a held daemon point becomes a rule for the injector, and the script checks the injector is loaded', () => {
    const p = planOf(scriptedTrace('gc-during-registration'));
    const s = renderScript(p, { variant: 'upstream', platform: 'linux' });
    const point = builds(p)[0]?.daemonAt;
    expect(s).toContain(`dhold '${point?.op ?? ''} after ${String(point?.nth)} ${point?.glob ?? ''}'`);
    expect(s).toContain('NEEDS_INJECTOR=1');
    const f = join(tmp, 'x.sh');
    writeFileSync(f, s);
    expect(spawnSync('bash', ['-n', f], { encoding: 'utf8' }).status).toBe(0);
  });
  it('the plan schema refuses two stopping points in one build and a fault at a resume of a build that is not held', () => {
    const p = planOf(scriptedTrace('gc-during-registration'));
    const both = { ...p, steps: p.steps.map((s) => (s.kind === 'build' ? { ...s, holdAt: 'before1' } : s)) };
    expect(parsePlan(both)).toMatchObject({ ok: false });
    const unheld = { ...p, steps: [{ kind: 'build', attempt: 'a1', drv: 'godyn', waitsForLock: true }, { kind: 'resume', attempt: 'a1', fault: 'crash' }] };
    const r = parsePlan({ ...unheld, expect: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/not held at a point a fault can land on/);
  });
});

describe('oracle.py fallback: the scratch path of a floating CA output, before it builds', () => {
  it('is the path sid nix-daemon 2.34.8 gave (measured)', () => {
    const oracle = join(import.meta.dirname, '..', '..', 'sim', 'repro', 'oracle.py');
    const r = spawnSync('python3', [oracle, 'fallback', '/nix/store/ayqrydhsh8wvyxqfgn4d2l9k535qpn39-idr-1796282305-21.drv', 'idr-1796282305-21'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('/nix/store/mbhiwi2y41ql70k08xknc5rvd0nl4clm-idr-1796282305-21');
  });
});
