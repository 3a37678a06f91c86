/**
 * Faults, each a way a build can stop early. An interrupt (client Ctrl-C or hang-up: MonitorFdHup
 * -> triggerInterrupt) stops the goal at the next upstream check point (interrupt-points.ts), and
 * its destructors run the cleanup. A crash (SIGKILL of the daemon worker) can land anywhere and runs
 * nothing: the kernel drops its flocks; on Linux the builder dies with it (PR_SET_PDEATHSIG), on
 * macOS it keeps running (builderFate). A builder failure is a non-zero exit at that point.
 */
import { killAutoGcOf } from './auto-gc.js';
import type { Ctx } from './context.js';
import { drvOf, usesChroot } from './context.js';
import { SRC } from './sources.js';
import { scratchesOf } from './run-builder.js';
import { enterCleanup } from './unwind.js';
import { interruptPoint } from './interrupt-points.js';
import { siblingsOf } from './keep-going.js';
import { putActor, releaseAll, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuildActor, FaultKind, ModelState, Orphan, Step } from './types.js';

function counted(s: ModelState): ModelState {
  return { ...s, faultsUsed: s.faultsUsed + 1 };
}

/**
 * An interrupt or a crash hits a whole daemon worker, so every top-level goal of the invocation
 * (keep-going.ts) at once; the model stops one build at a time, so exploration never offers either
 * as a free fault on such a goal. The scenario checker and the CLI refuse to script or ask for
 * them; this keeps every other path (the generated verdicts explore each scenario under every
 * fault model) from stopping one goal alone. The steps themselves stay, for tests that compare a
 * cancelled goal's cleanup with an interrupted one's.
 */
function inInvocation(ctx: Ctx, a: BuildActor): boolean {
  return siblingsOf(ctx, a.id).length > 0;
}

/** Only at an upstream check point (interrupt-points.ts). */
export function canInterrupt(ctx: Ctx, a: BuildActor): boolean {
  return interruptPoint(ctx, a) !== undefined;
}

export function canCrash(a: BuildActor): boolean {
  return a.phase.kind !== 'waiting' && a.phase.kind !== 'done';
}

/** Whether exploration may hit `a` with a free fault of `kind`. */
export function freeFaultAllowed(ctx: Ctx, kind: FaultKind, a: BuildActor): boolean {
  return (kind !== 'interrupt' && kind !== 'crash') || !inInvocation(ctx, a);
}

export function canFailBuilder(a: BuildActor): boolean {
  return a.phase.kind === 'building' && !a.job;
}

export function interrupt(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  const point = interruptPoint(ctx, a);
  if (point === undefined) return disabled('no check point: an interrupt would land later');
  const outcome = { kind: 'interrupted' as const, message: 'interrupted by the user' };
  return next(enterCleanup(ctx, counted(s), a, outcome), `SIGINT: goal destroyed at ${point}`, SRC.interrupt);
}

/**
 * What happens to a running builder when its daemon worker dies. macOS: the builder and everything
 * it started keep running, as any uid, root included (no death signal there). Linux: PR_SET_PDEATHSIG
 * kills the builder, and fork(2) does not pass it on, so a process the builder started (`spawn`)
 * survives; in a chroot the builder is PID 1 of its own PID namespace, whose death kills the rest.
 */
function builderFate(ctx: Ctx, a: BuildActor): { readonly orphan?: Orphan; readonly note: string; readonly source: string } | undefined {
  if (a.phase.kind !== 'building' || a.job || a.uid === undefined || a.scratch === undefined) return undefined;
  const { kind: _building, ...cursor } = a.phase;
  const scratches = scratchesOf(a);
  const orphan: Orphan = { id: `${a.id}~orphan`, drv: a.drv, uid: a.uid, scratch: a.scratch, ...(scratches ? { scratches } : {}), ...cursor };
  if (ctx.scenario.settings.platform === 'darwin') return { orphan, note: 'builder keeps running as its uid (macOS: no death signal)', source: SRC.noDeathSignal };
  if (usesChroot(ctx, drvOf(ctx, a.drv))) return { note: 'the builder dies (PR_SET_PDEATHSIG), and with it, PID 1 of its namespace, every process it started', source: `${SRC.pdeathsig}; ${SRC.pidNamespace}` };
  if (cursor.child !== true) return { note: 'the builder dies (PR_SET_PDEATHSIG)', source: SRC.pdeathsig };
  return { orphan, note: 'the builder dies (PR_SET_PDEATHSIG); the process it started keeps running as its uid', source: SRC.pdeathsig };
}

export function crash(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canCrash(a)) return disabled('not running');
  // SIGKILL ends every thread of the worker, the auto-GC it may be running (auto-gc.ts) included
  const gcs = killAutoGcOf(ctx, releaseAll(counted(s), a.id), a.id);
  let st = gcs.state;
  const fate = builderFate(ctx, a);
  if (fate?.orphan) st = { ...st, orphans: [...st.orphans, fate.orphan] };
  // the store temp dir's lock dies with the process: GC may take it (gc.cc: tmp- dirs whose lock is free)
  const { job: _dropped, rewriteTmp: _unlocked, ...rest } = a;
  const threads = gcs.killed.length > 0 ? `; its auto-GC thread (${gcs.killed.join(', ')}) dies with it` : '';
  const note = (fate ? `daemon worker killed; ${fate.note}` : 'daemon worker killed; nothing cleaned up') + threads;
  const source = [fate ? `${SRC.crash}; ${fate.source}` : SRC.crash, ...(gcs.killed.length > 0 ? [SRC.autoGcKilled] : [])].join('; ');
  return next(putActor(st, withPhase(rest, { kind: 'done', outcome: { kind: 'crashed' } })), note, source);
}

export function builderFailure(_ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (!canFailBuilder(a)) return disabled('builder not running');
  return next(putActor(counted(s), withPhase(a, { kind: 'builderExit', status: 1 })), 'builder killed / exits 1', SRC.builderFailure);
}
