/**
 * A second witness for each branch of each invariant's predicate (non-vacuous.spec.ts has the first):
 * with one witness per invariant, dropping any other branch would change no verdict anywhere.
 * Where some scenario reaches the branch, the witness is that scenario explored; where none does
 * (no variant changes a valid path in place, or makes GC follow a symlink), the predicate is given a
 * real world from a scripted run and a step that changes the disk as the branch describes.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind, ModelEvent, ModelState, Run, Scenario, TraceStep, World } from '../../model/nix/index.js';
import { drvOf, observedTree, parseVariant, realScratch, STORE_DIR } from '../../model/nix/index.js';
import { startDelete } from '../../model/nix/delete-path.js';
import type { InvariantName } from '../../model/verify/index.js';
import { checkQuiescent, checkTransition, explore } from '../../model/verify/index.js';
import { darwinOrphanLowerUser, hostilePlantSingleUser, seed487 } from '../../sim/scenarios/builtin.js';
import { GODYN } from '../../sim/scenarios/common.js';
import { run, traceOf } from '../nix/helpers.js';
import { buildIn, failsUnderFlag, oneCaBuild, runUntil, world } from '../nix/stepping.js';

function violations(s: Scenario, variant: string, faults: readonly FaultKind[] = [], maxFaults = 0): { invariant: InvariantName; message: string; events: readonly ModelEvent[] }[] {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return [...explore(s, { variant: v.variant, faults, maxFaults, maxDepth: 200, maxStates: 50_000 }).counterexamples];
}

const names = (vs: readonly { invariant: InvariantName }[]): InvariantName[] => vs.map((v) => v.invariant);

/** The trace step of `event` as the world's disk went from `before` to now. */
function stepOf(r: Run, event: ModelEvent, before: TraceStep['before']): TraceStep {
  return { event, note: '', source: '', syscalls: [], before, after: observedTree(r.world) };
}

/** seed-487 run to the end: a3 registered godyn's output, which is the one valid path. */
function seedDone(): { r: Run; valid: string } {
  const r = run(seed487);
  const [valid] = Object.keys(r.world.state.valid);
  if (!valid) throw new Error(`nothing valid after seed-487\n${traceOf(r)}`);
  return { r, valid };
}

describe('ValidPathsIntact: each way a valid path can be harmed', () => {
  const event: ModelEvent = { type: 'builderAction', actor: 'a3' };

  it('should report a valid path whose content changed on disk', () => {
    const { r, valid } = seedDone();
    const prev = r.world.state;
    const before = observedTree(r.world);
    const fs = r.world.ctx.fs;
    expect(fs.chmod(r.world.ctx.daemon, `${valid}/pkg.a`, 0o644).ok).toBe(true);
    expect(fs.writeFile(r.world.ctx.daemon, `${valid}/pkg.a`, 'tampered').ok).toBe(true);
    const found = checkTransition(r.world, prev, stepOf(r, event, before));
    expect(found).toEqual([{ invariant: 'ValidPathsIntact', message: `${valid} changed on disk at builderAction(a3)` }]);
  });

  it('should not count an owner change, which a NAR does not record', () => {
    const { r, valid } = seedDone();
    const prev = r.world.state;
    const before = observedTree(r.world);
    expect(r.world.ctx.fs.lchown(r.world.ctx.daemon, `${valid}/pkg.a`, 30001, 30000).ok).toBe(true);
    expect(checkTransition(r.world, prev, stepOf(r, event, before))).toEqual([]);
  });

  it('should report a path that stopped being valid without GC or a delete, and allow it to GC', () => {
    const { r, valid } = seedDone();
    const prev = r.world.state;
    const before = observedTree(r.world);
    const { [valid]: _gone, ...rest } = prev.valid;
    r.world.state = { ...prev, valid: rest };
    expect(checkTransition(r.world, prev, stepOf(r, event, before))).toEqual([
      { invariant: 'ValidPathsIntact', message: `${valid} stopped being valid at builderAction(a3)` },
    ]);
    expect(checkTransition(r.world, prev, stepOf(r, { type: 'gcStep', actor: 'gc' }, before))).toEqual([]);
  });
});

describe('NoDebrisAfterRecovery: what even nix store gc leaves', () => {
  it('should report an entry GC cannot remove, by name', () => {
    const { r } = seedDone();
    expect(checkQuiescent(r.world)).toEqual([]);
    // GC deletes every unrooted entry, store path or not (gc.cc l.736); a tmp- dir whose lock is held is the one it skips
    const tmp = `${STORE_DIR}/tmp-9`;
    expect(r.world.ctx.fs.mkdir(r.world.ctx.daemon, tmp, 0o700).ok).toBe(true);
    r.world.state = { ...r.world.state, actors: r.world.state.actors.map((a) => (a.kind === 'build' ? { ...a, rewriteTmp: tmp } : a)) };
    expect(checkQuiescent(r.world)).toEqual([{ invariant: 'NoDebrisAfterRecovery', message: 'left even after nix store gc: tmp-9' }]);
  });

  it('should not report debris that GC removes (the wedge\'s leftover), only the wedge', () => {
    const r = run({ ...seed487, actors: seed487.actors.filter((a) => a.id === 'a1') });
    const found = checkQuiescent(r.world);
    expect(names(found), traceOf(r)).not.toContain('NoDebrisAfterRecovery');
    expect(names(found), traceOf(r)).toContain('NoWedge');
  });
});

describe('DeleteStaysInTarget: GC and store deletes as well as builds', () => {
  /** The world after seed-487, with actor `id` (a `kind` actor) in the middle of deleting `root`. */
  function deleting(kind: 'gc' | 'storeDelete', root: string): { r: Run; prev: ModelState; before: TraceStep['before'] } {
    const { r } = seedDone();
    const job = startDelete(root);
    const actor = kind === 'gc'
      ? { kind, id: 'x', state: 'collecting' as const, queue: [], deleted: [], job }
      : { kind, id: 'x', state: 'deleting' as const, job };
    const prev = { ...r.world.state, actors: [...r.world.state.actors, actor] };
    return { r, prev, before: observedTree(r.world) };
  }

  for (const [kind, type] of [['gc', 'gcStep'], ['storeDelete', 'storeDelete']] as const) {
    it(`should report a ${type} that changes something outside the entry it deletes`, () => {
      const target = `${STORE_DIR}/00000000000000000000000000000000-target`;
      const { r, prev, before } = deleting(kind, target);
      const outside = `${STORE_DIR}/11111111111111111111111111111111-bystander`;
      expect(r.world.ctx.fs.mkdir(r.world.ctx.daemon, outside, 0o755).ok).toBe(true);
      expect(checkTransition(r.world, prev, stepOf(r, { type, actor: 'x' }, before))).toEqual([
        { invariant: 'DeleteStaysInTarget', message: `deleting ${target} changed ${outside}` },
      ]);
    });

    it(`should allow a ${type} to change what is under its target`, () => {
      const target = `${STORE_DIR}/00000000000000000000000000000000-target`;
      const { r, prev, before } = deleting(kind, target);
      expect(r.world.ctx.fs.mkdir(r.world.ctx.daemon, target, 0o755).ok).toBe(true);
      expect(r.world.ctx.fs.mkdir(r.world.ctx.daemon, `${target}/sub`, 0o755).ok).toBe(true);
      expect(checkTransition(r.world, prev, stepOf(r, { type, actor: 'x' }, before))).toEqual([]);
    });
  }
});

describe('InProgressOutputSafe: only the build\'s own builder may change its output', () => {
  // single-user: another derivation's builder runs as root too, and plants into godyn's output while godyn builds
  const planting: Scenario = {
    ...hostilePlantSingleUser,
    name: 'plant-during-build',
    actors: [
      { id: 'a1', kind: 'build', drv: 'godyn' },
      { id: 'evil', kind: 'build', drv: 'evil', during: { actor: 'a1', before: 'builderAction', nth: 1 } },
    ],
  };

  it('should report another build\'s builderAction writing into a running build\'s output', () => {
    const found = violations(planting, 'upstream').find((v) => v.invariant === 'InProgressOutputSafe');
    expect(found?.message).toMatch(/^builderAction\(evil\) changed .*\/backdoor while a1's builder was writing /);
  });

  it('should not report the build\'s own builder (the same schedule without the planting builder)', () => {
    const alone: Scenario = { ...planting, actors: planting.actors.filter((a) => a.id === 'a1') };
    expect(names(violations(alone, 'upstream'))).not.toContain('InProgressOutputSafe');
  });
});

describe('NoForeignContent: a planted symlink as well as a planted file', () => {
  const symlinkPlant: Scenario = {
    ...hostilePlantSingleUser,
    name: 'hostile-symlink-single-user',
    derivations: [
      { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
      { id: 'evil', name: 'evil', kind: 'input-addressed', program: [{ op: 'plantSymlink', drv: 'godyn', target: '/nix/var/nix/builds' }, { op: 'mkdirP', path: '' }] },
    ],
  };

  it('should report an output that is the symlink another derivation\'s builder planted', () => {
    const found = violations(symlinkPlant, 'upstream').find((v) => v.invariant === 'NoForeignContent');
    expect(found?.message).toMatch(/ \(godyn\) contains '\.' planted by another derivation's builder$/);
  });

  it('should hold once the stale scratch path is deleted before the build (recommended)', () => {
    expect(names(violations(symlinkPlant, 'recommended'))).not.toContain('NoForeignContent');
  });
});

describe('NoWedge: the second build user and the builder failure', () => {
  const interruptedOnly = (users: number): Scenario => ({
    ...seed487,
    settings: { ...seed487.settings, buildUsers: users },
    actors: seed487.actors.filter((a) => a.id === 'a1'),
  });

  it('should find the wedge only a build drawn as the second build user meets', () => {
    const r = run(interruptedOnly(4));
    const wedges = checkQuiescent(r.world).filter((v) => v.invariant === 'NoWedge');
    expect(wedges.map((v) => v.message), traceOf(r)).toEqual([
      expect.stringMatching(/^clean build of godyn \(as build user 2\): builder for '.*' failed with exit code 2; builder commands failed: #1 writeFile EACCES, #2 writeFile EACCES$/),
    ]);
  });

  it('should find no wedge with one build user, who owns the leftover', () => {
    const r = run(interruptedOnly(1));
    expect(names(checkQuiescent(r.world)), traceOf(r)).not.toContain('NoWedge');
  });

  it('should find the wedge on upstream under builder failure, with the failure in the counterexample', () => {
    const found = violations(seed487, 'upstream', ['builderFailure'], 1).find((v) => v.invariant === 'NoWedge');
    expect(found?.events.map((e) => e.type)).toContain('builderFailure');
    expect(found?.events.map((e) => e.type)).not.toContain('interrupt');
  });

  it('should hold on recommended under builder failure', () => {
    expect(names(violations(seed487, 'recommended', ['builderFailure'], 1))).not.toContain('NoWedge');
  });
});

describe('InProgressOutputSafe: a crashed build\'s stray process, and where a chroot build\'s output really is', () => {
  it('should report the survivor of a crashed build writing into the retry\'s output (orphanAction, not only builderAction)', () => {
    const found = violations(darwinOrphanLowerUser, 'upstream', ['crash'], 1).find((v) => v.invariant === 'InProgressOutputSafe');
    expect(found?.message).toMatch(/^orphanAction\(a1~orphan\) changed \/nix\/store\/\S+ while a2's builder was writing /);
    expect(found?.events.map((e) => e.type)).toContain('crash');
  });

  /** A sandboxed floating CA build that has written its first file, and the paths of its output: the host's and the chroot's. */
  function sandboxedBuilding(): { w: World; prev: ModelState; before: TraceStep['before']; host: string; real: string } {
    const w = world({ ...oneCaBuild(), settings: { ...oneCaBuild().settings, sandbox: true } });
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.calls.length > 1);
    const a = buildIn(w, 'a1');
    if (a.scratch === undefined) throw new Error('a1 has no scratch path');
    const real = realScratch(w.ctx, drvOf(w.ctx, 'godyn'), a.scratch);
    expect(real).not.toBe(a.scratch);
    return { w, prev: w.state, before: observedTree(w), host: a.scratch, real };
  }
  const stepIn = (w: World, event: ModelEvent, before: TraceStep['before']): TraceStep => ({ event, note: '', source: '', syscalls: [], before, after: observedTree(w) });

  it('should report a change inside a sandboxed build\'s chroot copy of its output', () => {
    const { w, prev, before, real } = sandboxedBuilding();
    expect(w.ctx.fs.writeFile(w.ctx.daemon, `${real}/intruder`, 'x').ok).toBe(true);
    expect(checkTransition(w, prev, stepIn(w, { type: 'gcStep', actor: 'gc' }, before))).toEqual([
      { invariant: 'InProgressOutputSafe', message: `gcStep(gc) changed ${real}/intruder while a1's builder was writing ${real}` },
    ]);
  });

  it('should not report a change at the host\'s copy of the scratch path, which a sandboxed build does not write', () => {
    const { w, prev, before, host } = sandboxedBuilding();
    expect(w.ctx.fs.mkdir(w.ctx.daemon, host, 0o755).ok).toBe(true);
    expect(checkTransition(w, prev, stepIn(w, { type: 'gcStep', actor: 'gc' }, before))).toEqual([]);
  });
});

describe('ValidPathsIntact: only GC and store deletes may delete a valid path', () => {
  // a build's own deletions (deletePathStep: "removing invalid path", the scratch path, cleanup) never target a valid path
  for (const type of ['deletePathStep', 'registerOutputs', 'cleanupBuild', 'orphanAction'] as const) {
    it(`should report a valid path deleted at ${type}`, () => {
      const { r, valid } = seedDone();
      const prev = r.world.state;
      const before = observedTree(r.world);
      const fs = r.world.ctx.fs;
      for (const f of ['importcfg', 'pkg.a']) expect(fs.unlink(r.world.ctx.daemon, `${valid}/${f}`).ok).toBe(true);
      expect(fs.rmdir(r.world.ctx.daemon, valid).ok).toBe(true);
      expect(checkTransition(r.world, prev, stepOf(r, { type, actor: 'a3' }, before))).toEqual([
        { invariant: 'ValidPathsIntact', message: `${valid} is valid but missing on disk after ${type}(a3)` },
        { invariant: 'ValidPathsIntact', message: `${valid} changed on disk at ${type}(a3)` },
      ]);
    });
  }
});

describe('NoWedge: the probe cache tells apart states its probes can tell apart', () => {
  // a builder that fails while a flag file is set: the same filesystem, with and without the flag, must probe differently
  const flagged = failsUnderFlag;

  it('should not reuse a verdict across states that differ only in a flag the builder reads', () => {
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    const w = world(flagged);
    expect(checkQuiescent(w, cache)).toEqual([]);
    w.state = { ...w.state, flags: ['broken'] };
    expect(names(checkQuiescent(w, cache))).toContain('NoWedge');
    // and the cache gives the same answer as no cache
    expect(checkQuiescent(w, cache)).toEqual(checkQuiescent(w));
  });
});

describe('NoDebrisAfterRecovery: the probe cache keys on the temp roots GC reads', () => {
  it('should not reuse a verdict across states that differ only in a temp root on debris', () => {
    const { r } = seedDone();
    const w = r.world;
    const debris = `${STORE_DIR}/00000000000000000000000000000000-debris`;
    expect(w.ctx.fs.mkdir(w.ctx.daemon, debris, 0o755).ok).toBe(true);
    const cache = new Map<string, { invariant: InvariantName; message: string }[]>();
    expect(names(checkQuiescent(w, cache))).not.toContain('NoDebrisAfterRecovery');
    // a live temp root (a process still holding it) keeps the debris from GC
    w.state = { ...w.state, tempRoots: { ...w.state.tempRoots, holder: ['00000000000000000000000000000000'] } };
    expect(checkQuiescent(w, cache)).toEqual(checkQuiescent(w));
    expect(names(checkQuiescent(w))).toContain('NoDebrisAfterRecovery');
  });
});
