/**
 * How a build leaves its work for cleanup. When an exception (an interrupt, a SysError, a
 * BuildError) leaves registerOutputs, the destructors of its loop's locals run first, innermost
 * first (derivation-builder.cc @2.34.8): ~PathLocks of the final-path lock, which was told to
 * delete its file (setDeletion(true), l.1846; pathlocks.cc PathLocks::unlock l.133 ->
 * deleteLockFile l.28), then ~AutoDelete of the hash rewrite's store temp dir (derivation-builder.cc l.1602). Only
 * then does the goal's own cleanup start. A crash runs none of this.
 */
import type { Ctx } from './context.js';
import { deletePathAll } from './delete-path.js';
import { putActor, withPhase } from './state.js';
import type { BuildActor, BuildOutcome, ModelState } from './types.js';

function unwindRegisterOutputs(ctx: Ctx, s: ModelState, a: BuildActor): { state: ModelState; actor: BuildActor } {
  const { finalLock, rewriteTmp, ...rest } = a;
  let state = s;
  if (finalLock !== undefined) {
    ctx.fs.unlink(ctx.daemon, finalLock);
    const { [finalLock]: _released, ...locks } = state.locks;
    state = { ...state, locks };
  }
  if (rewriteTmp !== undefined) deletePathAll(ctx.fs, ctx.daemon, rewriteTmp);
  return { state, actor: rest };
}

/** The build stops its work with `outcome` and starts cleaning up (cleanup-build.ts). */
export function enterCleanup(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome): ModelState {
  const { job: _abandoned, ...b0 } = a;
  // a loop's deletions still queued are abandoned with it (the loop over outputs is left by the exception)
  const { queue: _queued, ...multi } = b0.multi ?? { slots: [], cur: 0 };
  const b = b0.multi ? { ...b0, multi } : b0;
  const unwound = outcome.kind !== 'success' && a.phase.kind === 'registering' ? unwindRegisterOutputs(ctx, s, b) : { state: s, actor: b };
  return putActor(unwound.state, withPhase(unwound.actor, { kind: 'cleanup', outcome, step: 'killChild' }));
}
