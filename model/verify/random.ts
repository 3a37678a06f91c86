/**
 * Random schedules with fast-check, for spaces too large to enumerate: a schedule is a list of
 * choice numbers (which enabled event to take at each step), so fast-check can shrink a failing
 * schedule to a short one, and `seed` + `path` replay it exactly.
 *
 * Nothing here calls fast-check when the module loads (the schedule arbitrary is built on first
 * use), so the bundled CLI can defer loading fast-check until random mode needs it.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { FaultKind, ModelEvent, Scenario, Variant } from '../nix/index.js';
import { applyQuiet, enabledEvents, FAULT_KINDS, initialWorld } from '../nix/index.js';
import type { Counterexample } from './explore.js';
import { freeScenario, idle } from './explore.js';
import type { Violation } from './invariants.js';
import { checkMove, checkQuiescent, viewOfMove } from './invariants.js';

export interface RandomOptions {
  readonly variant: Variant;
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly runs: number;
  /** Required: the model never reads the clock; the CLI picks one and prints it. */
  readonly seed: number;
  /** A fast-check path to replay (from an earlier report) instead of searching. */
  readonly path?: string;
  readonly maxSteps?: number;
}

export interface RandomResult {
  readonly failed: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly seed: number;
  readonly path?: string;
  readonly counterexample?: Counterexample;
}

/** Where a schedule led: the events taken and the first violation, if any. */
export interface Outcome {
  readonly events: ModelEvent[];
  readonly violation?: Violation;
}

/** Follows `choices` through the model; past their end it takes the first enabled event. */
export function runSchedule(
  scenario: Scenario,
  opts: Pick<RandomOptions, 'variant' | 'faults' | 'maxFaults' | 'maxSteps'>,
  choices: readonly number[],
  probes = new Map<string, Violation[]>(),
): Outcome {
  const s = freeScenario(scenario);
  const w = initialWorld(s, opts.variant);
  const targets = s.explore?.faultTargets;
  const enabledOpts = { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
  const events: ModelEvent[] = [];
  for (let i = 0; i < (opts.maxSteps ?? 2_000); i++) {
    const enabled = enabledEvents(w.ctx, w.state, enabledOpts);
    if (enabled.length === 0 || idle(w.state)) {
      const [v] = checkQuiescent(w, probes);
      if (v) return { events, violation: v };
    }
    const e = pick(enabled, choices[i] ?? 0);
    if (!e) return { events };
    const prev = w.state;
    const before = w.ctx.fs.snapshot();
    const r = applyQuiet(w, e);
    // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract, which the explorer's tests hold it to); this guard never fires
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    events.push(e);
    const [v] = checkMove(w, prev, viewOfMove(w, e, before));
    if (v) return { events, violation: v };
  }
  return { events };
}

/** Choices from FAULT_BAND up take a fault; below it, one of the ordinary events. Faults stay rare, and shrink away. */
const FAULT_BAND = 1000;
const FAULT_TYPES: ReadonlySet<string> = new Set(FAULT_KINDS);

function pick(enabled: readonly ModelEvent[], c: number): ModelEvent | undefined {
  const faults = enabled.filter((e) => FAULT_TYPES.has(e.type));
  const regular = enabled.filter((e) => !FAULT_TYPES.has(e.type));
  if (c >= FAULT_BAND && faults.length > 0) return faults[(c - FAULT_BAND) % faults.length];
  return regular.length > 0 ? regular[c % regular.length] : faults[0];
}

let schedules: Arbitrary<number[]> | undefined;
/** The schedules random mode draws: mostly regular choices, one in twenty a fault's. */
export function scheduleArbitrary(): Arbitrary<number[]> {
  return (schedules ??= fc.array(
    fc.oneof({ weight: 19, arbitrary: fc.nat({ max: 15 }) }, { weight: 1, arbitrary: fc.integer({ min: FAULT_BAND, max: FAULT_BAND + 15 }) }),
    { maxLength: 150, size: 'max' },
  ));
}

export function randomCheck(scenario: Scenario, opts: RandomOptions): RandomResult {
  let last: Outcome | undefined;
  const probes = new Map<string, Violation[]>(); // probe results depend only on the world: share them across runs
  const property = fc.property(scheduleArbitrary(), (choices) => {
    last = runSchedule(scenario, opts, choices, probes);
    return last.violation === undefined;
  });
  const details = fc.check(property, { numRuns: opts.runs, seed: opts.seed, ...(opts.path ? { path: opts.path, endOnFailure: true } : {}) });
  // Stryker disable next-line LogicalOperator: fast-check reports a counterexample exactly when a run failed, so either test alone decides
  if (!details.failed || !details.counterexample) {
    return { failed: false, numRuns: details.numRuns, numShrinks: 0, seed: opts.seed };
  }
  // rerun the shrunk schedule: `last` belongs to whatever fast-check tried last
  const [choices] = details.counterexample;
  const out = runSchedule(scenario, opts, choices, probes);
  // Stryker disable next-line OptionalChaining: a failed check ran the property at least once, so `last` is set
  const v = out.violation ?? last?.violation;
  return {
    failed: true,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    seed: opts.seed,
    ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
    ...(v ? { counterexample: { invariant: v.invariant, message: v.message, events: out.events } } : {}),
  };
}
