/**
 * A scripted run: the first enabled event in scenario order, repeatedly, until nothing is
 * enabled. Scripted faults fire where the scenario places them; no free choice is made. This is
 * what the issue-#3 scenario tests and `outpath replay` use; exploration lives in explore.ts.
 */
import type { ModelEvent, Scenario, TraceStep } from './types.js';
import type { Variant } from './variants.js';
import type { World } from './world.js';
import { apply, initialWorld } from './world.js';
import { enabledEvents } from './enabled.js';
import { FAULT_KINDS } from './types.js';

export interface Run {
  readonly world: World;
  readonly steps: TraceStep[];
  /** Set when the run hit its step limit (a model bug or a livelock). */
  readonly truncated: boolean;
}

export const MAX_STEPS = 5_000;

export function runScripted(scenario: Scenario, variant: Variant): Run {
  const world = initialWorld(scenario, variant);
  const steps: TraceStep[] = [];
  for (let i = 0; i < MAX_STEPS; i++) {
    const [e] = enabledEvents(world.ctx, world.state);
    if (!e) return { world, steps, truncated: false };
    const r = apply(world, e);
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    steps.push(r.step);
  }
  return { world, steps, truncated: true };
}

/** Replays a fixed list of events; stops at the first that is not enabled and says why. */
export function replayEvents(
  scenario: Scenario,
  variant: Variant,
  events: readonly ModelEvent[],
): { world: World; steps: TraceStep[]; divergedAt?: { index: number; reason: string } } {
  const world = initialWorld(scenario, variant);
  const steps: TraceStep[] = [];
  for (const [index, e] of events.entries()) {
    const allowed = enabledEvents(world.ctx, world.state, {
      freeFaults: { kinds: FAULT_KINDS, max: Number.MAX_SAFE_INTEGER },
    });
    if (!allowed.some((x) => x.type === e.type && x.actor === e.actor)) {
      return { world, steps, divergedAt: { index, reason: `${e.type}(${e.actor}) is not enabled here` } };
    }
    const r = apply(world, e);
    if (!r.ok) return { world, steps, divergedAt: { index, reason: r.reason } };
    steps.push(r.step);
  }
  return { world, steps };
}
