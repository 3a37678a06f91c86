/**
 * The worker's build deadlines as a fault source: `timeout` (build-timeout) and `max-silent-time`.
 * After each poll Worker::waitForInput (worker.cc l.499-508) checks every child goal still busy
 * against both deadlines and hands an expired one a TimedOut event; that event flushes whatever
 * else was pending, the builder's EOF included (goal.cc pushChildEvent, l.32-37). buildLocally
 * then kills the builder itself (killChild: SIGKILL to its process group, then killUser of the build
 * user; derivation-builder.cc l.525-536) and ends the goal with doneFailure(TimedOut)
 * (derivation-building-goal.cc l.959-961). No exception leaves the goal: leaving the coroutine
 * destroys `builder`, whose deleter runs cleanupOnDestruction (derivation-builder.cc l.140:
 * killChild again, now a no-op, then cleanupBuild(false)), and the output locks are released with
 * their files kept. So a timeout is a build failure, not an interrupt, but its cleanup is the
 * destructor's, as an interrupt's is, and nothing is registered.
 *
 * The model has no clock: with a deadline set, it may expire whenever the worker checks it, that
 * is, while the builder runs, or once it has exited and before its EOF is handled.
 */
import type { Ctx } from './context.js';
import { SRC } from './sources.js';
import { disabled, next } from './step.js';
import { enterCleanup } from './unwind.js';
import type { BuildActor, ModelState, Step } from './types.js';

/** The child is registered with the worker (childStarted) and its EOF not yet handled. */
export function canTimeOut(ctx: Ctx, a: BuildActor): boolean {
  if (ctx.scenario.settings.buildDeadline === undefined) return false;
  return (a.phase.kind === 'building' && !a.job) || a.phase.kind === 'builderExit';
}

export function timeout(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canTimeOut(ctx, a)) return disabled(ctx.scenario.settings.buildDeadline === undefined ? 'no build deadline is set' : 'the worker is not waiting for this builder');
  const deadline = ctx.scenario.settings.buildDeadline ?? 'timeout';
  const message = `${deadline} expired: timed out after N seconds`;
  const st = enterCleanup(ctx, { ...s, faultsUsed: s.faultsUsed + 1 }, a, { kind: 'failure', failure: 'timedOut', message });
  const exited = a.phase.kind === 'builderExit' ? ' (the builder had exited; its EOF is dropped)' : '';
  return next(st, `${deadline} expired${exited}: killChild, goal fails with TimedOut`, SRC.timedOut);
}
