/**
 * Which events can happen next. A build's own next event follows from its phase; faults are
 * extra choices (scripted ones forced at their point, free ones within the scenario's bounds).
 */
import { autoGcStartsNow, optionalEnd } from './auto-gc.js';
import type { Ctx } from './context.js';
import { canCrash, canFailBuilder, canInterrupt, freeFaultAllowed } from './faults.js';
import { canCancel } from './keep-going.js';
import { canTimeOut } from './timeout.js';
import { actorById, isDone, scriptedFaults } from './state.js';
import { waitingFor } from './waits.js';
import type { Actor, ActorSpec, BuildActor, BuildEventType, FaultKind, ModelEvent, ModelState } from './types.js';

/** The event a build takes next, from its phase (whether it is enabled is step()'s guard). */
export function nextBuildEvent(a: BuildActor): BuildEventType | 'start' | undefined {
  if (a.job) return 'deletePathStep';
  switch (a.phase.kind) {
    case 'waiting':
      return 'start';
    case 'lockOutputs':
      return 'lockOutputs';
    case 'deleteInvalidOutputs':
      return 'deletePathStep';
    case 'acquireUser':
      return 'acquireUser';
    case 'createTempDir':
      return 'createTempDir';
    case 'chownToBuilder':
      return 'chownToBuilder';
    case 'prepareScratch':
      return 'prepareScratch';
    case 'building':
      return 'builderAction';
    case 'builderExit':
      return 'builderExit';
    case 'registering':
      return 'registerOutputs';
    case 'cleanup':
      return 'cleanupBuild';
    case 'done':
      return undefined;
  }
}

function simpleEvent(a: Actor): ModelEvent['type'] | undefined {
  switch (a.kind) {
    case 'build':
      return undefined;
    case 'holdUser':
      return a.state === 'waiting' ? 'holdUser' : a.state === 'holding' ? 'releaseUser' : undefined;
    case 'pathInfo':
      return a.state === 'done' ? undefined : 'pathInfo';
    case 'storeDelete':
      return a.state === 'done' ? undefined : 'storeDelete';
    case 'gc':
      return a.state === 'done' ? undefined : 'gcStep';
    case 'setFlag':
    case 'clearFlag':
      return a.state === 'done' ? undefined : 'setFlag';
    case 'corrupt':
      return a.state === 'done' ? undefined : 'corrupt';
  }
}

/** Whether an actor whose turn it is must wait (waits.ts decides, for step() too). */
function blocked(ctx: Ctx, s: ModelState, a: Actor, spec: ActorSpec): boolean {
  return waitingFor(ctx, s, a, spec) !== undefined;
}

/** `after: [x]` waits for x to have done its part: finished, or, for a process holding a user, holding it. */
function partDone(a: Actor): boolean {
  return a.kind === 'holdUser' ? a.state !== 'waiting' : isDone(a);
}

/** Has `a` released the build user it took (afterUserRelease)? A build that never took one has not. */
function releasedUser(s: ModelState, a: Actor): boolean {
  const holds = Object.values(s.userLeases).includes(a.id);
  switch (a.kind) {
    case 'holdUser':
      return a.state === 'done';
    case 'build':
      return a.phase.kind === 'done' || (a.uid !== undefined && !holds);
    case 'pathInfo':
    case 'storeDelete':
    case 'gc':
    case 'setFlag':
    case 'clearFlag':
    case 'corrupt':
      return isDone(a);
  }
}

// module-level rather than a closure in depsDone: tsx and the bundle keep function names, which costs a call per closure made
function allDone(s: ModelState, ids: readonly string[] | undefined, test: (s: ModelState, a: Actor) => boolean): boolean {
  if (ids === undefined) return true;
  for (const id of ids) {
    const o = actorById(s, id);
    if (o === undefined || !test(s, o)) return false;
  }
  return true;
}

function depsDone(s: ModelState, spec: ActorSpec): boolean {
  // an auto-GC starts at its build's worker-loop point or not at all, so never without one (auto-gc.ts, as gcThreadStep decides)
  const placed = spec.kind === 'gc' && spec.autoGcOf !== undefined ? autoGcStartsNow(s, spec) : spec.during === undefined || atPoint(s, spec.during);
  return allDone(s, spec.after, (_, o) => partDone(o)) && allDone(s, spec.afterUserRelease, releasedUser) && placed;
}

/** Is build `d.actor` at (or past) the point where a `during` actor joins? */
function atPoint(s: ModelState, d: NonNullable<ActorSpec['during']>): boolean {
  const target = actorById(s, d.actor);
  if (target?.kind !== 'build') return false;
  const n = target.counts[d.before] ?? 0;
  return n > d.nth || (n === d.nth && nextBuildEvent(target) === d.before) || target.phase.kind === 'done';
}

/** A build waits while an actor placed `during` it, whose point has come, has not finished. */
function pausedBy(ctx: Ctx, s: ModelState, build: string): boolean {
  return ctx.scenario.actors.some((spec) => {
    if (spec.during?.actor !== build) return false;
    // an auto-GC is a thread beside the build's goal, not a command the build waits for
    if (spec.kind === 'gc' && spec.autoGcOf !== undefined) return false;
    const o = actorById(s, spec.id);
    // the build waits only while the joining actor can move: one blocked on this build's lock must not deadlock it
    const busy = o !== undefined && (o.kind === 'holdUser' ? o.state === 'waiting' : !isDone(o)) && !blocked(ctx, s, o, spec);
    const ready = (spec.afterUserRelease ?? []).every((id) => {
      const x = actorById(s, id);
      return x !== undefined && releasedUser(s, x);
    });
    return busy && ready && atPoint(s, spec.during) && (spec.after ?? []).every((id) => {
      const x = actorById(s, id);
      return x !== undefined && isDone(x);
    });
  });
}

function notStarted(a: Actor): boolean {
  return a.kind === 'build' ? a.phase.kind === 'waiting' : a.state === 'waiting';
}

export interface EnabledOptions {
  /** Free faults (exploration): kinds allowed, and whether the budget has room. */
  readonly freeFaults?: { readonly kinds: readonly FaultKind[]; readonly targets?: readonly string[]; readonly max: number };
}

function faultEnabled(ctx: Ctx, kind: FaultKind, a: BuildActor): boolean {
  if (!freeFaultAllowed(ctx, kind, a)) return false;
  switch (kind) {
    case 'interrupt':
      return canInterrupt(ctx, a);
    case 'crash':
      return canCrash(a);
    case 'builderFailure':
      return canFailBuilder(a);
    case 'timeout':
      return canTimeOut(ctx, a);
  }
}

/** Every event enabled in `s`, in a fixed order (actors in scenario order, then orphans). */
export function enabledEvents(ctx: Ctx, s: ModelState, opts: EnabledOptions = {}): ModelEvent[] {
  const out: ModelEvent[] = [];
  for (const spec of ctx.scenario.actors) {
    const a = actorById(s, spec.id);
    if (!a || isDone(a)) continue;
    if (notStarted(a) && !depsDone(s, spec)) continue;
    if (a.kind === 'build') {
      const type = nextBuildEvent(a);
      if (pausedBy(ctx, s, a.id)) continue;
      const scripted = scriptedFaults(spec).find((f) => type === f.before && (a.counts[f.before] ?? 0) === f.nth && faultEnabled(ctx, f.kind, a));
      if (scripted) {
        out.push({ type: scripted.kind, actor: a.id });
        continue; // the scripted fault lands exactly here
      }
      // keep-going = false: listed first, so a scripted run cancels at the first suspension point after the failure
      if (canCancel(ctx, s, a)) out.push({ type: 'cancel', actor: a.id });
      if (type && !blocked(ctx, s, a, spec)) out.push({ type, actor: a.id });
      const ff = opts.freeFaults;
      if (ff && s.faultsUsed < ff.max && (ff.targets === undefined || ff.targets.includes(a.id))) {
        for (const kind of ff.kinds) if (faultEnabled(ctx, kind, a)) out.push({ type: kind, actor: a.id });
      }
      continue;
    }
    const type = simpleEvent(a);
    if (type && !blocked(ctx, s, a, spec)) out.push({ type, actor: a.id });
    if (a.kind === 'gc' && optionalEnd(ctx, s, a) !== undefined) out.push({ type: 'gcStop', actor: a.id });
  }
  for (const o of s.orphans) out.push({ type: 'orphanAction', actor: o.id });
  return out;
}
