/**
 * Nix: what runs when a build ends, made explicit. On failure or interrupt the builder is destroyed
 * (cleanupOnDestruction: killChild, cleanupBuild(false)) and only then ~PathLocks releases the
 * output locks without deleting their files. On success cleanupBuild(true) runs and the lock
 * files are deleted (setDeletion(true)). Neither path touches a floating CA scratch output:
 * only the variant cleanup-deletes-scratch does.
 */
import type { Ctx } from './context.js';
import { chrootParent, drvOf, realScratch, usesChroot } from './context.js';
import { deletePathAll, startDelete } from './delete-path.js';
import { SRC } from './sources.js';
import { putActor, releaseAll, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuildActor, BuildOutcome, CleanupStep, ModelState, Step } from './types.js';

function at(s: ModelState, a: BuildActor, outcome: BuildOutcome, step: CleanupStep, note: string, source: string, job?: string): Step {
  const base = withPhase(a, { kind: 'cleanup', outcome, step });
  return next(putActor(s, job ? { ...base, job: startDelete(job) } : base), note, source);
}

export function cleanupBuild(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'cleanup' || a.job) return disabled('not cleaning up');
  const { outcome, step } = a.phase;
  const fs = ctx.fs;
  switch (step) {
    case 'killChild': {
      // killChild -> killSandbox -> killUser(uid): every process of the build uid, orphans included
      const st: ModelState = a.uid === undefined || a.uid === 0 ? s : { ...s, orphans: s.orphans.filter((o) => o.uid !== a.uid) };
      // AutoDelete of the hash-rewrite store temp dir runs while the goal unwinds (rewrite-in-store-temp-dir)
      if (a.rewriteTmp) deletePathAll(fs, ctx.daemon, a.rewriteTmp);
      if (a.tmpDir === undefined) return afterTmpDir(ctx, st, a, outcome);
      fs.chmod(ctx.daemon, a.tmpDir, 0o000);
      const keep = ctx.scenario.settings.keepFailed && outcome.kind !== 'success';
      if (keep) {
        fs.chmod(ctx.daemon, a.tmpDir, 0o755);
        return at(st, a, outcome, 'removeTmpDir', `note: keeping build directory '${a.tmpDir}'`, SRC.cleanupBuild);
      }
      return at(st, a, outcome, 'removeTmpDir', `killChild; chmod ${a.tmpDir} 0000; deleting it`, SRC.cleanupBuild, a.tmpDir);
    }
    case 'removeTmpDir':
      return afterTmpDir(ctx, s, a, outcome);
    case 'deleteScratch':
    case 'release':
      return release(ctx, s, a, outcome);
  }
}

/** After the temp dir: the variant cleanup-deletes-scratch deletes an unregistered floating CA scratch output. */
function afterTmpDir(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  const d = drvOf(ctx, a.drv);
  const scratch = a.scratch;
  if (
    ctx.variant.has('cleanup-deletes-scratch') &&
    outcome.kind !== 'success' &&
    d.spec.kind === 'ca-floating' &&
    scratch !== undefined &&
    !s.valid[scratch]
  ) {
    const real = realScratch(ctx, d, scratch);
    return at(s, a, outcome, 'deleteScratch', `deleting unregistered scratch output '${scratch}' [cleanup-deletes-scratch]`, SRC.cleanupBuild, real);
  }
  return release(ctx, s, a, outcome);
}

/** The builder object goes (build user released), then ~PathLocks: lock files deleted only on success. */
function release(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): Step {
  const d = drvOf(ctx, a.drv);
  // chroot-derivation-builder.cc cleanupBuild (l.175): autoDelChroot.reset() on success and failure alike
  if (usesChroot(ctx) && a.scratch !== undefined) deletePathAll(ctx.fs, ctx.daemon, chrootParent(d));
  if (outcome.kind === 'success') ctx.fs.unlink(ctx.daemon, d.lockPath);
  const st = releaseAll(s, a.id);
  const note = outcome.kind === 'success' ? `unlock and delete ${d.lockPath}; release build user` : `unlock ${d.lockPath} (file kept); release build user`;
  return next(putActor(st, withPhase(a, { kind: 'done', outcome })), note, SRC.unlockOutputs);
}
