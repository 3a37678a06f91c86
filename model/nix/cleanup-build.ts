/**
 * Nix: what runs when a build ends, made explicit (derivation-builder.cc @2.34.8). The processes
 * of the build user are killed (killSandbox), then cleanupBuild runs: first the designs' cleanupBuild
 * hook (hooks.ts; cleanup-deletes-scratch deletes an unregistered floating CA scratch output there,
 * where its patch puts it), then the temp dir is chmod 0000 and
 * deleted (or kept, under keep-failed, when the build did not succeed), then a chroot is deleted
 * (ChrootDerivationBuilder::cleanupBuild). Last, the builder goes (its build user is released) and
 * the goal's output locks are released, their files deleted only on success (setDeletion(true)).
 * Who runs this depends on how the build ended: unprepareBuild for a builder that exited (non-zero:
 * cleanupBuild(false); success: cleanupBuild(true)), the builder's destructor otherwise.
 * A redirected output (the hash-rewrite fallback path of a --check) is deleted on success only
 * (cleanupBuild(true), l.2004-2008).
 */
import type { Ctx } from './context.js';
import { drvOf, outputViews, usesChroot } from './context.js';
import { focus, slotsOf, startDeletions } from './outputs.js';
import { looksForFailedOutput, teardownChroot } from './chroot.js';
import { destroyCgroup } from './cgroup.js';
import { startDelete } from './delete-path.js';
import type { CleanupOutcome } from './design.js';
import { applyAsked, atCleanup } from './hooks.js';
import { SRC } from './sources.js';
import { putActor, releaseAll, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuildActor, BuildOutcome, CleanupStep, ModelState, Step } from './types.js';

function at(s: ModelState, a: BuildActor, outcome: BuildOutcome, step: CleanupStep, note: string, source: string, job?: string): Step {
  const base = withPhase(a, { kind: 'cleanup', outcome, step });
  return next(putActor(s, job ? { ...base, job: startDelete(job) } : base), note, source);
}

/** Who starts the cleanup: unprepareBuild when the builder exited, the builder's destructor otherwise. */
function startedBy(outcome: BuildOutcome): string {
  if (outcome.kind === 'success') return SRC.cleanupAfterSuccess;
  if (outcome.kind === 'failure' && outcome.failure === 'builderFailed') return SRC.cleanupAfterBuilderFailure;
  return SRC.cleanupOnDestruction;
}

export function cleanupBuild(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'cleanup' || a.job) return disabled('not cleaning up');
  const { outcome, step } = a.phase;
  switch (step) {
    case 'killChild': {
      if (a.cgroup !== undefined) return killCgroup(ctx, s, a, a.cgroup, outcome);
      // killSandbox -> killUser(uid): every process of the build uid, orphans of crashed builds included
      const st: ModelState = a.uid === undefined || a.uid === 0 ? s : { ...s, orphans: s.orphans.filter((o) => o.uid !== a.uid) };
      return afterKill(ctx, st, a, outcome);
    }
    case 'deleteScratch':
    case 'deleteRedirected':
      return tmpDir(ctx, s, a, outcome, SRC.cleanupBuild);
    case 'removeTmpDir':
      return afterTmpDir(ctx, s, a, outcome);
    case 'release':
      return release(ctx, s, a, outcome);
  }
}

/**
 * With a cgroup, killSandbox is destroyCgroup (linux-derivation-builder.cc l.822-834), not killUser:
 * a process of the uid outside the cgroup lives on. Upstream's killChild runs it only for a started
 * builder; the model runs it whenever the build takes a cgroup into cleanup, which changes nothing:
 * the cgroup is made in the step that starts the builder, so before that step there is none to
 * destroy, and a build whose mkdir failed takes none (start-build.ts). An Error here is swallowed
 * (ignoreExceptionInDestructor) or follows a failure already, so the cleanup goes on.
 */
function killCgroup(ctx: Ctx, s: ModelState, a: BuildActor, cgroup: string, outcome: BuildOutcome): Step {
  const r = destroyCgroup(ctx, cgroup);
  if (r.notes.length === 0 && r.error === undefined) return afterKill(ctx, s, a, outcome);
  const note = [...r.notes, ...(r.error !== undefined ? [r.error] : [])].join('; ');
  const after = afterKill(ctx, s, a, outcome);
  if (after.kind !== 'next') return after;
  return next(after.effect.state, `${note}; ${after.effect.note}`, `${SRC.cgroupDestroy}; ${after.effect.source}`);
}

/** The rest of the killChild step, after the build's processes are gone: the designs' hook, the redirected outputs, the temp dir. */
function afterKill(ctx: Ctx, st: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  if (a.multi) return startMultiCleanup(ctx, st, a, outcome);
  // the designs' cleanupBuild hook: one step of its own (CleanupStep 'deleteScratch') when a design asks for something
  const designs = atCleanup(ctx, st, a, drvOf(ctx, a.drv), cleanupOutcome(outcome));
  if (designs.results.length > 0) {
    const applied = applyAsked(ctx, st, a.id, designs);
    return at(applied.state, a, outcome, 'deleteScratch', [...applied.notes, ...applied.deleteNotes].join('; '), startedBy(outcome), designs.deletePath);
  }
  // cleanupBuild(true) first deletes the redirected outputs: only a build that succeeded does (derivation-builder.cc l.2004-2008)
  if (outcome.kind === 'success' && a.redirected && a.scratch !== undefined) {
    return at(st, a, outcome, 'deleteRedirected', `deleting redirected output '${a.scratch}'`, SRC.deleteRedirected, a.scratch);
  }
  return tmpDir(ctx, st, a, outcome, startedBy(outcome));
}

function cleanupOutcome(o: BuildOutcome): CleanupOutcome {
  return o.kind === 'failure' ? o.failure : o.kind;
}

/** derivation-builder.cc cleanupBuild (l.2010-2030): chmod 0000, then keep it (keep-failed, not forced) or deletePath(topTmpDir). */
function tmpDir(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome, source: string): Step {
  if (a.tmpDir === undefined) return afterTmpDir(ctx, s, a, outcome);
  ctx.fs.chmod(ctx.daemon, a.tmpDir, 0o000);
  if (ctx.scenario.settings.keepFailed && outcome.kind !== 'success') {
    ctx.fs.chmod(ctx.daemon, a.tmpDir, 0o755);
    return at(s, a, outcome, 'removeTmpDir', `note: keeping build directory '${a.tmpDir}'`, source);
  }
  return at(s, a, outcome, 'removeTmpDir', `chmod ${a.tmpDir} 0000; deleting it`, source, a.tmpDir);
}

/**
 * chroot-derivation-builder.cc ChrootDerivationBuilder::cleanupBuild (l.157-176), on success and failure alike: on failure a known
 * output that is not valid is first moved out of the chroot, then autoDelChroot.reset() (l.175).
 */
function afterTmpDir(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  const d = drvOf(ctx, a.drv);
  if (!usesChroot(ctx, d) || a.scratch === undefined) return release(ctx, s, a, outcome);
  const notes = teardownChroot(ctx, d, a, outcome);
  return at(s, a, outcome, 'release', notes.join('; '), ctx.scenario.settings.divertedStore === true && looksForFailedOutput(a, outcome) ? SRC.chrootCleanupDiverted : SRC.chrootCleanup);
}

/** The builder object goes (build user released), then ~PathLocks: lock files deleted only on success. */
function release(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  const d = drvOf(ctx, a.drv);
  // every output's lock (the goal's outputLocks)
  const locks = outputViews(d).map((o) => o.lockPath);
  if (outcome.kind === 'success') for (const l of locks) ctx.fs.unlink(ctx.daemon, l);
  const st = releaseAll(s, a.id);
  const names = locks.join(', ');
  const note = outcome.kind === 'success' ? `unlock and delete ${names}; release build user` : `unlock ${names} (file${locks.length > 1 ? 's' : ''} kept); release build user`;
  return next(putActor(st, withPhase(a, { kind: 'done', outcome })), note, SRC.unlockOutputs);
}

/**
 * The start of cleanupBuild for a multi-output build: the designs' hook for each output (their
 * deletions one after another), else on success cleanupBuild(true)'s loop over every redirected
 * output (derivation-builder.cc l.2004-2008), else the temp dir.
 */
function startMultiCleanup(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  const d = drvOf(ctx, a.drv);
  let st = s;
  const notes: string[] = [];
  const deletions: string[] = [];
  let asked = false;
  outputViews(d).forEach((view, i) => {
    const designs = atCleanup(ctx, st, focus(a, i), view, cleanupOutcome(outcome));
    if (designs.results.length === 0) return;
    asked = true;
    const applied = applyAsked(ctx, st, a.id, designs);
    st = applied.state;
    notes.push(...applied.notes, ...applied.deleteNotes);
    if (designs.deletePath !== undefined) deletions.push(designs.deletePath);
  });
  const cleaning = (step: CleanupStep, paths: readonly string[]): BuildActor => startDeletions(withPhase(a, { kind: 'cleanup', outcome, step }), paths);
  if (asked) return next(putActor(st, cleaning('deleteScratch', deletions)), notes.join('; '), startedBy(outcome));
  const redirected = outcome.kind === 'success' ? slotsOf(a).flatMap((o) => (o.redirected && o.scratch !== undefined ? [o.scratch] : [])) : [];
  if (redirected.length > 0) {
    const note = redirected.map((p) => `deleting redirected output '${p}'`).join('; ');
    return next(putActor(st, cleaning('deleteRedirected', redirected)), note, SRC.deleteRedirected);
  }
  return tmpDir(ctx, st, a, outcome, startedBy(outcome));
}
