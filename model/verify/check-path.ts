/**
 * One path through the model with every invariant checked where exploration checks it: after each
 * transition, and at each state where no build is running or nothing is enabled any more. `run`
 * follows the scripted schedule with it; `replay` follows a recorded list of events, so a trace is
 * re-checked by the model as it is now rather than believed.
 */
import type { FaultKind, ModelEvent, Scenario, TraceStep, Variant } from '../nix/index.js';
import type { TreeEntry } from '../fs/index.js';
import { apply, enabledEvents, initialWorld, MAX_STEPS, observedTree } from '../nix/index.js';
import { idle } from './explore.js';
import type { Violation } from './invariants.js';
import { checkQuiescent, checkTransition } from './invariants.js';

export interface PathCheckOptions {
  readonly variant: Variant;
  /**
   * Free faults the path may take (those of the search that found it). They also decide which
   * states count as final: one where only a fault could still happen is not. None for a scripted run.
   */
  readonly freeFaults?: { readonly kinds: readonly FaultKind[]; readonly max: number; readonly targets?: readonly string[] };
  /** The events to follow. Without them the path is the scripted schedule: the first enabled event each time. */
  readonly events?: readonly ModelEvent[];
  readonly maxSteps?: number;
}

/** A violation at a numbered state: 1 is the initial state, n + 1 the state after the n-th event (as traces number them). */
export interface PathViolation extends Violation {
  readonly state: number;
}

export interface PathCheck {
  /** The observed filesystem at state 1. */
  readonly initial: readonly TreeEntry[];
  readonly steps: readonly TraceStep[];
  /** Every violation at every state checked, in state order (an invariant may fail at several). */
  readonly violations: readonly PathViolation[];
  /** The first recorded event that the model does not allow here, and why. */
  readonly divergedAt?: { readonly index: number; readonly reason: string };
  /** A scripted schedule that hit its step limit (a livelock, or a model bug). */
  readonly truncated: boolean;
}

export function checkPath(scenario: Scenario, opts: PathCheckOptions): PathCheck {
  const w = initialWorld(scenario, opts.variant);
  const initial = observedTree(w);
  // Stryker disable next-line ConditionalExpression: enabledEvents takes an undefined freeFaults as none (`ff && ...`), as it does a missing one
  const enabledOpts = opts.freeFaults ? { freeFaults: opts.freeFaults } : {};
  const probes = new Map<string, Violation[]>();
  const steps: TraceStep[] = [];
  const violations: PathViolation[] = [];
  const at = (state: number, vs: readonly Violation[]): void => {
    for (const v of vs) violations.push({ ...v, state });
  };
  const limit = opts.events ? opts.events.length : (opts.maxSteps ?? MAX_STEPS);
  for (let i = 0; ; i++) {
    const enabled = enabledEvents(w.ctx, w.state, enabledOpts);
    if (enabled.length === 0 || idle(w.state)) at(i + 1, checkQuiescent(w, probes));
    if (i >= limit || (!opts.events && enabled.length === 0)) {
      return { initial, steps, violations, truncated: !opts.events && enabled.length > 0 };
    }
    const wanted = opts.events?.[i];
    const e = wanted ? enabled.find((x) => x.type === wanted.type && x.actor === wanted.actor) : enabled[0];
    if (!e) {
      // Stryker disable next-line ConditionalExpression,StringLiteral: a scripted run stops above when nothing is enabled, so only a recorded event can be missing here
      const reason = wanted ? `${wanted.type}(${wanted.actor}) is not enabled here` : 'nothing enabled';
      return { initial, steps, violations, divergedAt: { index: i, reason }, truncated: false };
    }
    const prev = w.state;
    const r = apply(w, e);
    // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract); this guard never fires
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    steps.push(r.step);
    at(i + 2, checkTransition(w, prev, r.step));
  }
}
