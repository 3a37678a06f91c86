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
import type { Counterexample } from './explore.js';
import { freeScenario } from './explore.js';
import type { Violation } from './invariants.js';
import type { ScheduleNode } from './schedule-tree.js';
import { ScheduleTree } from './schedule-tree.js';

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
  /**
   * What runs of one scenario with the same options share: probe verdicts by world key, and (kept
   * beside the map, for as long as the caller keeps it) the tree of the schedules already followed.
   */
  probes = new Map<string, Violation[]>(),
): Outcome {
  return followSchedule(treeFor(scenario, opts, probes), choices, opts.maxSteps);
}

/** runSchedule on a given tree (tests give it trees of their own, bounded differently). */
export function followSchedule(tree: ScheduleTree, choices: readonly number[], maxSteps = 2_000): Outcome {
  const events: ModelEvent[] = [];
  let node = tree.root;
  for (let i = 0; i < maxSteps; i++) {
    if (node.quiescent) {
      const v = tree.verdict(node);
      if (v) return { events, violation: v };
    }
    const e = pick(node, choices[i] ?? 0);
    if (!e) return { events };
    const next = tree.follow(node, e);
    events.push(e);
    if ('violation' in next) return { events, violation: next.violation };
    node = next.node;
  }
  return { events };
}

/** Choices from FAULT_BAND up take a fault; below it, one of the ordinary events. Faults stay rare, and shrink away. */
const FAULT_BAND = 1000;

function pick({ regular, faults }: ScheduleNode, c: number): ModelEvent | undefined {
  if (c >= FAULT_BAND && faults.length > 0) return faults[(c - FAULT_BAND) % faults.length];
  return regular.length > 0 ? regular[c % regular.length] : faults[0];
}

interface Keyed {
  readonly scenario: Scenario;
  readonly variant: Variant;
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly tree: ScheduleTree;
}

/** The trees of each probe map: a caller's map is its memo of one campaign, so the tree lives and dies with it. */
const trees = new WeakMap<Map<string, Violation[]>, Keyed[]>();

function treeFor(scenario: Scenario, opts: Pick<RandomOptions, 'variant' | 'faults' | 'maxFaults'>, probes: Map<string, Violation[]>): ScheduleTree {
  let list = trees.get(probes);
  // Stryker disable next-line ConditionalExpression,ArrayDeclaration: a list never found again, or one with a stray entry, only makes a fresh tree each time: the same outcomes (the schedule-tree tests hold it to fresh worlds), more time
  if (!list) trees.set(probes, (list = []));
  // the tree holds states of one scenario under one variant and fault model; maxSteps only cuts a walk short
  // Stryker disable next-line ArrowFunction: matching nothing only makes a fresh tree each time (same outcomes, more time)
  const same = (k: Keyed): boolean =>
    k.scenario === scenario && k.variant === opts.variant && k.maxFaults === opts.maxFaults && k.faults.length === opts.faults.length && k.faults.every((f, i) => f === opts.faults[i]);
  const hit = list.find(same);
  // Stryker disable next-line ConditionalExpression: never reusing a tree only makes a fresh one each time (same outcomes, more time)
  if (hit) return hit.tree;
  const s = freeScenario(scenario);
  const targets = s.explore?.faultTargets;
  const enabledOpts = { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
  const tree = new ScheduleTree(s, opts.variant, enabledOpts, probes);
  // Stryker disable next-line ObjectLiteral: an entry that matches nothing only makes a fresh tree next time (same outcomes, more time)
  list.push({ scenario, variant: opts.variant, faults: [...opts.faults], maxFaults: opts.maxFaults, tree });
  return tree;
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
