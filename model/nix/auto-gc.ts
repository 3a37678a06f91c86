/**
 * Nix: libstore/gc.cc LocalStore::autoGC @2.34.8, the automatic GC of `min-free` / `max-free`.
 * Worker::run calls autoGC(false) at the top of every loop iteration (worker.cc l.350), and while
 * min-free is set waitForInput wakes every 10 s to get there (l.419-423): so while a builder runs,
 * the daemon worker of that very build may start it. autoGC starts a detached thread running
 * collectGarbage (gc.cc l.854-886): the collector of collector.ts, in the build's own process.
 *
 * In one process it still sees what an outside `nix store gc` sees. flock locks belong to an open
 * file description (pathlocks.cc lockFile, l.53 and l.61): the thread opens its own GC lock
 * (gc.cc l.390-394), so the build's addTempRoot finds it taken and talks to the GC socket
 * (l.99), and it opens the process's temp-roots file afresh, so its non-blocking write lock fails
 * against the process's own and the roots are read, not discarded as stale (l.174-191).
 *
 * What does differ is how it ends, each end a case of AutoGcEnd:
 * - `killed`: SIGKILL of the worker (fault `crash`) ends every thread, the collector mid-deletion too;
 * - `interrupted`: an interrupt sets a process-wide flag (signals.cc l.65), so the thread's own
 *   checkInterrupt throws at its next check (gc.cc l.599, l.728; libutil/unix/file-system.cc _deletePath l.140, l.204) and
 *   autoGC swallows it (gc.cc l.881-885);
 * - `limitReached`: it stops once it freed more than max-free minus the free space
 *   (gc.cc l.567-570, l.871). The model has no sizes, so it may stop after any whole deletion;
 * - `processExit`: once the build is over, the worker exits when its client leaves, and a
 *   detached thread dies with it (gc.cc l.886), wherever it is.
 */
import { match } from 'ts-pattern';
import type { Ctx } from './context.js';
import { gcStep } from './collector.js';
import { nextBuildEvent } from './enabled.js';
import { SRC } from './sources.js';
import { actorById, putActor } from './state.js';
import { disabled, next } from './step.js';
import type { ActorSpec, BuildEventType, ModelState, SimpleActor, Step } from './types.js';

type Gc = Extract<SimpleActor, { kind: 'gc' }>;

/** Where the worker loop can call autoGC for a build: before its goal first works, and while its builder runs. */
export const AUTO_GC_POINTS: readonly BuildEventType[] = ['lockOutputs', 'builderAction', 'builderExit'];

/** Ways an auto-GC ends before it has collected everything (see the module comment). */
export type AutoGcEnd =
  | { readonly kind: 'killed' }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'limitReached' }
  | { readonly kind: 'processExit' };

/** The build whose daemon worker runs this gc actor as its auto-GC, if it is one. */
export function autoGcOwner(ctx: Ctx, id: string): string | undefined {
  const spec = ctx.scenario.actors.find((x) => x.id === id);
  return spec?.kind === 'gc' ? spec.autoGcOf : undefined;
}

/** An auto-GC starts only with its build exactly at its point: a worker-loop iteration of that process. */
export function autoGcStartsNow(s: ModelState, spec: ActorSpec): boolean {
  if (spec.kind !== 'gc' || spec.autoGcOf === undefined || spec.during === undefined) return false;
  const owner = actorById(s, spec.autoGcOf);
  if (owner?.kind !== 'build') return false;
  const d = spec.during;
  return (owner.counts[d.before] ?? 0) === d.nth && nextBuildEvent(owner) === d.before;
}

/** How the owner's process stands, for its auto-GC. */
function ownerState(s: ModelState, owner: string): 'running' | 'interrupted' | 'killed' | 'over' {
  const b = actorById(s, owner);
  if (b?.kind !== 'build') return 'over';
  const outcome = b.phase.kind === 'cleanup' || b.phase.kind === 'done' ? b.phase.outcome : undefined;
  if (outcome?.kind === 'crashed') return 'killed';
  if (outcome?.kind === 'interrupted') return 'interrupted';
  return b.phase.kind === 'done' ? 'over' : 'running';
}

/** The end an auto-GC must take at its next step, if any: its process was interrupted or killed. */
function forcedEnd(ctx: Ctx, s: ModelState, a: Gc): AutoGcEnd | undefined {
  const owner = autoGcOwner(ctx, a.id);
  if (owner === undefined || a.state !== 'collecting') return undefined;
  const o = ownerState(s, owner);
  return o === 'interrupted' || o === 'killed' ? { kind: o } : undefined;
}

/** The end an auto-GC may take now instead of its next step (event gcStop), if any. */
export function optionalEnd(ctx: Ctx, s: ModelState, a: Gc): AutoGcEnd | undefined {
  const owner = autoGcOwner(ctx, a.id);
  if (owner === undefined || a.state !== 'collecting' || forcedEnd(ctx, s, a) !== undefined) return undefined;
  if (ownerState(s, owner) === 'over') return { kind: 'processExit' };
  // GCLimitReached is thrown right after a whole deleteStorePath, never inside one
  return a.job === undefined && a.deleted.length > 0 ? { kind: 'limitReached' } : undefined;
}

/** The auto-GC thread after it ended: its deletion, if one was under way, stays half done; `pending` goes (releasePending, or the process is gone). */
function ended(a: Gc, end: AutoGcEnd): Gc {
  const { job: _job, pending: _pending, ...rest } = a;
  return { ...rest, state: 'done', queue: [], stopped: end.kind };
}

/** What the trace says of each end, and the upstream code behind it. */
function endNote(end: AutoGcEnd): { readonly note: string; readonly source: string } {
  return match(end)
    .returnType<{ readonly note: string; readonly source: string }>()
    .with({ kind: 'killed' }, () => ({ note: 'auto-GC thread dies with its daemon worker', source: SRC.autoGcKilled }))
    .with({ kind: 'interrupted' }, () => ({ note: 'auto-GC: checkInterrupt throws Interrupted, swallowed', source: SRC.autoGcInterrupted }))
    .with({ kind: 'limitReached' }, () => ({ note: 'auto-GC: deleted more than max-free - avail bytes; stopping', source: SRC.autoGcLimit }))
    .with({ kind: 'processExit' }, () => ({ note: 'auto-GC thread dies as the daemon worker exits', source: SRC.autoGcProcessExit }))
    .exhaustive();
}

function endAutoGc(s: ModelState, a: Gc, end: AutoGcEnd): Step {
  const { note, source } = endNote(end);
  const left = a.job ? `; ${a.job.root} stays half deleted` : '';
  return next(putActor(s, ended(a, end)), `${note}${left}`, source);
}

/** gcStep of a gc actor: an auto-GC whose process was interrupted or killed ends instead. */
export function gcThreadStep(ctx: Ctx, s: ModelState, a: Gc): Step {
  const forced = forcedEnd(ctx, s, a);
  if (forced) return endAutoGc(s, a, forced);
  const owner = autoGcOwner(ctx, a.id);
  if (a.state !== 'waiting' || owner === undefined) return gcStep(ctx, s, a);
  const spec = ctx.scenario.actors.find((x) => x.id === a.id);
  if (!spec || !autoGcStartsNow(s, spec)) return disabled('the auto-GC starts only at its point of the worker loop');
  const first = gcStep(ctx, s, a);
  if (first.kind !== 'next') return first;
  const { state, note, source } = first.effect;
  return next(state, `auto-GC started by ${owner}'s worker loop (free space below min-free): ${note}`, `${SRC.autoGcStart}; ${source}`);
}

/** Event gcStop: the auto-GC ends early (max-free reached, or its process exits). */
export function gcStop(ctx: Ctx, s: ModelState, a: Gc): Step {
  const end = optionalEnd(ctx, s, a);
  return end ? endAutoGc(s, a, end) : disabled('only an auto-GC ends early, between deletions or once its build is over');
}

/** A crash of `build`: SIGKILL ends its process's auto-GC at once, in the same step; also says which ones it ended. */
export function killAutoGcOf(ctx: Ctx, s: ModelState, build: string): { readonly state: ModelState; readonly killed: readonly string[] } {
  let st = s;
  const killed: string[] = [];
  for (const a of s.actors) {
    // one that has not started never will: the worker loop that would start it is gone
    if (a.kind !== 'gc' || a.state !== 'collecting' || autoGcOwner(ctx, a.id) !== build) continue;
    st = putActor(st, ended(a, { kind: 'killed' }));
    killed.push(a.id);
  }
  return { state: st, killed };
}
