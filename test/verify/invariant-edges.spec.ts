/**
 * The edges of the transition invariants and of the clean build they compare with, which no
 * built-in scenario's verdict turns on: whose events may change a running build's output (its own
 * builder; its own deletion while it holds one), every output of a multi-output build, what a
 * deletion check leaves to non-deletion events, which output a clean build is read for, and a file
 * at a planted path whose content is the derivation's own. Each builds the state it needs from a
 * scripted run, changes the disk as the branch describes, and asks the predicate.
 */
import { describe, expect, it } from 'vitest';
import type { BuildActor, ModelEvent, ModelState, Scenario, TraceStep, World } from '../../model/nix/index.js';
import { drvOf, observedTree, realScratch, slotsOf, STORE_DIR } from '../../model/nix/index.js';
import { startDelete } from '../../model/nix/delete-path.js';
import { checkQuiescent, checkTransition, cleanContent } from '../../model/verify/index.js';
import { hostilePlantSingleUser, multiOutputCaInterrupted } from '../../sim/scenarios/builtin.js';
import { GODYN } from '../../sim/scenarios/common.js';
import { run, traceOf } from '../nix/helpers.js';
import { buildIn, oneCaBuild, runUntil, world } from '../nix/stepping.js';

function stepOf(w: World, event: ModelEvent, before: TraceStep['before']): TraceStep {
  return { event, note: '', source: '', syscalls: [], before, after: observedTree(w) };
}

function withBuild(s: ModelState, id: string, change: (a: BuildActor) => BuildActor): ModelState {
  return { ...s, actors: s.actors.map((a) => (a.id === id && a.kind === 'build' ? change(a) : a)) };
}

/** `a1` of a one-output CA build, its builder part-way (the output directory made, nothing registered). */
function oneBuilding(): { w: World; scratch: string } {
  const w = world(oneCaBuild());
  runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.scratch !== undefined && w.ctx.fs.lstat(w.ctx.daemon, a.scratch).ok);
  const scratch = buildIn(w, 'a1').scratch;
  if (scratch === undefined) throw new Error('no scratch path');
  return { w, scratch };
}

/** `a1` of the two-output build (out, dev) with both outputs written, not yet registered. */
function twoBuilding(): { w: World; a: BuildActor } {
  const s: Scenario = { ...multiOutputCaInterrupted, actors: [{ id: 'a1', kind: 'build', drv: 'lib' }] };
  const w = world(s);
  const written = (a: BuildActor): boolean =>
    a.phase.kind === 'building' && slotsOf(a).length === 2 && slotsOf(a).every((o) => o.scratch !== undefined && w.ctx.fs.lstat(w.ctx.daemon, o.scratch).ok);
  runUntil(w, 'a1', written);
  return { w, a: buildIn(w, 'a1') };
}

describe("InProgressOutputSafe: whose events may change a running build's output", () => {
  it('should report, with what changed and whose output, a change by another process under each output of a multi-output build', () => {
    for (const output of ['out', 'dev']) {
      const { w, a } = twoBuilding();
      const scratch = slotsOf(a).find((o) => o.name === output)?.scratch;
      if (scratch === undefined) throw new Error(`no scratch path for ${output}`);
      const real = realScratch(w.ctx, drvOf(w.ctx, 'lib'), scratch);
      const before = observedTree(w);
      expect(w.ctx.fs.writeFile(w.ctx.daemon, `${real}/planted`, 'x', 0o644).ok).toBe(true);
      expect(checkTransition(w, w.state, stepOf(w, { type: 'orphanAction', actor: 'stray' }, before)), output).toEqual([
        { invariant: 'InProgressOutputSafe', message: `orphanAction(stray) changed ${real}/planted while a1's builder was writing ${real}` },
      ]);
    }
  });

  it('should list every path the step changed under the output, comma-separated', () => {
    const { w, scratch } = oneBuilding();
    const before = observedTree(w);
    for (const f of ['p1', 'p2']) expect(w.ctx.fs.writeFile(w.ctx.daemon, `${scratch}/${f}`, 'x', 0o644).ok).toBe(true);
    expect(checkTransition(w, w.state, stepOf(w, { type: 'orphanAction', actor: 'stray' }, before))).toEqual([
      { invariant: 'InProgressOutputSafe', message: `orphanAction(stray) changed ${scratch}/p1, ${scratch}/p2 while a1's builder was writing ${scratch}` },
    ]);
  });

  it("should exempt the build's own builder, and only its builder: another event of the same build counts", () => {
    const { w, scratch } = oneBuilding();
    const before = observedTree(w);
    expect(w.ctx.fs.writeFile(w.ctx.daemon, `${scratch}/extra`, 'x', 0o644).ok).toBe(true);
    expect(checkTransition(w, w.state, stepOf(w, { type: 'builderAction', actor: 'a1' }, before))).toEqual([]);
    expect(checkTransition(w, w.state, stepOf(w, { type: 'crash', actor: 'a1' }, before)).map((v) => v.invariant)).toEqual(['InProgressOutputSafe']);
  });

  it('should not count a build deleting its own output while it holds a deletion (it is not writing it then)', () => {
    const { w, scratch } = oneBuilding();
    expect(w.ctx.fs.writeFile(w.ctx.daemon, `${scratch}/old`, 'x', 0o644).ok).toBe(true);
    const prev = withBuild(w.state, 'a1', (a) => ({ ...a, job: startDelete(scratch) }));
    const before = observedTree(w);
    expect(w.ctx.fs.unlink(w.ctx.daemon, `${scratch}/old`).ok).toBe(true);
    expect(checkTransition(w, prev, stepOf(w, { type: 'deletePathStep', actor: 'a1' }, before))).toEqual([]);
  });
});

describe('DeleteStaysInTarget: only deletion steps are held to their target', () => {
  it('should not hold an event other than a deletion step to the target of the deletion its actor holds', () => {
    const { w, scratch } = oneBuilding();
    const target = `${STORE_DIR}/00000000000000000000000000000000-target`;
    const prev = { ...w.state, actors: [...w.state.actors, { kind: 'gc' as const, id: 'x', state: 'collecting' as const, queue: [], deleted: [], job: startDelete(target) }] };
    const before = observedTree(w);
    const elsewhere = `${STORE_DIR}/11111111111111111111111111111111-elsewhere`;
    expect(w.ctx.fs.mkdir(w.ctx.daemon, elsewhere, 0o755).ok).toBe(true);
    expect(scratch).not.toBe(elsewhere);
    expect(checkTransition(w, prev, stepOf(w, { type: 'gcStop', actor: 'x' }, before))).toEqual([]);
    expect(checkTransition(w, prev, stepOf(w, { type: 'gcStep', actor: 'x' }, before))).toEqual([
      { invariant: 'DeleteStaysInTarget', message: `deleting ${target} changed ${elsewhere}` },
    ]);
  });
});

describe('CleanOutput: a clean build is read for the output asked', () => {
  it("should give each output of a multi-output derivation its own clean content, asked in either order", () => {
    const r = run({ ...multiOutputCaInterrupted, actors: [{ id: 'a1', kind: 'build', drv: 'lib' }] });
    const registered: Record<string, string> = Object.fromEntries(Object.values(r.world.state.valid).map((i) => [i.output ?? '', i.content]));
    expect(Object.keys(registered).sort(), traceOf(r)).toEqual(['dev', 'out']);
    expect(registered['dev']).not.toEqual(registered['out']);
    for (const order of [['out', 'dev'], ['dev', 'out']]) {
      // a fresh derivation list per order: the clean builds are cached per list
      const w = world({ ...multiOutputCaInterrupted, derivations: [...multiOutputCaInterrupted.derivations], actors: [] });
      for (const output of order) expect(cleanContent(w, 'lib', [], output), output).toEqual(registered[output]);
    }
  });
});

describe('NoForeignContent: a plant counts by its path and its content', () => {
  it("should count a planted symlink only against the derivation whose scratch path it targets: another's own symlink to the same place is its own", () => {
    const s: Scenario = {
      ...hostilePlantSingleUser,
      name: 'symlink-of-its-own',
      derivations: [
        { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
        { id: 'other', name: 'other', kind: 'ca-floating', program: [{ op: 'symlink', target: '/nix/var/nix/builds', path: '' }] },
        { id: 'evil', name: 'evil', kind: 'input-addressed', program: [{ op: 'plantSymlink', drv: 'godyn', target: '/nix/var/nix/builds' }, { op: 'mkdirP', path: '' }] },
      ],
      actors: [{ id: 'other', kind: 'build', drv: 'other' }],
    };
    const r = run(s);
    const [info] = Object.values(r.world.state.valid);
    expect(info?.content, traceOf(r)).toContain('/nix/var/nix/builds');
    expect(checkQuiescent(r.world).map((v) => v.invariant), traceOf(r)).not.toContain('NoForeignContent');
  });

  it("should not count the derivation's own file with a plant's content at another path", () => {
    const s: Scenario = {
      ...hostilePlantSingleUser,
      name: 'plant-of-own-content',
      derivations: [
        { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
        { id: 'evil', name: 'evil', kind: 'input-addressed', program: [{ op: 'plant', drv: 'godyn', path: 'backdoor', content: 'archive' }, { op: 'mkdirP', path: '' }] },
      ],
      actors: [{ id: 'godyn', kind: 'build', drv: 'godyn' }],
    };
    const r = run(s);
    const [info] = Object.values(r.world.state.valid);
    expect(info?.content, traceOf(r)).toContain('pkg.a\tfile\tarchive');
    expect(checkQuiescent(r.world).map((v) => v.invariant), traceOf(r)).not.toContain('NoForeignContent');
  });

  it("should not count the derivation's own file at a path another builder would plant, with other content", () => {
    const s: Scenario = {
      ...hostilePlantSingleUser,
      name: 'plant-at-own-path',
      derivations: [
        { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
        { id: 'evil', name: 'evil', kind: 'input-addressed', program: [{ op: 'plant', drv: 'godyn', path: 'pkg.a', content: 'planted' }, { op: 'mkdirP', path: '' }] },
      ],
      actors: [{ id: 'godyn', kind: 'build', drv: 'godyn' }],
    };
    const r = run(s);
    const w = r.world;
    const [info] = Object.values(w.state.valid);
    expect(info?.content, traceOf(r)).toContain('pkg.a\tfile\tarchive');
    expect(checkQuiescent(w).map((v) => v.invariant), traceOf(r)).not.toContain('NoForeignContent');
  });
});
