/**
 * One step of whichever deletePath a build is in the middle of, and what the build does when it
 * finishes: the caller of deletePath decides, as in upstream (a SysError escapes the goal).
 */
import type { FsError } from '../fs/index.js';
import type { Ctx } from './context.js';
import { deletePathStep as step1 } from './delete-path.js';
import { SRC } from './sources.js';
import { enterCleanup } from './unwind.js';
import { nextQueued } from './outputs.js';
import { putActor, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuildActor, ModelState, Step } from './types.js';

function sysError(ctx: Ctx, s: ModelState, a: BuildActor, e: FsError): ModelState {
  const message = `cannot unlink '${e.path}': ${e.errno}`;
  return enterCleanup(ctx, s, a, { kind: 'failure', failure: 'sysError', message, errno: e.errno });
}

export function deletePathStep(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  const job = a.job;
  if (!job) return disabled('no deletion under way');
  const p = step1(ctx.fs, ctx.daemon, job);
  if (p.kind === 'stepped') return next(putActor(s, { ...a, job: p.job }), `deletePath ${job.root}`, SRC.deletePath);
  const { job: _done, ...rest } = a;
  const done: BuildActor = rest;
  if (p.error && done.phase.kind !== 'cleanup') return next(sysError(ctx, s, done, p.error), `deletePath ${job.root} failed: ${p.error.errno}`, SRC.deletePath);
  // a loop over outputs goes on with its next deletion, in the same phase
  const after = nextQueued(done) ?? continuation(done);
  return next(putActor(s, after), `deleted ${job.root}`, SRC.deletePath);
}

/** Where a build goes once its deletion is complete (registering and prepareScratch resume at their next event). */
function continuation(a: BuildActor): BuildActor {
  switch (a.phase.kind) {
    case 'deleteInvalidOutputs':
      return withPhase(a, { kind: 'acquireUser' });
    default:
      // cleanup goes on from its step, building (the variant's stale-scratch deletion) and registering at their next event
      return a;
  }
}
