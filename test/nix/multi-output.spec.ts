/**
 * Derivations with several outputs (derivation-building-goal.cc acquireResources,
 * derivation-builder.cc startBuild's scratch-path loop, registerOutputs' two loops, cleanupBuild):
 * every output locked before the build, a valid output built again elsewhere and not registered,
 * a content-addressed output registered before the next one, the realisations only at the end,
 * and the other outputs' hashes rewritten.
 */
import { describe, expect, it } from 'vitest';
import type { BuilderAction, ModelState, Scenario } from '../../model/nix/index.js';
import { apply, drvOf, enabledEvents, initialWorld, outputOf, outputViews, UPSTREAM } from '../../model/nix/index.js';
import { multiOutputCaInterrupted, multiOutputIaPartial } from '../../sim/scenarios/builtin.js';
import { DARWIN } from '../../sim/scenarios/common.js';
import { referenceProblems } from '../../sim/scenario-check.js';
import { build, outcome, run, traceOf } from './helpers.js';

const TWO: readonly BuilderAction[] = [
  { op: 'mkdirP', path: '' },
  { op: 'writeFile', path: 'lib.a', content: 'archive' },
  { op: 'mkdirP', path: 'include', output: 'dev' },
  { op: 'writeFile', path: 'include/lib.h', content: 'header', output: 'dev' },
];

function twoOutputs(kind: 'input-addressed' | 'ca-floating', actors: Scenario['actors'], program: readonly BuilderAction[] = TWO): Scenario {
  return { name: 'two-outputs', doc: '', settings: DARWIN, derivations: [{ id: 'lib', name: 'lib', kind, outputs: ['out', 'dev'], program }], actors };
}

/** One uninterrupted build of the two-output floating CA derivation running `program`. */
function caBuild(program?: readonly BuilderAction[]): ReturnType<typeof run> {
  return run(twoOutputs('ca-floating', [{ id: 'a1', kind: 'build', drv: 'lib' }], program));
}

/** Where the link `name` in output `output`'s registered path points (false when it cannot be read). */
function linkIn(r: ReturnType<typeof run>, valid: Record<string, string>, output: string, name: string): string | false {
  const link = r.world.ctx.fs.readlink(r.world.ctx.daemon, `${valid[output] ?? ''}/${name}`);
  return link.ok && link.value;
}

/** The valid paths of `drv`'s outputs, by output name. */
function validByOutput(s: ModelState, drvPath: string): Record<string, string> {
  return Object.fromEntries(Object.entries(s.valid).flatMap(([p, info]) => (info.deriver === drvPath ? [[info.output ?? 'out', p]] : [])));
}

describe('acquireResources locks every output before the build', () => {
  it('should hold both lock files after lockOutputs, and keep a second build of the same derivation waiting on them', () => {
    const s = twoOutputs('input-addressed', [
      { id: 'a1', kind: 'build', drv: 'lib' },
      { id: 'b', kind: 'build', drv: 'lib' },
    ]);
    const w = initialWorld(s, UPSTREAM);
    for (const e of [{ type: 'start', actor: 'a1' }, { type: 'lockOutputs', actor: 'a1' }, { type: 'start', actor: 'b' }] as const) {
      const r = apply(w, e);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    const locks = outputViews(drvOf(w.ctx, 'lib')).map((o) => o.lockPath);
    expect(locks).toHaveLength(2);
    expect(Object.fromEntries(locks.map((l) => [l, w.state.locks[l]]))).toEqual(Object.fromEntries(locks.map((l) => [l, 'a1'])));
    const next = enabledEvents(w.ctx, w.state).filter((e) => e.actor === 'b');
    expect(next.map((e) => e.type)).not.toContain('lockOutputs');
  });

  it('should leave no lock file after a successful build, and skip a build whose outputs are all valid', () => {
    const r = run(twoOutputs('input-addressed', [
      { id: 'a1', kind: 'build', drv: 'lib' },
      { id: 'a2', kind: 'build', drv: 'lib', after: ['a1'] },
    ]));
    const d = drvOf(r.world.ctx, 'lib');
    for (const o of outputViews(d)) expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, o.lockPath).ok, o.lockPath).toBe(false);
    expect(Object.keys(validByOutput(r.world.state, d.drvPath)).sort()).toEqual(['dev', 'out']);
    const a2 = build(r, 'a2');
    expect(a2.phase.kind === 'done' && a2.phase.outcome.kind === 'success' && a2.phase.outcome.skipped, traceOf(r)).toBe(true);
    expect(a2.calls).toEqual([]);
  });

  it("should name out's path as a skipped build's outcome, as a built one's, whatever the order the outputs are locked in", () => {
    for (const kind of ['input-addressed', 'ca-floating'] as const) {
      const r = run(twoOutputs(kind, [
        { id: 'a1', kind: 'build', drv: 'lib' },
        { id: 'a2', kind: 'build', drv: 'lib', after: ['a1'] },
      ]));
      const outPath = (id: string): string | undefined => {
        const a = build(r, id);
        return a.phase.kind === 'done' && a.phase.outcome.kind === 'success' ? a.phase.outcome.path : undefined;
      };
      const out = Object.entries(r.world.state.valid).find(([, info]) => info.output === 'out')?.[0];
      expect(out, kind).toBeDefined();
      expect(outPath('a1'), kind).toBe(out);
      expect(outPath('a2'), `${kind}: ${traceOf(r)}`).toBe(out);
    }
  });
});

describe('a retry with one output valid and the other not (input-addressed)', () => {
  const r = run(multiOutputIaPartial);
  const d = drvOf(r.world.ctx, 'lib');
  const out = outputOf(d, 'out').knownPath ?? '';
  const dev = outputOf(d, 'dev').knownPath ?? '';
  const a2 = r.steps.filter((st) => st.event.actor === 'a2');

  it('should build again, both valid at the end', () => {
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    expect(validByOutput(r.world.state, d.drvPath)).toEqual({ dev, out });
    expect(r.world.state.realisations[`${d.drvPath}!dev`]).toBe(dev);
  });

  it('should build the valid output at a fallback path, delete that path after the build, and not register it again', () => {
    const scratch = a2.find((st) => st.event.type === 'prepareScratch')?.note ?? '';
    const fallback = /\$out = (\S+?);/.exec(scratch)?.[1] ?? '';
    expect(fallback).not.toBe('');
    expect(fallback).not.toBe(out);
    expect(scratch).toContain(`$dev = ${dev}`);
    // the builder wrote out's files there, and cleanupBuild(true) removed them
    expect(a2.some((st) => st.syscalls.some((c) => c.syscall === 'writeFile' && c.args[0] === `${fallback}/lib.a`)), traceOf(r)).toBe(true);
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, fallback).ok).toBe(false);
    // registerOutputs: dev checked, canonicalised and registered; out never looked at
    const registering = a2.filter((st) => st.event.type === 'registerOutputs').map((st) => st.note);
    expect(registering.join('\n')).not.toContain(out);
    expect(registering.at(-1)).toBe(`output 'dev' at ${dev}; registered ${dev} valid`);
  });

  it('should leave the fallback path behind when the rebuild is interrupted after the builder wrote it', () => {
    const interrupted: Scenario = {
      ...multiOutputIaPartial,
      actors: multiOutputIaPartial.actors.map((x) => (x.id === 'a2' ? { ...x, fault: { kind: 'interrupt', before: 'builderExit', nth: 0 } } : x)),
    };
    const ri = run(interrupted);
    expect(outcome(ri, 'a2'), traceOf(ri)).toBe('interrupted');
    const scratch = ri.steps.find((st) => st.event.actor === 'a2' && st.event.type === 'prepareScratch')?.note ?? '';
    const fallback = /\$out = (\S+?);/.exec(scratch)?.[1] ?? '';
    // cleanupBuild(false) deletes no redirected output (derivation-builder.cc l.2004-2008)
    expect(ri.world.ctx.fs.lstat(ri.world.ctx.daemon, `${fallback}/lib.a`).ok, traceOf(ri)).toBe(true);
    expect(validByOutput(ri.world.state, d.drvPath)).toEqual({ out });
  });
});

describe('a floating CA derivation interrupted between its outputs', () => {
  const r = run(multiOutputCaInterrupted);
  const d = drvOf(r.world.ctx, 'lib');
  const a1End = r.steps.findIndex((st) => st.event.actor === 'a1' && st.event.type === 'interrupt');

  it('should have registered dev valid (with no realisation) and out not at all when the interrupt lands', () => {
    expect(a1End, traceOf(r)).toBeGreaterThan(0);
    const before = r.steps.slice(0, a1End).filter((st) => st.event.actor === 'a1' && st.event.type === 'registerOutputs').map((st) => st.note);
    expect(before.at(-1)).toMatch(/^registered \S+-lib-dev valid \(output 'dev', content-addressed: right away\); output 'out': rewriting the other outputs' hashes$/);
    expect(before.join('\n')).not.toMatch(/registered \S+-lib valid/);
  });

  it('should rebuild both outputs on the retry, since neither has a realisation, and register both with the recommended series', () => {
    const rr = run(multiOutputCaInterrupted, 'recommended');
    expect(outcome(rr, 'a2'), traceOf(rr)).toBe('success');
    const valid = validByOutput(rr.world.state, d.drvPath);
    expect(Object.keys(valid).sort()).toEqual(['dev', 'out']);
    expect(rr.world.state.realisations[`${d.drvPath}!dev`]).toBe(valid.dev);
    expect(rr.world.state.realisations[`${d.drvPath}!out`]).toBe(valid.out);
    const a2Scratch = rr.steps.find((st) => st.event.actor === 'a2' && st.event.type === 'prepareScratch')?.note ?? '';
    expect(a2Scratch).toContain(`$dev = ${outputOf(d, 'dev').fallbackPath}`);
    expect(a2Scratch).toContain(`$out = ${outputOf(d, 'out').fallbackPath}`);
  });

  it('should leave the retry as another build user wedged on out\'s root-owned scratch path on upstream', () => {
    const a2 = build(r, 'a2');
    expect(a2.phase.kind === 'done' && a2.phase.outcome.kind === 'failure' ? a2.phase.outcome.failure : a2.phase.kind, traceOf(r)).toBe('outputRejected');
    // dev stays valid from the first attempt, with no realisation (those come after the loop); out never was
    expect(Object.keys(validByOutput(r.world.state, d.drvPath))).toEqual(['dev']);
    expect(Object.keys(r.world.state.realisations).filter((k) => k.startsWith(d.drvPath))).toEqual([]);
  });
});

describe('registerOutputs rewrites the hashes of the outputs finished before', () => {
  it("should point out's link to dev's final path, not to the scratch path the builder saw", () => {
    const program: BuilderAction[] = [
      { op: 'mkdirP', path: 'include', output: 'dev' },
      { op: 'mkdirP', path: '' },
      { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'dev' }, path: 'dev' },
    ];
    const r = caBuild(program);
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
    const d = drvOf(r.world.ctx, 'lib');
    const valid = validByOutput(r.world.state, d.drvPath);
    expect(linkIn(r, valid, 'out', 'dev'), traceOf(r)).toBe(valid.dev);
    expect(valid.dev).not.toBe(outputOf(d, 'dev').fallbackPath);
  });
});

describe('registerOutputs takes the outputs in the topological order of their references', () => {
  /** dev links to out's scratch path: out must be finished first, or dev keeps a dangling scratch path. */
  const devToOut: BuilderAction[] = [
    { op: 'mkdirP', path: '' },
    { op: 'writeFile', path: 'lib.a', content: 'archive' },
    { op: 'mkdirP', path: '', output: 'dev' },
    { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'out' }, path: 'lib', output: 'dev' },
  ];

  /** The output names in the order the second loop registered them (a CA output is registered inside it, with a note). */
  function registrationOrder(r: ReturnType<typeof run>): string[] {
    return r.steps.flatMap((st) => [...st.note.matchAll(/registered \S+ valid \(output '(\w+)'/g)].map((m) => m[1] ?? ''));
  }

  it("should register out before dev when dev references out, and point dev's link at out's final path", () => {
    const r = caBuild(devToOut);
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
    const d = drvOf(r.world.ctx, 'lib');
    const valid = validByOutput(r.world.state, d.drvPath);
    expect(linkIn(r, valid, 'dev', 'lib'), traceOf(r)).toBe(valid.out);
    expect(registrationOrder(r)).toEqual(['out', 'dev']);
  });

  it('should keep name order (dev first) when out references dev, and when nothing references anything', () => {
    const outToDev: BuilderAction[] = [
      { op: 'mkdirP', path: '', output: 'dev' },
      { op: 'mkdirP', path: '' },
      { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'dev' }, path: 'dev' },
    ];
    expect(registrationOrder(caBuild(outToDev))).toEqual(['dev', 'out']);
    expect(registrationOrder(caBuild())).toEqual(['dev', 'out']);
  });

  it('should take a self-reference as no edge: out linking to itself changes neither the order nor the outcome', () => {
    const selfOut: BuilderAction[] = [...TWO, { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'out' }, path: 'self' }];
    const r = caBuild(selfOut);
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
    expect(registrationOrder(r)).toEqual(['dev', 'out']);
    expect(r.steps.map((st) => st.note).join('\n')).not.toMatch(/references between outputs/);
    const both = caBuild([...devToOut, { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'out' }, path: 'self' }]);
    expect(registrationOrder(both)).toEqual(['out', 'dev']);
    expect(both.steps.map((st) => st.note).join('\n')).toMatch(/references between outputs dev -> out: registering out, dev in that order/);
  });

  it('should reject the build as upstream does when the outputs reference each other, registering neither', () => {
    const cycle: BuilderAction[] = [...devToOut, { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'dev' }, path: 'dev' }];
    const r = caBuild(cycle);
    const a1 = build(r, 'a1');
    const d = drvOf(r.world.ctx, 'lib');
    expect(a1.phase.kind === 'done' && a1.phase.outcome, traceOf(r)).toEqual({
      kind: 'failure',
      failure: 'outputRejected',
      // topoSort visits dev first (sorted), reaches out, and meets dev again from out
      message: `cycle detected in build of '${d.drvPath}' in the references of output 'dev' from output 'out'`,
    });
    expect(validByOutput(r.world.state, d.drvPath)).toEqual({});
  });

});

describe('the loops over outputs are left by an exception', () => {
  it('should not run the deletions still queued for later outputs in the cleanup that follows an interrupt', () => {
    const s: Scenario = {
      ...twoOutputs('ca-floating', [{ id: 'a1', kind: 'build', drv: 'lib', fault: { kind: 'interrupt', before: 'deletePathStep', nth: 0 } }]),
      initial: [
        { at: { drv: 'lib', which: 'scratch', output: 'dev' }, owner: 'builder1', mode: '755', files: { stale: 'attempt1' } },
        { at: { drv: 'lib', which: 'scratch', output: 'out' }, owner: 'builder1', mode: '755', files: { stale: 'attempt1' } },
      ],
    };
    // prepare-deletes-stale-scratch deletes each output's leftover in the scratch-path loop, dev's first
    const r = run(s, 'prepare-deletes-stale-scratch');
    expect(outcome(r, 'a1'), traceOf(r)).toBe('interrupted');
    const d = drvOf(r.world.ctx, 'lib');
    const fs = r.world.ctx.fs;
    expect(fs.lstat(r.world.ctx.daemon, `${outputOf(d, 'out').fallbackPath}/stale`).ok, traceOf(r)).toBe(true);
    expect(r.steps.filter((st) => st.event.actor === 'a1' && st.event.type === 'deletePathStep').map((st) => st.note).join('\n')).not.toContain(outputOf(d, 'out').fallbackPath);
  });
});

describe('registration atomicity across outputs, at every registerOutputs step an interrupt can stop', () => {
  /** The outputs valid after one build interrupted before its nth registerOutputs event, for every nth that the build reaches. */
  function validAfterEachInterrupt(kind: 'input-addressed' | 'ca-floating'): string[][] {
    const out: string[][] = [];
    for (let nth = 0; nth < 40; nth++) {
      const r = run(twoOutputs(kind, [{ id: 'a1', kind: 'build', drv: 'lib', fault: { kind: 'interrupt', before: 'registerOutputs', nth } }]));
      if (outcome(r, 'a1') !== 'interrupted') continue;
      out.push(Object.keys(validByOutput(r.world.state, drvOf(r.world.ctx, 'lib').drvPath)).sort());
    }
    return out;
  }

  it('should never leave one input-addressed output valid without the other (one registerValidPaths for both)', () => {
    const seen = validAfterEachInterrupt('input-addressed');
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.filter((v) => v.length !== 0)).toEqual([]);
  });

  it('should leave dev valid without out when a floating CA build is interrupted after dev was registered', () => {
    const seen = validAfterEachInterrupt('ca-floating');
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.some((v) => v.join() === 'dev')).toBe(true);
    expect(seen.some((v) => v.join() === 'out')).toBe(false);
  });
});

describe('the scenario checker on outputs', () => {
  const messages = (s: Scenario): string[] => referenceProblems(s).map((p) => `${p.path.join('.')}: ${p.message}`);

  it('should accept the two built-in multi-output scenarios', () => {
    expect(messages(multiOutputCaInterrupted)).toEqual([]);
    expect(messages(multiOutputIaPartial)).toEqual([]);
  });

  it('should name an output the derivation does not have, a chroot, and a --check of a multi-output derivation', () => {
    const s: Scenario = {
      ...twoOutputs('input-addressed', [{ id: 'a1', kind: 'build', drv: 'lib', mode: 'check' }], [...TWO, { op: 'writeFile', path: 'x', content: 'y', output: 'doc' }]),
      settings: { ...DARWIN, platform: 'linux', sandbox: true },
    };
    expect(messages(s)).toEqual([
      "derivations.0.outputs: 'lib' would be built in a chroot, which the model does not do for a derivation with several outputs; use sandbox: false",
      "derivations.0.program.4.output: 'lib' has no output 'doc' (its outputs: out, dev)",
      "actors.0.mode: 'lib' has several outputs: the model builds them in a normal build only, not with --check",
    ]);
  });
});
