/**
 * Random mode follows a tree of the schedules it has already run instead of running the model
 * afresh each time: every outcome must still be the one a fresh world gives. Checked against the
 * walk random mode made before the tree (kept below as the reference), on drawn schedules sharing
 * one memo as a campaign does, and on a tree bounded to a few nodes; and randomCheck's results are
 * pinned to what it found before the tree (same runs, shrinks, path and counterexample).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FaultKind, ModelEvent, Scenario, Variant } from '../../model/nix/index.js';
import { applyQuiet, enabledEvents, FAULT_KINDS, initialWorld, parseVariant } from '../../model/nix/index.js';
import type { Outcome, Violation } from '../../model/verify/index.js';
import { checkQuiescent, freeScenario, idle, randomCheck, runSchedule, scheduleArbitrary } from '../../model/verify/index.js';
import { checkMove, viewOfMove } from '../../model/verify/invariants.js';
import { followSchedule } from '../../model/verify/random.js';
import { ScheduleTree } from '../../model/verify/schedule-tree.js';
import { concurrentTrio } from '../../bench/scenarios.js';
import { concurrentGc, hostileReplant, seed487 } from '../../sim/scenarios/builtin.js';

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

interface Opts {
  readonly variant: Variant;
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly maxSteps?: number;
}

const FAULT_TYPES: ReadonlySet<string> = new Set(FAULT_KINDS);
/** The invariants checkMove checks on a move; the others are checked at quiescent states. */
const TRANSITION: ReadonlySet<string> = new Set(['ValidPathsIntact', 'DeleteStaysInTarget', 'InProgressOutputSafe']);

function enabledOptsOf(s: Scenario, opts: Opts): { freeFaults: { kinds: readonly FaultKind[]; max: number; targets?: readonly string[] } } {
  const targets = s.explore?.faultTargets;
  return { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
}

/** runSchedule as it was before the tree: a fresh world per schedule, every event applied and checked. */
function reference(scenario: Scenario, opts: Opts, choices: readonly number[], probes: Map<string, Violation[]>): Outcome {
  const s = freeScenario(scenario);
  const w = initialWorld(s, opts.variant);
  const enabledOpts = enabledOptsOf(s, opts);
  const events: ModelEvent[] = [];
  for (let i = 0; i < (opts.maxSteps ?? 2_000); i++) {
    const enabled = enabledEvents(w.ctx, w.state, enabledOpts);
    if (enabled.length === 0 || idle(w.state)) {
      const [v] = checkQuiescent(w, probes);
      if (v) return { events, violation: v };
    }
    const faults = enabled.filter((e) => FAULT_TYPES.has(e.type));
    const regular = enabled.filter((e) => !FAULT_TYPES.has(e.type));
    const c = choices[i] ?? 0;
    const e = c >= 1000 && faults.length > 0 ? faults[(c - 1000) % faults.length] : regular.length > 0 ? regular[c % regular.length] : faults[0];
    if (!e) return { events };
    const prev = w.state;
    const before = w.ctx.fs.snapshot();
    if (!applyQuiet(w, e).ok) throw new Error(`${e.type}(${e.actor}) disabled`);
    events.push(e);
    const [v] = checkMove(w, prev, viewOfMove(w, e, before));
    if (v) return { events, violation: v };
  }
  return { events };
}

/** Drawn schedules, each followed by a few near copies of it (as shrinking tries them): cut short, a choice dropped, a step limit. */
function schedulesFor(seed: number, n: number): { choices: number[]; maxSteps?: number }[] {
  const out: { choices: number[]; maxSteps?: number }[] = [];
  for (const c of fc.sample(scheduleArbitrary(), { seed, numRuns: n })) {
    out.push({ choices: c });
    out.push({ choices: c.slice(0, Math.floor(c.length / 2)) });
    out.push({ choices: c.filter((_, i) => i !== 3) });
    out.push({ choices: c, maxSteps: 7 + (c.length % 13) });
  }
  return out;
}

type Case = [string, Scenario, Opts];
const CASES: Case[] = [
  ['seed-487 upstream, interrupts', seed487, { variant: variantOf('upstream'), faults: ['interrupt'], maxFaults: 1 }],
  ['seed-487 recommended, three fault kinds', seed487, { variant: variantOf('recommended'), faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1 }],
  ['concurrent-gc upstream, interrupts and crashes, two faults', concurrentGc, { variant: variantOf('upstream'), faults: ['interrupt', 'crash'], maxFaults: 2 }],
  ['hostile-replant recommended, interrupts', hostileReplant, { variant: variantOf('recommended'), faults: ['interrupt'], maxFaults: 1 }],
  ['concurrent-trio upstream, interrupts', concurrentTrio(), { variant: variantOf('upstream'), faults: ['interrupt'], maxFaults: 1 }],
];

function caseAt(i: number): Case {
  const c = CASES[i];
  if (!c) throw new Error(`no case ${String(i)}`);
  return c;
}

const brief = (o: Outcome): { events: string[]; violation?: Violation } => ({
  events: o.events.map((e) => `${e.type}(${e.actor})`),
  ...(o.violation ? { violation: o.violation } : {}),
});

describe('runSchedule through the schedule tree', () => {
  for (const [label, s, opts] of CASES) {
    it(`should give every schedule the outcome a fresh world gives: ${label}`, () => {
      const memo = new Map<string, Violation[]>();
      const refProbes = new Map<string, Violation[]>();
      let violations = 0;
      for (const { choices, maxSteps } of schedulesFor(7, 40)) {
        const o = { ...opts, ...(maxSteps === undefined ? {} : { maxSteps }) };
        const want = reference(s, o, choices, refProbes);
        if (want.violation) violations++;
        expect(brief(runSchedule(s, o, choices, memo)), `[${choices.join(',')}] maxSteps ${String(maxSteps)}`).toEqual(brief(want));
      }
      // upstream cases must exercise the violation path too, not only runs that end clean
      if (opts.variant === variantOf('upstream')) expect(violations).toBeGreaterThan(0);
    });
  }

  it('should give the same outcomes with a tree too small to remember most paths', () => {
    const [, s, opts] = caseAt(2);
    const tree = new ScheduleTree(freeScenario(s), opts.variant, enabledOptsOf(s, opts), new Map(), 4);
    const refProbes = new Map<string, Violation[]>();
    for (const { choices } of schedulesFor(11, 15)) {
      expect(brief(followSchedule(tree, choices))).toEqual(brief(reference(s, opts, choices, refProbes)));
    }
    expect(tree.nodes).toBeLessThanOrEqual(4);
  });

  it('should remember each path once: fewer nodes than events taken', () => {
    const [, s, opts] = caseAt(1);
    const tree = new ScheduleTree(freeScenario(s), opts.variant, enabledOptsOf(s, opts), new Map());
    let events = 0;
    for (const { choices } of schedulesFor(3, 30)) events += followSchedule(tree, choices).events.length;
    expect(tree.nodes).toBeGreaterThan(1);
    expect(tree.nodes).toBeLessThan(events / 2);
  });

  it('should hold one node per distinct path of events followed to a state (none for a move that broke a transition invariant)', () => {
    const [, s, opts] = caseAt(2);
    const tree = new ScheduleTree(freeScenario(s), opts.variant, enabledOptsOf(s, opts), new Map());
    const reached = new Set<string>();
    const broke = new Set<string>();
    for (const { choices } of schedulesFor(5, 30)) {
      const o = followSchedule(tree, choices);
      const names = o.events.map((e) => `${e.type}(${e.actor})`);
      for (let n = 1; n <= names.length; n++) reached.add(names.slice(0, n).join(' '));
      // a transition invariant fails on the move itself: its path leads to no state the tree keeps
      if (o.violation && TRANSITION.has(o.violation.invariant)) broke.add(names.join(' '));
    }
    expect(broke.size).toBeGreaterThan(0);
    expect(tree.nodes).toBe(1 + reached.size - broke.size);
  });

  it('should answer a verdict of no violation as undefined, when first asked and when recalled', () => {
    const [, s, opts] = caseAt(1);
    const tree = new ScheduleTree(freeScenario(s), opts.variant, enabledOptsOf(s, opts), new Map());
    // no build has started: the initial state is quiescent, and recommended holds every invariant there
    expect(tree.root.quiescent).toBe(true);
    expect(tree.verdict(tree.root)).toBeUndefined();
    expect(tree.verdict(tree.root)).toBeUndefined();
  });

  it('should keep one memo per scenario and options: another variant on the same memo starts its own tree', () => {
    const memo = new Map<string, Violation[]>();
    const choices = [0, 0, 0, 0, 0, 0, 1000];
    const up = { variant: variantOf('upstream'), faults: ['interrupt'] as const, maxFaults: 1 };
    const rec = { ...up, variant: variantOf('recommended') };
    const a = brief(runSchedule(seed487, up, choices, memo));
    const b = brief(runSchedule(seed487, rec, choices, new Map()));
    expect(brief(runSchedule(seed487, rec, choices, memo))).toEqual(b);
    expect(brief(runSchedule(seed487, up, choices, memo))).toEqual(a);
  });

  it('should start its own tree on a shared memo for another scenario, other fault kinds, more of them, or another fault bound', () => {
    const up = { variant: variantOf('upstream'), faults: ['interrupt'] as FaultKind[], maxFaults: 1 };
    const z = [0, 0, 0, 0, 0, 0];
    // each run, and the earlier run on the same memo whose options it differs from in one respect only
    const runs: { s: Scenario; o: Opts; c: number[]; near?: number }[] = [
      { s: seed487, o: up, c: [...z, 1001] },
      { s: seed487, o: { ...up, faults: ['crash'] }, c: [...z, 1001], near: 0 },
      { s: seed487, o: { ...up, faults: ['interrupt', 'crash'] }, c: [...z, 1001], near: 0 },
      { s: seed487, o: { ...up, faults: ['interrupt', 'crash'], maxFaults: 2 }, c: [...z, 1000, 1001], near: 2 },
      // as many kinds, the first one shared
      { s: seed487, o: { ...up, faults: ['interrupt', 'builderFailure'] }, c: [...z, 1001], near: 2 },
      { s: concurrentGc, o: up, c: [...z, 1000], near: 0 },
      // no fault kinds at all: an earlier entry remembered without its kinds would pass for this one
      { s: seed487, o: { ...up, faults: [] }, c: [...z, 1000], near: 0 },
    ];
    const memo = new Map<string, Violation[]>();
    runs.forEach(({ s, o, c, near }, i) => {
      const fresh = brief(runSchedule(s, o, c, new Map()));
      expect(brief(runSchedule(s, o, c, memo)), `run ${String(i)}`).toEqual(fresh);
      // the near run's tree would take other events on these choices: reusing it could not go unseen
      if (near !== undefined) {
        const other = runs[near];
        if (!other) throw new Error(`no run ${String(near)}`);
        expect(brief(runSchedule(other.s, other.o, c, new Map())), `run ${String(i)} on run ${String(near)}'s options`).not.toEqual(fresh);
      }
    });
  });
});

describe('randomCheck: the results it gave before the schedule tree', () => {
  const ev = (r: { counterexample?: { events: readonly ModelEvent[] } }): string[] => (r.counterexample?.events ?? []).map((e) => `${e.type}(${e.actor})`);

  it('should find, shrink and report seed-487 upstream (interrupts, seed 487) as before', () => {
    const r = randomCheck(seed487, { variant: variantOf('upstream'), faults: ['interrupt'], maxFaults: 1, runs: 100, seed: 487 });
    expect({ failed: r.failed, numRuns: r.numRuns, numShrinks: r.numShrinks, path: r.path, invariant: r.counterexample?.invariant }).toEqual({
      failed: true,
      numRuns: 4,
      numShrinks: 20,
      path: '3:2:0:1:0:0:1:11:17:18:0:3:1:7:8:13:16:19:21:23:23',
      invariant: 'NoWedge',
    });
    expect(r.counterexample?.message).toBe(
      "clean build of godyn (as build user 2): builder for '/nix/store/20b3j3x0jp8wf1w053lwng6mc9z519vn-godyn-compile-glob-match.drv' failed with exit code 2; builder commands failed: #1 writeFile EACCES, #2 writeFile EACCES",
    );
    expect(ev(r)).toEqual([
      'start(a1)', 'lockOutputs(a1)', 'acquireUser(a1)', 'createTempDir(a1)', 'chownToBuilder(a1)', 'prepareScratch(a1)',
      'builderAction(a1)', 'interrupt(a1)', 'cleanupBuild(a1)', 'deletePathStep(a1)', 'deletePathStep(a1)', 'cleanupBuild(a1)',
    ]);
  });

  it('should find, shrink and report concurrent-trio upstream (interrupts, seed 42) as before', () => {
    const r = randomCheck(concurrentTrio(), { variant: variantOf('upstream'), faults: ['interrupt'], maxFaults: 1, runs: 100, seed: 42 });
    expect({ numRuns: r.numRuns, numShrinks: r.numShrinks, path: r.path, invariant: r.counterexample?.invariant, length: ev(r).length }).toEqual({
      numRuns: 13,
      numShrinks: 22,
      path: '12:7:13:20:26:28:42:48:50:58:26:46:5:30:38:36:37:30:28:38:37:42:44',
      invariant: 'InProgressOutputSafe',
      length: 10,
    });
  });

  it('should pass every run of seed-487 recommended (interrupts, seed 1) as before', () => {
    const r = randomCheck(seed487, { variant: variantOf('recommended'), faults: ['interrupt'], maxFaults: 1, runs: 100, seed: 1 });
    expect({ failed: r.failed, numRuns: r.numRuns }).toEqual({ failed: false, numRuns: 100 });
  });
});
