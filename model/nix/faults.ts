/**
 * Faults, each a way a build can stop early. An interrupt (client Ctrl-C or hang-up: MonitorFdHup
 * -> triggerInterrupt; checkInterrupt throws at the next check point) destroys the goal, which runs
 * the destructor cleanup. A crash (SIGKILL of the daemon worker) runs nothing: the kernel drops its
 * flocks; on Linux the builder dies with it (PR_SET_PDEATHSIG), on macOS it keeps running.
 * A builder failure is a non-zero exit at that point.
 */
import type { Ctx } from './context.js';
import { SRC } from './sources.js';
import { putActor, releaseAll, withPhase } from './state.js';
import { disabled, next } from './step.js';
import { BUILD_PHASES } from './types.js';
import type { BuildActor, ModelState, Step } from './types.js';

/** A goal exists and its destructors have not started: every phase but the first and the last two. */
const INTERRUPTIBLE: ReadonlySet<string> = new Set(BUILD_PHASES.filter((p) => p !== 'waiting' && p !== 'cleanup' && p !== 'done'));

function counted(s: ModelState): ModelState {
  return { ...s, faultsUsed: s.faultsUsed + 1 };
}

export function canInterrupt(a: BuildActor): boolean {
  return INTERRUPTIBLE.has(a.phase.kind);
}

export function canCrash(a: BuildActor): boolean {
  return a.phase.kind !== 'waiting' && a.phase.kind !== 'done';
}

export function canFailBuilder(a: BuildActor): boolean {
  return a.phase.kind === 'building' && !a.job;
}

export function interrupt(_ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canInterrupt(a)) return disabled('nothing to interrupt');
  const { job: _dropped, ...rest } = a;
  const outcome = { kind: 'interrupted' as const, message: 'interrupted by the user' };
  return next(putActor(counted(s), withPhase(rest, { kind: 'cleanup', outcome, step: 'killChild' })), 'SIGINT: goal destroyed', SRC.interrupt);
}

export function crash(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canCrash(a)) return disabled('not running');
  let st = releaseAll(counted(s), a.id);
  const builderRunning = a.phase.kind === 'building' && !a.job && a.uid !== undefined && a.uid !== 0 && a.scratch !== undefined;
  const darwin = ctx.scenario.settings.platform === 'darwin';
  if (builderRunning && darwin && a.phase.kind === 'building' && a.uid !== undefined && a.scratch !== undefined) {
    st = { ...st, orphans: [...st.orphans, { id: `${a.id}~orphan`, drv: a.drv, uid: a.uid, scratch: a.scratch, pc: a.phase.pc }] };
  }
  // the store temp dir's lock dies with the process: GC may take it (gc.cc: tmp- dirs whose lock is free)
  const { job: _dropped, rewriteTmp: _unlocked, ...rest } = a;
  const note = builderRunning && darwin ? 'daemon worker killed; builder keeps running as its uid (macOS)' : 'daemon worker killed; nothing cleaned up';
  return next(putActor(st, withPhase(rest, { kind: 'done', outcome: { kind: 'crashed' } })), note, SRC.crash);
}

export function builderFailure(_ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canFailBuilder(a)) return disabled('builder not running');
  return next(putActor(counted(s), withPhase(a, { kind: 'builderExit', status: 1 })), 'builder killed / exits 1', SRC.builderFailure);
}
