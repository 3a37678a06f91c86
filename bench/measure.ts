/**
 * The measurements, one job at a time: an exhaustive explore (states/s, memory), the smallest
 * `maxStates` at which BFS reports a counterexample, random schedules until the first failure,
 * and the fs kernel's own bench. A job is plain JSON in and out, so bench/run.ts can run each one
 * in a fresh `node --expose-gc` child (clean peak memory, no heap left over from the last job).
 */
import fc from 'fast-check';
import { parseVariant, type Variant } from '../model/nix/index.js';
import { explore, randomCheck, runSchedule, scheduleArbitrary, type ExploreResult, type Violation } from '../model/verify/index.js';
import { runFsBench } from './fs-bench.js';
import { measureGoals, type GoalsResult } from './goals.js';
import { GROWTH_STEPS, sized, type Family, type GrowthStep } from './scenarios.js';

export type VariantName = 'upstream' | 'recommended';

/** How long to keep repeating a timed run: one cold run, then warm ones while the budget lasts. */
export interface Timing {
  /** Warm repetitions stop once they have taken this long in all (0: the cold run only). */
  readonly budgetMs: number;
  readonly maxWarmReps: number;
}

/** Growth rounds: after a warm-up, whole rounds (every step once) while the budget lasts. */
export interface Rounds {
  /** Another round starts only while less than this has been spent on the rounds so far. */
  readonly budgetMs: number;
  readonly maxRounds: number;
}

export type JobSpec =
  | {
      readonly kind: 'headline';
      readonly family: Family;
      readonly variant: VariantName;
      readonly maxDepth: number;
      readonly maxStates: number;
      /** The smallest bound the counterexample search tries; it doubles from there. */
      readonly searchFrom: number;
      readonly randomRuns: number;
      readonly seed: number;
      readonly timing: Timing;
    }
  | {
      /** Every growth step of one family and variant in one process, round-robin, so load hits them alike. */
      readonly kind: 'growth';
      readonly family: Family;
      readonly variant: VariantName;
      readonly maxDepth: number;
      readonly maxStates: number;
      readonly rounds: Rounds;
    }
  | { readonly kind: 'fs' }
  | { readonly kind: 'goals' };

/** One explore, timed and with memory sampled while it runs. Bytes and milliseconds. */
export interface ExploreFigures {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly complete: boolean;
  /** maxStates stopped the search (rather than the depth bound or nothing). */
  readonly capped: boolean;
  readonly maxStates: number;
  readonly maxDepth: number;
  readonly counterexamples: readonly { readonly invariant: string; readonly length: number }[];
  /** Headline: the first run of the process (cold: it warms the JIT up). Growth: the first round's run, after a warm-up. */
  readonly coldMs: number;
  /** The median of the warm runs (headline) or of the rounds (growth); the cold run when there were none. */
  readonly ms: number;
  /** How many runs `ms` is the median of (0: the cold run alone). */
  readonly warmReps: number;
  /** heapUsed after a full GC just before the run, and the highest heapUsed sampled during it. */
  readonly heapBase: number;
  readonly heapPeak: number;
  /** The process's peak resident set (getrusage maxRSS) when the job ended. */
  readonly rssPeak: number;
  /** Whether a GC could be forced before each run (the child runs with --expose-gc). */
  readonly gcForced: boolean;
}

export type BfsFirst =
  | { readonly found: false; readonly exhausted: boolean; readonly states: number; readonly ms: number }
  | {
      readonly found: true;
      readonly invariant: string;
      readonly length: number;
      /** The smallest maxStates at which explore reports a counterexample: states visited to the first one. */
      readonly states: number;
      readonly ms: number;
      readonly warmReps: number;
      /** The doubling and bisection that found that bound: explores run, and their total time. */
      readonly searchRuns: number;
      readonly searchMs: number;
    };

export interface RandomFirst {
  readonly runs: number;
  readonly seed: number;
  readonly failed: boolean;
  /** Schedules tried up to and including the first failing one (fast-check numRuns, endOnFailure). */
  readonly runsToFailure: number;
  /** Time to that first failure, shrinking excluded (or the whole budget when nothing failed). */
  readonly msToFailure: number;
  readonly warmReps: number;
  readonly invariant?: string;
  /** randomCheck as the CLI runs it: shrinks, the shrunk trace's length, and the time with shrinking. */
  readonly numShrinks: number;
  readonly shrunkLength?: number;
  readonly msWithShrink: number;
}

export interface HeadlineResult {
  readonly kind: 'headline';
  readonly family: Family;
  readonly variant: VariantName;
  readonly explore: ExploreFigures;
  readonly bfs: BfsFirst;
  readonly random: RandomFirst;
}

export interface GrowthResult {
  readonly kind: 'growth';
  readonly family: Family;
  readonly step: GrowthStep;
  readonly variant: VariantName;
  readonly change: string;
  readonly explore: ExploreFigures;
}

export interface GrowthSeriesResult {
  readonly kind: 'growth-series';
  readonly rounds: number;
  readonly steps: readonly GrowthResult[];
}

export interface FsResult {
  readonly kind: 'fs';
  /** runFsBench's figures as it returns them: operations per second. */
  readonly opsPerSec: Readonly<Record<string, number>>;
}

export type JobResult = HeadlineResult | GrowthSeriesResult | FsResult | GoalsResult;

// ---------------------------------------------------------------- helpers

const forceGc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  forceGc?.();
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Runs `fn` cold once, then warm while the budget lasts; returns the last result and the times. */
function timed<T>(timing: Timing, fn: () => T): { value: T; coldMs: number; ms: number; warmReps: number } {
  collect();
  let t0 = performance.now();
  let value = fn();
  const coldMs = performance.now() - t0;
  const warm: number[] = [];
  let spent = 0;
  while (warm.length < timing.maxWarmReps && spent + coldMs <= timing.budgetMs) {
    collect();
    t0 = performance.now();
    value = fn();
    const ms = performance.now() - t0;
    warm.push(ms);
    spent += ms;
  }
  return { value, coldMs, ms: warm.length > 0 ? median(warm) : coldMs, warmReps: warm.length };
}

function variantOf(name: VariantName): Variant {
  const p = parseVariant(name);
  if (!p.ok) throw new Error(`unknown variant ${p.unknown}`);
  return p.variant;
}

function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

// ---------------------------------------------------------------- explore

interface ExploreArgs {
  readonly family: Family;
  readonly step: GrowthStep;
  readonly variant: VariantName;
  readonly maxDepth: number;
  readonly maxStates: number;
}

function exploreOnce(a: ExploreArgs, maxStates: number, onProgress?: () => void): ExploreResult {
  const { scenario, maxFaults } = sized(a.family, a.step);
  return explore(scenario, {
    variant: variantOf(a.variant),
    faults: ['interrupt'],
    maxFaults,
    maxDepth: a.maxDepth,
    maxStates,
    ...(onProgress ? { onProgress, progressEvery: 256 } : {}),
  });
}

interface OneRun {
  readonly r: ExploreResult;
  readonly ms: number;
  readonly heapBase: number;
  readonly heapPeak: number;
}

/** One explore after a forced GC, with heapUsed sampled every 256 new states and at the end. */
function sampledRun(a: ExploreArgs): OneRun {
  collect();
  const heapBase = process.memoryUsage().heapUsed;
  let heapPeak = heapBase;
  const sample = (): void => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  };
  const t0 = performance.now();
  const r = exploreOnce(a, a.maxStates, sample);
  const ms = performance.now() - t0;
  sample();
  return { r, ms, heapBase, heapPeak };
}

function figures(a: ExploreArgs, runs: readonly OneRun[], coldMs: number, warmMs: readonly number[]): ExploreFigures {
  const last = runs[runs.length - 1];
  if (!last) throw new Error('bench bug: no run');
  const r = last.r;
  return {
    states: r.distinctStates,
    transitions: r.transitions,
    depth: r.depth,
    complete: r.complete,
    capped: r.distinctStates > a.maxStates,
    maxStates: a.maxStates,
    maxDepth: a.maxDepth,
    counterexamples: r.counterexamples.map((c) => ({ invariant: c.invariant, length: c.events.length })),
    coldMs,
    ms: warmMs.length > 0 ? median(warmMs) : coldMs,
    warmReps: warmMs.length,
    heapBase: Math.min(...runs.map((x) => x.heapBase)),
    heapPeak: Math.max(...runs.map((x) => x.heapPeak)),
    rssPeak: maxRss(),
    gcForced: forceGc !== undefined,
  };
}

/** A cold run, then warm runs while the budget lasts. */
export function measureExplore(a: ExploreArgs, timing: Timing): ExploreFigures {
  const runs: OneRun[] = [sampledRun(a)];
  const coldMs = runs[0]?.ms ?? NaN;
  const warm: number[] = [];
  let spent = 0;
  while (warm.length < timing.maxWarmReps && spent + coldMs <= timing.budgetMs) {
    const x = sampledRun(a);
    runs.push(x);
    warm.push(x.ms);
    spent += x.ms;
  }
  return figures(a, runs, coldMs, warm);
}

/**
 * Every growth step of a family, round-robin in this one process (paired: a load spike on the
 * shared machine hits the steps of a round alike), after a warm-up explore of the base. Each
 * step's time is the median over the rounds.
 */
export function measureGrowth(job: Extract<JobSpec, { kind: 'growth' }>): GrowthSeriesResult {
  const argsOf = (step: GrowthStep): ExploreArgs => ({ family: job.family, step, variant: job.variant, maxDepth: job.maxDepth, maxStates: job.maxStates });
  exploreOnce(argsOf('base'), Math.min(job.maxStates, 2000)); // JIT warm-up, not timed
  const runs = new Map<GrowthStep, OneRun[]>(GROWTH_STEPS.map((s) => [s, []]));
  let spent = 0;
  let rounds = 0;
  while (rounds < Math.max(1, job.rounds.maxRounds) && (rounds === 0 || spent < job.rounds.budgetMs)) {
    for (const step of GROWTH_STEPS) {
      const x = sampledRun(argsOf(step));
      runs.get(step)?.push(x);
      spent += x.ms;
    }
    rounds++;
  }
  const steps = GROWTH_STEPS.map((step): GrowthResult => {
    const rs = runs.get(step) ?? [];
    const ms = rs.map((x) => x.ms);
    return {
      kind: 'growth',
      family: job.family,
      step,
      variant: job.variant,
      change: sized(job.family, step).change,
      explore: figures(argsOf(step), rs, ms[0] ?? NaN, ms),
    };
  });
  return { kind: 'growth-series', rounds, steps };
}

/**
 * The smallest maxStates at which explore reports a counterexample, by doubling from `from` and
 * then bisecting (BFS order is fixed, so "found within n states" is monotone in n), then timed
 * at exactly that bound. `full` is the explore already run at the job's cap.
 */
export function firstCounterexampleBfs(a: ExploreArgs, full: ExploreFigures, from: number, timing: Timing): BfsFirst {
  if (full.counterexamples.length === 0) return { found: false, exhausted: full.complete, states: full.states, ms: full.ms };
  const t0 = performance.now();
  let runs = 0;
  const foundWithin = (n: number): boolean => {
    runs++;
    return exploreOnce(a, n).counterexamples.length > 0;
  };
  let lo = 0; // nothing found within lo states
  let hi = Math.max(1, from);
  while (hi < a.maxStates && !foundWithin(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, a.maxStates);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (foundWithin(mid)) hi = mid;
    else lo = mid;
  }
  const searchMs = performance.now() - t0;
  const t = timed(timing, () => exploreOnce(a, hi));
  const first = t.value.counterexamples[0];
  if (!first) throw new Error('bench bug: the bisected bound finds no counterexample');
  return {
    found: true,
    invariant: first.invariant,
    length: first.events.length,
    states: hi,
    ms: t.ms,
    warmReps: t.warmReps,
    searchRuns: runs,
    searchMs,
  };
}

/** fast-check on the model's own schedule arbitrary, stopping at the first failure (no shrinking), then randomCheck as the CLI runs it. */
export function firstFailureRandom(family: Family, variant: VariantName, runs: number, seed: number, timing: Timing): RandomFirst {
  const { scenario, maxFaults } = sized(family, 'base');
  const opts = { variant: variantOf(variant), faults: ['interrupt'] as const, maxFaults };
  const t = timed(timing, () => {
    const probes = new Map<string, Violation[]>();
    let invariant: string | undefined;
    const property = fc.property(scheduleArbitrary(), (choices) => {
      const v = runSchedule(scenario, opts, choices, probes).violation;
      if (v) invariant = v.invariant;
      return v === undefined;
    });
    const d = fc.check(property, { numRuns: runs, seed, endOnFailure: true });
    return { failed: d.failed, numRuns: d.numRuns, invariant };
  });
  // nothing failed: randomCheck would run the very same schedules again, and has nothing to shrink
  collect();
  const t0 = performance.now();
  const full = t.value.failed ? randomCheck(scenario, { ...opts, runs, seed }) : undefined;
  const msWithShrink = full ? performance.now() - t0 : t.ms;
  const inv = t.value.invariant;
  const shrunk = full?.counterexample?.events.length;
  return {
    runs,
    seed,
    failed: t.value.failed,
    runsToFailure: t.value.numRuns,
    msToFailure: t.ms,
    warmReps: t.warmReps,
    ...(inv !== undefined ? { invariant: inv } : {}),
    numShrinks: full?.numShrinks ?? 0,
    ...(shrunk !== undefined ? { shrunkLength: shrunk } : {}),
    msWithShrink,
  };
}

export async function runJob(job: JobSpec): Promise<JobResult> {
  switch (job.kind) {
    case 'fs':
      return { kind: 'fs', opsPerSec: await runFsBench() };
    case 'headline': {
      const args: ExploreArgs = { family: job.family, step: 'base', variant: job.variant, maxDepth: job.maxDepth, maxStates: job.maxStates };
      const ex = measureExplore(args, job.timing);
      const bfs = firstCounterexampleBfs(args, ex, job.searchFrom, job.timing);
      const random = firstFailureRandom(job.family, job.variant, job.randomRuns, job.seed, job.timing);
      return { kind: 'headline', family: job.family, variant: job.variant, explore: ex, bfs, random };
    }
    case 'growth':
      return measureGrowth(job);
    case 'goals':
      return measureGoals();
  }
}
