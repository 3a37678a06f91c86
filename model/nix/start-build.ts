/**
 * Nix: derivation-builder.cc DerivationBuilderImpl::startBuild @2.34.8: take a build user, kill
 * its stray processes, create the temp dir 0700 and chown it to the builder, then choose each
 * output's scratch path. Only known outputs get "Ensure scratch path is ours to use"; a floating
 * CA output `continue`s first (l.805), so whatever sits at its fallback path is reused.
 */
import type { Ctx } from './context.js';
import { BUILD_DIR, buildGid, chrootParent, drvOf, userName, usesChroot } from './context.js';
import { unsafeBuildDir } from './build-dir.js';
import { prepareSandbox } from './chroot.js';
import { createCgroup, prepareUserCgroup, usesCgroup } from './cgroup.js';
import { startDelete } from './delete-path.js';
import { afterScratchChosen, applyAsked } from './hooks.js';
import { applies } from './variants.js';
import { scratchPathFor } from './scratch-path.js';
import { sandboxRefusal } from './sandbox.js';
import { SRC } from './sources.js';
import { enterCleanup } from './unwind.js';
import { putActor, withPhase } from './state.js';
import { takeBuildUser } from './user-lock.js';
import { disabled, next } from './step.js';
import type { BuildActor, ModelState, Step } from './types.js';
import type { DrvInfo } from './context.js';
import type { Asked } from './hooks.js';
import { focus, startDeletions } from './outputs.js';

/**
 * buildLocally makes the builder (makeDerivationBuilder, sandbox.ts) before startBuild takes a
 * user, so settings it refuses fail the build here, before any user, temp dir or scratch path.
 * Then SimpleUserLock::acquire: the first member of build-users-group whose userpool lock is free.
 */
export function acquireUser(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'acquireUser') return disabled('not acquiring a build user');
  const refused = sandboxRefusal(ctx, a);
  if (refused !== undefined) {
    // an Error (no BuildError) out of buildLocally: it leaves the goal, and only the output locks are released
    const outcome = { kind: 'failure' as const, failure: 'sandboxRefused' as const, message: refused.message };
    return next(enterCleanup(ctx, s, a, outcome), refused.message, [SRC.makeBuilder, ...refused.sources].join('; '));
  }
  const cgroups = usesCgroup(ctx, drvOf(ctx, a.drv));
  if (ctx.scenario.settings.buildUsers === 0) {
    const note = 'no build users: builder runs as the daemon (root)';
    return cgroups ? withCgroup(ctx, s, { ...a, uid: 0 }, note) : next(putActor(s, withPhase({ ...a, uid: 0 }, { kind: 'createTempDir' })), note, SRC.getBuildUser);
  }
  // with a cgroup, prepareUser's killSandbox destroys the cgroup and kills no process of the uid (linux-derivation-builder.cc l.822-834)
  const took = takeBuildUser(ctx, s, a.id, !cgroups);
  if (took === undefined) return disabled('waiting for a free build user ID');
  const { state, uid, killed } = took;
  const note = `build user ${userName(ctx, uid)} (uid ${String(uid)})${killed ? `; killed ${String(killed)} stray process(es)` : ''}`;
  if (cgroups) return withCgroup(ctx, state, { ...a, uid }, note);
  return next(putActor(state, withPhase({ ...a, uid }, { kind: 'createTempDir' })), note, SRC.getBuildUser);
}

/**
 * ChrootLinuxDerivationBuilder::prepareUser with use-cgroups (cgroup.ts): the cgroup is named, the
 * one recorded for the uid destroyed, the new one recorded. Its Error (a leftover that is no cgroup,
 * or one that cannot be removed) leaves startBuild and the goal, as the build-dir check's does.
 */
function withCgroup(ctx: Ctx, s: ModelState, a: BuildActor & { readonly uid: number }, userNote: string): Step {
  const r = prepareUserCgroup(ctx, a, a.uid);
  const note = [userNote, ...r.notes].join('; ');
  const b: BuildActor = { ...a, cgroup: r.cgroup };
  if (r.error !== undefined) {
    // no builder was started, so the destructor's killChild kills nothing: the actor takes no cgroup into cleanup
    const outcome = { kind: 'failure' as const, failure: 'sysError' as const, message: r.error };
    return next(enterCleanup(ctx, s, a, outcome), `${note}; ${r.error}`, `${SRC.getBuildUser}; ${SRC.cgroupPrepareUser}`);
  }
  return next(putActor(s, withPhase(b, { kind: 'createTempDir' })), note, `${SRC.getBuildUser}; ${SRC.cgroupPrepareUser}`);
}

export function createTempDir(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'createTempDir') return disabled('not creating the temp dir');
  const unsafe = unsafeBuildDir(ctx);
  if (unsafe !== undefined) {
    // an Error out of startBuild (not a BuildError): the goal fails before any temp dir or builder exists
    const message = `Path '${unsafe}' is world-writable or a symlink. That's not allowed for security.`;
    return next(enterCleanup(ctx, s, a, { kind: 'failure', failure: 'unsafeBuildDir', message }), message, SRC.checkNotWorldWritable);
  }
  const tmpDir = `${BUILD_DIR}/nix-${String(s.tmpCounter)}`;
  const r = ctx.fs.mkdir(ctx.daemon, tmpDir, 0o700);
  if (!r.ok) {
    // a SysError out of startBuild: the goal fails before any builder exists
    const message = `creating directory '${tmpDir}': ${r.error.errno}`;
    const outcome = { kind: 'failure' as const, failure: 'sysError' as const, message, errno: r.error.errno };
    return next(enterCleanup(ctx, s, a, outcome), message, SRC.createTempDir);
  }
  const nextPhase = a.uid === 0 ? { kind: 'prepareScratch' as const } : { kind: 'chownToBuilder' as const };
  return next(putActor({ ...s, tmpCounter: s.tmpCounter + 1 }, withPhase({ ...a, tmpDir }, nextPhase)), `temp dir ${tmpDir}`, SRC.createTempDir);
}

export function chownToBuilder(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'chownToBuilder' || a.tmpDir === undefined || a.uid === undefined) return disabled('not chowning');
  ctx.fs.chown(ctx.daemon, a.tmpDir, a.uid, buildGid(ctx, drvOf(ctx, a.drv), a.uid));
  return next(putActor(s, withPhase(a, { kind: 'prepareScratch' })), `chown ${a.tmpDir} to the builder`, SRC.chownToBuilder);
}

/**
 * The scratch paths (derivation-builder.cc l.772-824): the ternary (scratch-path.ts), then for a known output whose
 * scratch path differs from it (a --check of a valid output) "Ensure scratch path is ours to use"
 * (l.815, deletePath of the store path) and the redirection that cleanupBuild(true) undoes. A
 * floating CA output with no known path `continue`s before that deletion (l.805). Designs act here
 * through the afterScratchChosen hook (hooks.ts): temp roots, daemon fs calls, one deletion.
 */
export function prepareScratch(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'prepareScratch') return disabled('not choosing scratch paths');
  const d = drvOf(ctx, a.drv);
  if (d.outputs && a.multi) return prepareAllScratch(ctx, s, a, d.outputs);
  const scratch = scratchPathFor(ctx, d, a.known, a.mode);
  const notes: string[] = [`$out = ${scratch}`];
  // the designs see the filesystem as the step begins (as waits.ts does when it checks their temp roots)
  const redirected = a.known !== undefined && a.known.path !== scratch;
  const designs = afterScratchChosen(ctx, s, a, d, scratch, redirected ? scratch : undefined);
  if (usesChroot(ctx, d)) {
    // prepareSandbox (derivation-builder.cc startBuild l.830): deletePath(chrootParentDir) first, then a fresh 0700 chroot
    prepareSandbox(ctx, d, a.uid !== undefined && a.uid !== 0 ? a.uid : undefined);
    notes.push(`fresh chroot ${chrootParent(d)} (0700; the builder's / is its root/)`);
  }
  const applied = applyAsked(ctx, s, a.id, designs);
  const st = applied.state;
  notes.push(...applied.notes);
  if (usesChroot(ctx, d) && a.cgroup !== undefined && a.uid !== undefined) {
    const made = createCgroup(ctx, d, a.cgroup, a.uid);
    if (made.error !== undefined) {
      // a SysError out of prepareSandbox: the chroot is made and the scratch path chosen, so cleanupBuild tears the chroot
      // down. (A --check's "ensure scratch path is ours" deletion, which upstream ran before, is not started here.)
      const outcome = { kind: 'failure' as const, failure: 'sysError' as const, message: made.error.message, errno: made.error.errno };
      // no builder was started (pid == -1), so killChild kills nothing and the cgroup there is left alone: no `cgroup` in cleanup
      const { cgroup: _notOurs, ...rest } = a;
      const failed: BuildActor = { ...rest, scratch, ...(redirected ? { redirected } : {}) };
      return next(enterCleanup(ctx, st, failed, outcome), [...notes, made.error.message].join('; '), `${SRC.scratchPaths}; ${SRC.prepareSandbox}; ${SRC.cgroupCreate}`);
    }
    notes.push(...made.notes);
  }
  let job;
  if (redirected && a.known) {
    job = startDelete(scratch);
    notes.push(`ensure scratch path is ours: deletePath '${scratch}' (redirected from ${a.known.path})`);
  } else if (designs.deletePath !== undefined) {
    // the planted bug makes a design's deletion follow a symlink at its top (tests only)
    job = startDelete(designs.deletePath, applies(ctx.variant, 'bug-delete-follows-symlinks'));
  }
  notes.push(...applied.deleteNotes);
  // an empty builder program exits 0 at once (the shell with nothing to do)
  const first = d.spec.program.length === 0 ? { kind: 'builderExit' as const, status: 0 } : { kind: 'building' as const, pc: 0, lastStatus: 0 };
  const building: BuildActor = {
    ...withPhase({ ...a, scratch, ...(redirected ? { redirected } : {}) }, first),
    ...(job ? { job } : {}),
  };
  const sandboxSource = a.cgroup !== undefined ? `${SRC.scratchPaths}; ${SRC.prepareSandbox}; ${SRC.cgroupCreate}` : `${SRC.scratchPaths}; ${SRC.prepareSandbox}`;
  return next(putActor(st, building), notes.join('; '), usesChroot(ctx, d) ? sandboxSource : SRC.scratchPaths);
}

/** One output's turn in startBuild's scratch-path loop: its scratch path and what the designs ask there. */
interface ScratchChoice {
  readonly view: DrvInfo;
  readonly at: BuildActor;
  readonly scratch: string;
  readonly redirected: boolean;
  readonly designs: Asked;
}

/** The scratch-path loop's choice for every output of a multi-output build, in drv.outputs order. */
export function scratchChoices(ctx: Ctx, s: ModelState, a: BuildActor, views: readonly DrvInfo[]): ScratchChoice[] {
  return views.map((view, i) => {
    const at = focus(a, i);
    const scratch = scratchPathFor(ctx, view, at.known, at.mode);
    const redirected = at.known !== undefined && at.known.path !== scratch;
    return { view, at, scratch, redirected, designs: afterScratchChosen(ctx, s, at, view, scratch, redirected ? scratch : undefined) };
  });
}

/**
 * startBuild's loop over the outputs (derivation-builder.cc l.772-825) for a multi-output build
 * (never a chroot: the scenario checker refuses one): each output's scratch path by the ternary,
 * and for a known output built elsewhere (a valid one, whose fallback path is used, l.797)
 * "Ensure scratch path is ours to use" (l.815) and the redirection. The deletions run one after
 * another, as the loop runs them; the designs' temp roots and calls are applied as the step begins.
 */
function prepareAllScratch(ctx: Ctx, s: ModelState, a: BuildActor, views: readonly DrvInfo[]): Step {
  let st = s;
  let b = a;
  const notes: string[] = [];
  const deletions: string[] = [];
  scratchChoices(ctx, s, a, views).forEach((c, i) => {
    const applied = applyAsked(ctx, st, a.id, c.designs);
    st = applied.state;
    notes.push(`$${c.view.output} = ${c.scratch}`, ...applied.notes);
    if (c.redirected && c.at.known) {
      deletions.push(c.scratch);
      notes.push(`ensure scratch path is ours: deletePath '${c.scratch}' (redirected from ${c.at.known.path})`);
    } else if (c.designs.deletePath !== undefined) deletions.push(c.designs.deletePath);
    notes.push(...applied.deleteNotes);
    const here = focus(b, i);
    b = { ...here, scratch: c.scratch, ...(c.redirected ? { redirected: true } : {}) };
  });
  const d = drvOf(ctx, a.drv);
  const first = d.spec.program.length === 0 ? { kind: 'builderExit' as const, status: 0 } : { kind: 'building' as const, pc: 0, lastStatus: 0 };
  const building = startDeletions(withPhase(focus(b, 0), first), deletions);
  return next(putActor(st, building), notes.join('; '), `${SRC.scratchLoop}; ${SRC.scratchPaths}`);
}
