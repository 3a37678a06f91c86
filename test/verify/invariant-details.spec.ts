/**
 * The details of each invariant's verdict that witnesses.spec.ts leaves open: which changes a
 * transition view counts, what a deletion that unwinds a build may touch, whose plants count as
 * foreign, which derivation a valid path is compared with, the exact wording of a probe's failure,
 * and how a CleanOutput message lists the difference. Each test builds the state it needs from a
 * scripted run and asks the predicate; none copies an answer from a run.
 */
import { describe, expect, it } from 'vitest';
import type { BuildActor, ModelEvent, ModelState, Run, Scenario, TraceStep, World } from '../../model/nix/index.js';
import { drvOf, hashPartOf, observedTree, runToQuiescence, STORE_DIR } from '../../model/nix/index.js';
import { startDelete } from '../../model/nix/delete-path.js';
import type { InvariantName } from '../../model/verify/index.js';
import { checkQuiescent, checkTransition, cleanContent } from '../../model/verify/index.js';
import { hostilePlantSingleUser, seed487 } from '../../sim/scenarios/builtin.js';
import { GODYN } from '../../sim/scenarios/common.js';
import { run, traceOf } from '../nix/helpers.js';
import { failsUnderFlag, world } from '../nix/stepping.js';

const names = (vs: readonly { invariant: InvariantName }[]): InvariantName[] => vs.map((v) => v.invariant);

function stepOf(w: World, event: ModelEvent, before: TraceStep['before']): TraceStep {
  return { event, note: '', source: '', syscalls: [], before, after: observedTree(w) };
}

/** seed-487 run to the end: a3 registered godyn's output, which is the one valid path. */
function seedDone(): { r: Run; valid: string } {
  const r = run(seed487);
  const [valid] = Object.keys(r.world.state.valid);
  if (!valid) throw new Error(`nothing valid after seed-487\n${traceOf(r)}`);
  return { r, valid };
}

function withActor(s: ModelState, id: string, change: (a: BuildActor) => BuildActor): ModelState {
  return { ...s, actors: s.actors.map((a) => (a.id === id && a.kind === 'build' ? change(a) : a)) };
}

const TARGET = `${STORE_DIR}/00000000000000000000000000000000-target`;

describe('DeleteStaysInTarget: every kind of change outside the target counts, listed sorted', () => {
  it('should report a file rewritten in place and an entry added, in path order, comma-separated', () => {
    const { r } = seedDone();
    const w = r.world;
    const { daemon, fs } = w.ctx;
    const rewritten = `${STORE_DIR}/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-rewritten`;
    const added = `${STORE_DIR}/11111111111111111111111111111111-added`;
    expect(fs.writeFile(daemon, rewritten, 'before', 0o644).ok).toBe(true);
    const prev = { ...w.state, actors: [...w.state.actors, { kind: 'gc' as const, id: 'x', state: 'collecting' as const, queue: [], deleted: [], job: startDelete(TARGET) }] };
    const before = observedTree(w);
    // same kind, mode and owner: only the content differs
    expect(fs.writeFile(daemon, rewritten, 'after!').ok).toBe(true);
    expect(fs.mkdir(daemon, added, 0o755).ok).toBe(true);
    expect(checkTransition(w, prev, stepOf(w, { type: 'gcStep', actor: 'x' }, before))).toEqual([
      { invariant: 'DeleteStaysInTarget', message: `deleting ${TARGET} changed ${added}, ${rewritten}` },
    ]);
  });

  it('should report an entry removed outside the target', () => {
    const { r } = seedDone();
    const w = r.world;
    const { daemon, fs } = w.ctx;
    const gone = `${STORE_DIR}/22222222222222222222222222222222-gone`;
    expect(fs.writeFile(daemon, gone, 'x', 0o644).ok).toBe(true);
    const prev = { ...w.state, actors: [...w.state.actors, { kind: 'storeDelete' as const, id: 'x', state: 'deleting' as const, job: startDelete(TARGET) }] };
    const before = observedTree(w);
    expect(fs.unlink(daemon, gone).ok).toBe(true);
    expect(checkTransition(w, prev, stepOf(w, { type: 'storeDelete', actor: 'x' }, before))).toEqual([
      { invariant: 'DeleteStaysInTarget', message: `deleting ${TARGET} changed ${gone}` },
    ]);
  });
});

describe('DeleteStaysInTarget: a deletion that throws unwinds the build, and that is not the deletion\'s', () => {
  /**
   * a3 (done after seed-487) made to be deleting TARGET in `prev`, holding `held` (its final-path lock
   * or its rewrite temp dir); in the world's state it has gone on to cleanup, or `alreadyCleaning`.
   */
  function unwinding(held: 'finalLock' | 'rewriteTmp', alreadyCleaning = false): { w: World; prev: ModelState; before: TraceStep['before']; lock: string } {
    const { r } = seedDone();
    const w = r.world;
    const { daemon, fs } = w.ctx;
    const a3 = w.state.actors.find((a) => a.id === 'a3');
    if (a3?.kind !== 'build' || a3.phase.kind !== 'done') throw new Error('a3 is not done');
    const { outcome } = a3.phase;
    const lock = held === 'finalLock' ? `${STORE_DIR}/33333333333333333333333333333333-out.lock` : `${STORE_DIR}/tmp-7`;
    if (held === 'finalLock') expect(fs.writeFile(daemon, lock, '', 0o600).ok).toBe(true);
    else {
      expect(fs.mkdir(daemon, lock, 0o700).ok).toBe(true);
      expect(fs.writeFile(daemon, `${lock}/x`, 'rewritten', 0o644).ok).toBe(true);
    }
    const cleanup = { kind: 'cleanup' as const, outcome, step: 'release' as const };
    const prev = withActor(w.state, 'a3', (a) => ({
      ...a,
      phase: alreadyCleaning ? cleanup : { kind: 'registering' as const, step: 'rewrite' as never },
      job: startDelete(TARGET),
      [held]: lock,
    }));
    w.state = withActor(w.state, 'a3', (a) => ({ ...a, phase: cleanup }));
    const before = observedTree(w);
    if (held === 'finalLock') expect(fs.unlink(daemon, lock).ok).toBe(true);
    else expect(fs.unlink(daemon, `${lock}/x`).ok).toBe(true);
    return { w, prev, before, lock: held === 'finalLock' ? lock : `${lock}/x` };
  }

  for (const held of ['finalLock', 'rewriteTmp'] as const) {
    it(`should allow the step that leaves for cleanup to remove its ${held}`, () => {
      const { w, prev, before } = unwinding(held);
      expect(checkTransition(w, prev, stepOf(w, { type: 'deletePathStep', actor: 'a3' }, before))).toEqual([]);
    });
  }

  it('should report the same removal by a build that was already cleaning up (it unwound nothing in this step)', () => {
    const { w, prev, before, lock } = unwinding('finalLock', true);
    expect(checkTransition(w, prev, stepOf(w, { type: 'deletePathStep', actor: 'a3' }, before))).toEqual([
      { invariant: 'DeleteStaysInTarget', message: `deleting ${TARGET} changed ${lock}` },
    ]);
  });
});

describe('NoForeignContent and CleanOutput: whose plants, and which derivation a path is compared with', () => {
  /** godyn, and `evil`, whose program plants into godyn's scratch path (a directory, and a file) and writes that same file into its own output. */
  const twoDrvs = (builds: readonly string[]): Scenario => ({
    ...hostilePlantSingleUser,
    name: 'plants-and-own-files',
    derivations: [
      { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN },
      {
        id: 'evil',
        name: 'evil',
        kind: 'input-addressed',
        program: [
          { op: 'plant', drv: 'godyn', path: '', content: '' },
          { op: 'plant', drv: 'godyn', path: 'backdoor', content: 'planted' },
          { op: 'mkdirP', path: '' },
          { op: 'writeFile', path: 'backdoor', content: 'planted' },
        ],
      },
    ],
    actors: builds.map((drv) => ({ id: drv, kind: 'build', drv })),
  });

  it("should not count a derivation's own file, equal to one it plants elsewhere, as foreign; and compare it with its own clean build", () => {
    const r = run(twoDrvs(['evil']));
    const w = r.world;
    const mine = Object.entries(w.state.valid).filter(([, info]) => info.deriver === drvOf(w.ctx, 'evil').drvPath);
    expect(mine, traceOf(r)).toHaveLength(1);
    expect(mine[0]?.[1].content).toContain('backdoor\tfile\tplanted');
    const found = names(checkQuiescent(w));
    expect(found, traceOf(r)).not.toContain('NoForeignContent');
    expect(found, traceOf(r)).not.toContain('CleanOutput');
  });

  it("should not report a plant the output does not contain (the planting builder never ran), nor the planted directory's root", () => {
    const r = run(twoDrvs(['godyn']));
    const w = r.world;
    expect(Object.values(w.state.valid).map((i) => i.deriver), traceOf(r)).toEqual([drvOf(w.ctx, 'godyn').drvPath]);
    const found = names(checkQuiescent(w));
    expect(found, traceOf(r)).not.toContain('NoForeignContent');
    expect(found, traceOf(r)).not.toContain('CleanOutput');
  });

  it('should skip a valid path no derivation of the scenario registered', () => {
    const { r, valid } = seedDone();
    const w = r.world;
    const info = w.state.valid[valid];
    if (!info) throw new Error('no info');
    const foreign = `${STORE_DIR}/44444444444444444444444444444444-elsewhere`;
    w.state = { ...w.state, valid: { ...w.state.valid, [foreign]: { ...info, deriver: `${STORE_DIR}/55555555555555555555555555555555-elsewhere.drv`, content: 'anything' } } };
    const found = checkQuiescent(w);
    expect(found.filter((v) => v.message.includes(foreign))).toEqual([]);
  });
});

describe('CleanOutput: the difference a message lists', () => {
  function withContent(content: (lines: string[]) => string[]): { w: World; valid: string } {
    const { r, valid } = seedDone();
    const w = r.world;
    const info = w.state.valid[valid];
    if (!info) throw new Error('no info');
    const clean = cleanContent(w, 'godyn', info.flags);
    expect(info.content).toBe(clean);
    w.state = { ...w.state, valid: { ...w.state.valid, [valid]: { ...info, content: content(clean.split('\n')).join('\n') } } };
    return { w, valid };
  }

  it("should list lines only in the registered output with '+', lines only in the clean one with '-', the root as '.'", () => {
    const { w, valid } = withContent((lines) => {
      const root = lines.find((l) => l.startsWith('\t'));
      const pkg = lines.find((l) => l.startsWith('pkg.a\t'));
      expect(root).toBeDefined();
      expect(pkg).toBeDefined();
      // the root turned into a file, pkg.a gone, a stale file added; importcfg as it was
      return ['\tfile\tplanted', ...lines.filter((l) => l !== root && l !== pkg), 'stale\tfile\tx'];
    });
    const clean = checkQuiescent(w).filter((v) => v.invariant === 'CleanOutput');
    expect(clean.map((v) => v.message)).toEqual([`${valid} (godyn) differs from a clean build: +. +stale -. -pkg.a`]);
  });

  it("should say 'metadata' when the same lines differ only in order", () => {
    const { w, valid } = withContent((lines) => [...lines].reverse());
    const clean = checkQuiescent(w).filter((v) => v.invariant === 'CleanOutput');
    expect(clean.map((v) => v.message)).toEqual([`${valid} (godyn) differs from a clean build: metadata`]);
  });
});

describe('NoWedge: what a failed probe says', () => {
  const flagged = failsUnderFlag;

  it('should name the first build user, and no failed builder command when none failed', () => {
    const w = world(flagged);
    w.state = { ...w.state, flags: ['broken'] };
    const wedges = checkQuiescent(w).filter((v) => v.invariant === 'NoWedge');
    expect(wedges.map((v) => v.message)).toEqual([expect.stringMatching(/^clean build of d \(first build user\): builder for '[^']+' failed with exit code 1$/)]);
  });

  it('should say a probe that could not finish did not finish (its only build user held for good)', () => {
    const w = world({ ...flagged, actors: [{ id: 'hold', kind: 'holdUser', releaseAfter: ['nobody'] }] });
    runToQuiescence(w);
    expect(w.state.actors.find((a) => a.id === 'hold')).toMatchObject({ state: 'holding' });
    const wedges = checkQuiescent(w).filter((v) => v.invariant === 'NoWedge');
    expect(wedges.map((v) => v.message)).toEqual(['clean build of d (first build user): did not finish']);
  });

  it('should probe as the second build user when there are exactly two', () => {
    const r = run({ ...seed487, settings: { ...seed487.settings, buildUsers: 2 }, actors: seed487.actors.filter((a) => a.id === 'a1') });
    const wedges = checkQuiescent(r.world).filter((v) => v.invariant === 'NoWedge');
    expect(wedges.map((v) => v.message), traceOf(r)).toEqual([expect.stringMatching(/^clean build of godyn \(as build user 2\): /)]);
  });
});

describe('NoDebrisAfterRecovery: what even nix store gc leaves, all of it', () => {
  it('should list every entry GC cannot remove, comma-separated', () => {
    const { r } = seedDone();
    const w = r.world;
    for (const t of ['tmp-8', 'tmp-9']) expect(w.ctx.fs.mkdir(w.ctx.daemon, `${STORE_DIR}/${t}`, 0o700).ok).toBe(true);
    // a tmp- dir whose lock a build holds is what GC skips: give two builds one each
    w.state = withActor(withActor(w.state, 'a1', (a) => ({ ...a, rewriteTmp: `${STORE_DIR}/tmp-8` })), 'a3', (a) => ({ ...a, rewriteTmp: `${STORE_DIR}/tmp-9` }));
    expect(checkQuiescent(w)).toEqual([{ invariant: 'NoDebrisAfterRecovery', message: 'left even after nix store gc: tmp-8, tmp-9' }]);
  });
});

describe('CleanOutput: an output whose clean build fails', () => {
  it('should say the clean build failed, for an output registered under flags a clean build fails with', () => {
    const s: Scenario = {
      name: 'fails-under-flag',
      doc: 'a builder that exits 1 while the flag `broken` is set',
      settings: { ...seed487.settings, buildUsers: 1 },
      derivations: [{ id: 'd', name: 'd', kind: 'input-addressed', program: [{ op: 'exitIfFlag', flag: 'broken', code: 1 }, { op: 'mkdirP', path: '' }] }],
      actors: [{ id: 'a1', kind: 'build', drv: 'd' }],
    };
    const r = run(s);
    const w = r.world;
    const [path, info] = Object.entries(w.state.valid)[0] ?? [];
    if (!path || !info) throw new Error(`d not registered\n${traceOf(r)}`);
    w.state = { ...w.state, valid: { [path]: { ...info, flags: ['broken'] } } };
    const clean = checkQuiescent(w).filter((v) => v.invariant === 'CleanOutput');
    expect(clean.map((v) => v.message)).toEqual([expect.stringMatching(/ \(d\) differs from a clean build: \+\. -<clean build failed>$/)]);
  });
});

describe('NoDebrisAfterRecovery: what the next build of a derivation leaves of its own', () => {
  /** An input-addressed derivation never built, and two store entries sharing hash parts with its derivation and its output. */
  function junked(buildUsers: number): { w: World; junk: string[] } {
    const w = world({
      name: 'junk',
      doc: 'one input-addressed derivation, not built yet',
      settings: { ...seed487.settings, buildUsers },
      derivations: [{ id: 'ia', name: 'ia', kind: 'input-addressed', program: GODYN }],
      actors: [],
    });
    const info = drvOf(w.ctx, 'ia');
    if (info.knownPath === undefined) throw new Error('an input-addressed output has a known path');
    const junk = [`${hashPartOf(info.drvPath)}-junk-drv`, `${hashPartOf(info.knownPath)}-junk-out`].sort();
    for (const j of junk) expect(w.ctx.fs.mkdir(w.ctx.daemon, `${STORE_DIR}/${j}`, 0o755).ok).toBe(true);
    return { w, junk };
  }

  for (const users of [1, 2]) {
    it(`should report, once, every entry with the derivation's or its output's hash part the next build leaves (${String(users)} build users)`, () => {
      const { w, junk } = junked(users);
      // GC removes them (nothing roots them): only the next build's verdict names them
      expect(checkQuiescent(w)).toEqual([{ invariant: 'NoDebrisAfterRecovery', message: `left after the next build of ia: ${junk.join(', ')}` }]);
    });
  }
});

describe('ValidPathsIntact: a path corrupted on purpose is left to the repair', () => {
  /** seed-487 done, its valid path tampered with on disk (content changed, or moved away); `where` says which state names it corrupted. */
  function tampered(how: 'content' | 'removed', where: 'before' | 'after' | 'neither'): { w: World; prev: ModelState; before: TraceStep['before']; valid: string } {
    const { r, valid } = seedDone();
    const w = r.world;
    const { daemon, fs } = w.ctx;
    const mark = (s: ModelState, on: boolean): ModelState => (on ? { ...s, corrupted: [valid] } : s);
    const prev = mark(w.state, where === 'before');
    w.state = mark(w.state, where === 'after');
    const before = observedTree(w);
    expect(fs.chmod(daemon, valid, 0o755).ok).toBe(true);
    if (how === 'content') {
      expect(fs.chmod(daemon, `${valid}/pkg.a`, 0o644).ok).toBe(true);
      expect(fs.writeFile(daemon, `${valid}/pkg.a`, 'tampered').ok).toBe(true);
    } else {
      expect(fs.rename(daemon, valid, `${STORE_DIR}/66666666666666666666666666666666-moved`).ok).toBe(true);
    }
    return { w, prev, before, valid };
  }
  const event: ModelEvent = { type: 'builderAction', actor: 'a3' };

  for (const how of ['content', 'removed'] as const) {
    it(`should report a valid path ${how === 'content' ? 'changed' : 'removed'} on disk when no state names it corrupted`, () => {
      const { w, prev, before, valid } = tampered(how, 'neither');
      const found = checkTransition(w, prev, stepOf(w, event, before));
      expect(found.map((v) => v.message)).toContain(how === 'content' ? `${valid} changed on disk at builderAction(a3)` : `${valid} is valid but missing on disk after builderAction(a3)`);
    });
    for (const where of ['before', 'after'] as const) {
      it(`should not report it ${how === 'content' ? 'changed' : 'removed'} when the state ${where} the step names it corrupted`, () => {
        const { w, prev, before } = tampered(how, where);
        expect(checkTransition(w, prev, stepOf(w, event, before))).toEqual([]);
      });
    }
  }
});

describe('DeleteStaysInTarget: only the step that leaves for cleanup unwinds', () => {
  it("should report a deletion step that removes the build's final-path lock while the build stays registering", () => {
    const { r } = seedDone();
    const w = r.world;
    const { daemon, fs } = w.ctx;
    const lock = `${STORE_DIR}/33333333333333333333333333333333-out.lock`;
    expect(fs.writeFile(daemon, lock, '', 0o600).ok).toBe(true);
    const registering = { kind: 'registering' as const, step: 'rewrite' as never };
    const prev = withActor(w.state, 'a3', (a) => ({ ...a, phase: registering, job: startDelete(TARGET), finalLock: lock }));
    w.state = withActor(w.state, 'a3', (a) => ({ ...a, phase: registering, finalLock: lock }));
    const before = observedTree(w);
    expect(fs.unlink(daemon, lock).ok).toBe(true);
    expect(checkTransition(w, prev, stepOf(w, { type: 'deletePathStep', actor: 'a3' }, before))).toEqual([
      { invariant: 'DeleteStaysInTarget', message: `deleting ${TARGET} changed ${lock}` },
    ]);
  });
});
