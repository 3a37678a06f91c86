/** Driving one world event by event, for tests that place a fault or a concurrent step exactly. */
import type { BuildActor, ModelEvent, Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, initialWorld, isDone, parseVariant } from '../../model/nix/index.js';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';

export function world(s: Scenario, variant = 'upstream'): World {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return initialWorld(s, v.variant);
}

export function take(w: World, e: ModelEvent): void {
  const r = apply(w, e);
  if (!r.ok) throw new Error(`${e.type}(${e.actor}) disabled: ${r.reason}`);
}

export function buildIn(w: World, id: string): BuildActor {
  const a = w.state.actors.find((x) => x.id === id);
  if (a?.kind !== 'build') throw new Error(`no build ${id}`);
  return a;
}

/** Takes actor `id`'s own next events (no faults) until `until` holds of the world. */
export function stepUntil(w: World, id: string, until: (w: World) => boolean): void {
  for (let i = 0; i < 500 && !until(w); i++) {
    const e = enabledEvents(w.ctx, w.state).find((x) => x.actor === id);
    if (!e) throw new Error(`${id} cannot move`);
    take(w, e);
  }
  if (!until(w)) throw new Error(`${id} never got there`);
}

/** Takes build `id`'s own events until `until` holds of it. */
export function runUntil(w: World, id: string, until: (a: BuildActor) => boolean): void {
  stepUntil(w, id, (x) => until(buildIn(x, id)));
}

/** Runs actor `id` alone until it is done. */
export function runAlone(w: World, id: string): void {
  stepUntil(w, id, (x) => {
    const a = x.state.actors.find((y) => y.id === id);
    return a !== undefined && isDone(a);
  });
}

/** The fault kinds exploration could choose for `id` in this state. */
export function faultsFor(w: World, id: string): string[] {
  const all = enabledEvents(w.ctx, w.state, { freeFaults: { kinds: ['interrupt', 'crash', 'builderFailure'], max: Number.MAX_SAFE_INTEGER } });
  return all.filter((e) => e.actor === id && ['interrupt', 'crash', 'builderFailure'].includes(e.type)).map((e) => e.type);
}

/** One floating CA build of the report's builder on Linux without a sandbox. */
export function oneCaBuild(keepFailed = false): Scenario {
  return {
    name: 'one-ca-build',
    doc: 'one floating CA build',
    settings: { ...DARWIN, platform: 'linux', keepFailed },
    derivations: [{ id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN }],
    actors: [{ id: 'a1', kind: 'build', drv: 'godyn' }],
  };
}

/** One build user and a builder that exits 1 while the harness flag `broken` is set: a probe's verdict depends on the flag alone. */
export const failsUnderFlag: Scenario = {
  name: 'fails-under-flag',
  doc: 'a builder that exits 1 while the flag `broken` is set',
  settings: { ...seed487.settings, buildUsers: 1 },
  derivations: [{ id: 'd', name: 'd', kind: 'input-addressed', program: [{ op: 'exitIfFlag', flag: 'broken', code: 1 }, { op: 'mkdirP', path: '' }] }],
  actors: [],
};
