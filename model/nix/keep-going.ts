/**
 * keep-going = false (the default) across the top-level goals of one client invocation
 * (`nix-build a.drv b.drv`: one daemon worker, one Worker, scenario field `invocations`).
 *
 * When a top-level goal fails, Worker::removeGoal clears every other top-level goal
 * (worker.cc l.197-198) and Worker::run stops (l.365-366, l.370). The goals themselves die with
 * Store::buildPaths' `goals` set (entry-points.cc l.14) on its way out: each coroutine frame is
 * destroyed where it is suspended, and a builder it made goes with it, through cleanupOnDestruction
 * (derivation-builder.cc l.140): killChild, then cleanupBuild(false), the destructor path an
 * interrupt takes too. The goal's BuildResult stays the default, exitCode ecBusy, as buildPathsWithResults
 * says of "cancelled" goals (entry-points.cc l.68-71).
 *
 * A goal is suspended only at a co_await the worker loop resumes (derivation-building-goal.cc):
 * before its first lockPaths (co_await yield(), l.174) and while the lock is held elsewhere
 * (waitForAWhile, l.412); before the builder is made and while no build user is free (yield, l.785;
 * waitForAWhile, l.928); and while the builder runs or its EOF is pending (WaitForChildEvent,
 * l.944). The worker loop checks for an interrupt before it resumes any goal (worker.cc l.346,
 * l.363), so these are interrupt points too (interrupt-points.ts); the tests check it.
 *
 * Where the model is wider than upstream: cancel is a choice, not forced. Upstream cancels a goal
 * at the suspension point it is at when the sibling's top-level goal fails, or, if the worker had
 * already woken it in that round of its loop, at its next one. The model lets a goal go on past
 * the failure and be cancelled at any later suspension point, or finish. Its runs include
 * upstream's, so a ✓ covers every place a cancellation can land.
 */
import type { Ctx } from './context.js';
import { SRC } from './sources.js';
import { actorById } from './state.js';
import { disabled, next } from './step.js';
import { enterCleanup } from './unwind.js';
import type { BuildActor, ModelState, Step } from './types.js';

/** The other top-level goals of `id`'s invocation (none when it is its own client). */
export function siblingsOf(ctx: Ctx, id: string): readonly string[] {
  const group = (ctx.scenario.invocations ?? []).find((g) => g.includes(id));
  return group ? group.filter((x) => x !== id) : [];
}

/** The first sibling whose goal has failed, if any (a failure outcome, reached at `done`). */
export function failedSibling(ctx: Ctx, s: ModelState, a: BuildActor): string | undefined {
  return siblingsOf(ctx, a.id).find((id) => {
    const o = actorById(s, id);
    return o?.kind === 'build' && o.phase.kind === 'done' && o.phase.outcome.kind === 'failure';
  });
}

/** The co_await the goal of `a` is suspended at right now, or undefined if it is running. */
export function suspensionPoint(a: BuildActor): string | undefined {
  if (a.job) return undefined; // a deletion is the daemon's own work, run to its end or to an exception
  switch (a.phase.kind) {
    case 'lockOutputs':
      return SRC.suspendLockOutputs;
    case 'acquireUser':
      return SRC.suspendBuildUser;
    case 'building':
    case 'builderExit':
      return SRC.suspendChildEvent;
    // a goal that has not started is destroyed with nothing to clean up; the model starts it and cancels it at lockOutputs
    case 'waiting':
    case 'deleteInvalidOutputs':
    case 'createTempDir':
    case 'chownToBuilder':
    case 'prepareScratch':
    case 'registering':
    case 'cleanup':
    case 'done':
      return undefined;
  }
}

export function canCancel(ctx: Ctx, s: ModelState, a: BuildActor): boolean {
  return suspensionPoint(a) !== undefined && failedSibling(ctx, s, a) !== undefined;
}

/** The goal is destroyed where it is suspended: the destructor cleanup an interrupt runs (unwind.ts, cleanup-build.ts). */
export function cancel(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  const failed = failedSibling(ctx, s, a);
  if (failed === undefined) return disabled('no other goal of this invocation has failed');
  const point = suspensionPoint(a);
  if (point === undefined) return disabled('the goal is running, not suspended: it is cancelled at its next suspension point');
  const outcome = { kind: 'cancelled' as const, message: `cancelled: ${failed} failed (keep-going = false)` };
  return next(enterCleanup(ctx, s, a, outcome), `keep-going = false: ${failed} failed, goal destroyed at ${point}`, SRC.cancel);
}
