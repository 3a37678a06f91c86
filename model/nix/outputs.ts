/**
 * The outputs of a multi-output build. Upstream loops over the outputs at each stage
 * (derivation-building-goal.cc acquireResources, derivation-builder.cc startBuild's scratch-path
 * loop, registerOutputs' two loops, cleanupBuild's redirected outputs). The model keeps the
 * single-output fields of BuildActor (`known`, `scratch`, `redirected`) for the output a loop is
 * at, and the others in `multi.slots`; `focus` moves from one to the next. A single-output build
 * has no `multi`, and every function here leaves it as it is.
 */
import type { Ctx, DrvInfo } from './context.js';
import { drvOf, outputOf } from './context.js';
import { startDelete } from './delete-path.js';
import type { BuildActor, MultiOutputs, OutputSlot } from './types.js';

/** The current output's slot as the actor's own fields hold it. */
function current(a: BuildActor, slot: OutputSlot): OutputSlot {
  const { known: _k, scratch: _s, redirected: _r, ...rest } = slot;
  return {
    ...rest,
    ...(a.known ? { known: a.known } : {}),
    ...(a.scratch !== undefined ? { scratch: a.scratch } : {}),
    ...(a.redirected ? { redirected: a.redirected } : {}),
  };
}

/** Every slot, the current one as the actor's fields hold it. */
export function slotsOf(a: BuildActor): readonly OutputSlot[] {
  const m = a.multi;
  if (!m) return [];
  // cur -1: no output loaded yet (withOutputs)
  return m.slots.map((slot, i) => (i === m.cur ? current(a, slot) : slot));
}

/** The actor at output `i`: the current output's fields saved in its slot, output `i`'s loaded. */
export function focus(a: BuildActor, i: number, patch: Partial<MultiOutputs> = {}): BuildActor {
  const m = a.multi;
  if (!m) return a;
  const slots = slotsOf(a);
  const to = slots[i];
  if (!to) throw new Error(`model bug: no output ${String(i)}`);
  const { known: _k, scratch: _s, redirected: _r, multi: _m, ...rest } = a;
  return {
    ...rest,
    ...(to.known ? { known: to.known } : {}),
    ...(to.scratch !== undefined ? { scratch: to.scratch } : {}),
    ...(to.redirected ? { redirected: to.redirected } : {}),
    multi: { ...m, ...patch, slots, cur: i },
  };
}

/** The actor with its outputs' slots, at the first output (its fields loaded from the slot, not saved into it). */
export function withOutputs(a: BuildActor, slots: readonly OutputSlot[]): BuildActor {
  const { known: _k, scratch: _s, redirected: _r, ...rest } = a;
  return focus({ ...rest, multi: { slots, cur: -1 } }, 0);
}

/** Records `final` (registerOutputs' finish) for the current output. */
export function finishCurrent(a: BuildActor, final: string): BuildActor {
  const m = a.multi;
  if (!m) return a;
  return { ...a, multi: { ...m, slots: m.slots.map((slot, i) => (i === m.cur ? { ...slot, final } : slot)) } };
}

/** Records the other outputs the current output references (registerOutputs' first loop). */
export function scannedCurrent(a: BuildActor, refs: readonly string[]): BuildActor {
  const m = a.multi;
  if (!m) return a;
  return { ...a, multi: { ...m, slots: m.slots.map((slot, i) => (i === m.cur ? { ...slot, refs } : slot)) } };
}

/** The view (known, fallback and lock paths) of the output the actor is at. */
export function currentView(ctx: Ctx, a: BuildActor): DrvInfo {
  const d = drvOf(ctx, a.drv);
  const name = a.multi?.slots[a.multi.cur]?.name;
  return outputOf(d, name);
}

/** The output's name the actor is at (`out` for a single-output build). */
export function currentName(ctx: Ctx, a: BuildActor): string {
  return currentView(ctx, a).output;
}

/** Starts the first of `paths` as the actor's deletion job and queues the rest (the loops over outputs). */
export function startDeletions(a: BuildActor, paths: readonly string[]): BuildActor {
  const [first, ...rest] = paths;
  if (first === undefined) return a;
  const m = a.multi;
  const withJob: BuildActor = { ...a, job: startDelete(first) };
  if (!m) return withJob;
  const { queue: _q, ...mm } = m;
  return { ...withJob, multi: rest.length > 0 ? { ...mm, queue: rest } : mm };
}

/** When a deletion ends: the next queued one, if any, as the actor's job. */
export function nextQueued(a: BuildActor): BuildActor | undefined {
  const q = a.multi?.queue;
  if (!q || q.length === 0) return undefined;
  return startDeletions(a, q);
}
