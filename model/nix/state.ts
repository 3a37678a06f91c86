/** Immutable updates of the model state: the only place that rebuilds actor lists. */
import type { Actor, ActorSpec, BuildActor, BuildEventType, BuildPhase, ModelState, ScriptedFault } from './types.js';

export function actorById(s: ModelState, id: string): Actor | undefined {
  return s.actors.find((a) => a.id === id);
}

export function buildActor(s: ModelState, id: string): BuildActor | undefined {
  const a = actorById(s, id);
  return a?.kind === 'build' ? a : undefined;
}

export function putActor(s: ModelState, a: Actor): ModelState {
  return { ...s, actors: s.actors.map((x) => (x.id === a.id ? a : x)) };
}

export function withPhase(a: BuildActor, phase: BuildPhase): BuildActor {
  return { ...a, phase };
}

export function counted(a: BuildActor, type: BuildEventType): BuildActor {
  return { ...a, counts: { ...a.counts, [type]: (a.counts[type] ?? 0) + 1 } };
}

export function isDone(a: Actor): boolean {
  return a.kind === 'build' ? a.phase.kind === 'done' : a.state === 'done';
}

/** Every fault scripted on a build actor (`fault` and `faults` together). */
export function scriptedFaults(spec: ActorSpec): readonly ScriptedFault[] {
  if (spec.kind !== 'build') return [];
  return [...(spec.fault ? [spec.fault] : []), ...(spec.faults ?? [])];
}

export function isStarted(a: Actor): boolean {
  return a.kind === 'build' ? a.phase.kind !== 'waiting' : a.state !== 'waiting';
}

/** Removes every lock, user lease and temp root an actor holds (what the kernel does when its process dies). */
export function releaseAll(s: ModelState, actor: string): ModelState {
  const locks = Object.fromEntries(Object.entries(s.locks).filter(([, holder]) => holder !== actor));
  const userLeases = Object.fromEntries(Object.entries(s.userLeases).filter(([, holder]) => holder !== actor));
  const tempRoots = Object.fromEntries(Object.entries(s.tempRoots).filter(([holder]) => holder !== actor));
  return { ...s, locks, userLeases, tempRoots };
}

export function addTempRoot(s: ModelState, actor: string, hashPart: string): ModelState {
  const mine = s.tempRoots[actor] ?? [];
  if (mine.includes(hashPart)) return s;
  return { ...s, tempRoots: { ...s.tempRoots, [actor]: [...mine, hashPart] } };
}

export function isTempRooted(s: ModelState, hashPart: string): boolean {
  return Object.values(s.tempRoots).some((roots) => roots.includes(hashPart));
}

/**
 * Invalidates a path. Realisations go with it: ca-specific-schema.sql declares
 * `foreign key (outputPath) references ValidPaths(id) on delete cascade`.
 */
export function invalidate(s: ModelState, path: string): ModelState {
  if (!s.valid[path]) return s;
  const { [path]: _gone, ...valid } = s.valid;
  const realisations = Object.fromEntries(Object.entries(s.realisations).filter(([, out]) => out !== path));
  return { ...s, valid, realisations };
}
