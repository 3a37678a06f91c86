/**
 * The speed goals, each measured the same way every run: states/s on the trio and on seed-487 (and
 * both over SHA-256 digests of a 3 KB buffer per second measured in the same process, a ratio that
 * does not depend on the machine), bytes kept per visited state, random schedules/s, time to the
 * first line of `outpath`, independent cells on 1 thread against 2, and one large cell split by state
 * hash across 2 threads against the same cell in one.
 *
 * With BENCH_BEFORE=<checkout of an older commit> the same figures are measured on that checkout in
 * the same process, alternating with this one, so the ratios to it share the machine's load.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const repoRoot = dirname(import.meta.dirname);

/** A checkout as a reader can find it again: its commit, or the directory when it is not a git checkout. */
function checkoutName(dir: string): string {
  try {
    return `commit ${execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}`;
  } catch {
    return dir;
  }
}

/** What one checkout measured. */
export interface GoalFigures {
  readonly trioStates: number;
  readonly trioMs: number;
  readonly seedStates: number;
  readonly seedMs: number;
  /** Heap kept per visited state: the highest heapUsed after a forced GC while exploring the trio, over its states. */
  readonly bytesPerState: number | null;
  readonly randomRuns: number;
  readonly randomMs: number;
}

/** Cells explored on a pool of 1 and of 2 worker threads (sim/workers/pool.ts), each pool started cold. */
export interface CellsTiming {
  readonly count: number;
  readonly states: number;
  readonly oneMs: number;
  readonly twoMs: number;
}

export interface GoalsResult {
  readonly kind: 'goals';
  /** SHA-256 of a 3 KB buffer, digests per second (the mean of a measure before and after). */
  readonly sha256PerSec: number;
  readonly now: GoalFigures;
  /** The same figures on BENCH_BEFORE's checkout, when given. */
  readonly before?: GoalFigures & { readonly checkout: string };
  /** Wall time of seed-487's cells (every variant, its fault models) on 1 thread and on 2. */
  readonly cells: CellsTiming;
  /**
   * The same cells with two faults on any build (docs/verification.md's bigger bounds): ten times the
   * states, so the threads' start-up and JIT warm-up, which dominate the small set, weigh little.
   */
  readonly bigCells?: CellsTiming;
  /**
   * One large cell (the trio, upstream, interrupts, first 25,000 states) explored in this thread and
   * split by state hash across 2 worker threads. `oneMs`/`twoMs`: the best of SPLIT_REPS alternating
   * runs after each side has explored the whole cell once; `coldOneMs`/`coldTwoMs`: those first,
   * untimed-for-the-goal runs. `same` when every run found the same states, transitions and
   * counterexamples, as they must.
   */
  readonly split: {
    readonly states: number;
    readonly oneMs: number;
    readonly twoMs: number;
    readonly coldOneMs: number;
    readonly coldTwoMs: number;
    readonly reps: number;
    readonly same: boolean;
  };
  /** Time to the first line of `node bin/outpath.js scenarios`, min of 5: from the bundle (when built) and from the sources. */
  readonly startup: { readonly bundleMs: number | null; readonly sourcesMs: number };
}

/** SHA-256 digests of a 3 KB buffer per second: the machine-independent yardstick states/s is divided by. */
export function sha256PerSecond(ms = 400): number {
  const buf = Buffer.alloc(3072, 7);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 256; i++) createHash('sha256').update(buf).digest();
    n += 256;
  }
  return n / ((performance.now() - t0) / 1000);
}

interface Checkout {
  readonly measure: (what: 'trio' | 'seed' | 'memory' | 'random') => { states: number; ms: number; bytesPerState?: number };
}

type Explore = (s: unknown, o: Record<string, unknown>) => { distinctStates: number };

/** Loads a checkout's explorer and scenarios (by file URL, so two checkouts can live in one process). */
async function checkout(root: string): Promise<Checkout> {
  const url = (p: string): string => pathToFileURL(resolve(root, p)).href;
  const verify = (await import(url('model/verify/index.ts'))) as { explore: Explore; runSchedule: (s: unknown, o: unknown, c: readonly number[], p: Map<string, unknown>) => unknown; scheduleArbitrary: unknown };
  const nix = (await import(url('model/nix/index.ts'))) as { parseVariant: (v: string) => { ok: boolean; variant?: unknown } };
  const scenarios = (await import(url('bench/scenarios.ts'))) as { concurrentTrio: () => unknown };
  const builtin = (await import(url('sim/scenarios/builtin.ts'))) as { seed487: unknown };
  const fc = (await import('fast-check')).default;
  const variant = (v: string): unknown => nix.parseVariant(v).variant;
  const trio = scenarios.concurrentTrio();
  const base = { maxDepth: 200, maxFaults: 1 };
  const gc = (globalThis as { gc?: () => void }).gc;
  return {
    measure(what) {
      const t0 = performance.now();
      if (what === 'trio') {
        const r = verify.explore(trio, { ...base, variant: variant('upstream'), faults: ['interrupt'], maxStates: 25_000 });
        return { states: r.distinctStates, ms: performance.now() - t0 };
      }
      if (what === 'seed') {
        // the main job's upstream row: seed-487 under each of its fault models
        let states = 0;
        for (const fault of ['interrupt', 'crash', 'builderFailure']) {
          states += verify.explore(builtin.seed487, { ...base, variant: variant('upstream'), faults: [fault], maxStates: 50_000 }).distinctStates;
        }
        return { states, ms: performance.now() - t0 };
      }
      if (what === 'memory') {
        gc?.();
        const heap0 = process.memoryUsage().heapUsed;
        let peak = heap0;
        const sample = (): void => {
          gc?.();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        };
        const r = verify.explore(trio, { ...base, variant: variant('upstream'), faults: ['interrupt'], maxStates: 25_000, progressEvery: 2_500, onProgress: sample });
        return { states: r.distinctStates, ms: performance.now() - t0, ...(gc ? { bytesPerState: (peak - heap0) / r.distinctStates } : {}) };
      }
      // random: the schedules randomCheck would draw, on a variant where none fails (so none stops the run)
      const runs = 400;
      // a function since fast-check loads lazily; a value in older checkouts
      const arbitrary = typeof verify.scheduleArbitrary === 'function' ? (verify.scheduleArbitrary as () => unknown)() : verify.scheduleArbitrary;
      const schedules = fc.sample(arbitrary as Parameters<typeof fc.sample>[0], { numRuns: runs, seed: 487 }) as number[][];
      const probes = new Map<string, unknown>();
      const opts = { variant: variant('recommended'), faults: ['interrupt'], maxFaults: 1 };
      const t1 = performance.now();
      for (const c of schedules) verify.runSchedule(builtin.seed487, opts, c, probes);
      return { states: runs, ms: performance.now() - t1 };
    },
  };
}

/** The best of `reps` runs of each checkout, alternating between them so load hits both alike. */
function best(cs: readonly Checkout[], what: 'trio' | 'seed' | 'random', reps: number): { states: number; ms: number }[] {
  const out = cs.map(() => ({ states: 0, ms: Number.POSITIVE_INFINITY }));
  for (let r = 0; r < reps; r++) {
    cs.forEach((c, i) => {
      const x = c.measure(what);
      const o = out[i];
      if (o && x.ms < o.ms) out[i] = { states: x.states, ms: x.ms };
    });
  }
  return out;
}

function firstLineMs(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'outpath.js'), 'scenarios'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = false;
    child.stdout.on('data', () => {
      if (seen) return;
      seen = true;
      done(performance.now() - t0);
    });
    child.on('error', fail);
    child.on('close', () => {
      if (!seen) fail(new Error('outpath scenarios printed nothing'));
    });
  });
}

async function minOf(n: number, f: () => Promise<number>): Promise<number> {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) m = Math.min(m, await f());
  return m;
}

export async function measureGoals(): Promise<GoalsResult> {
  const sha0 = sha256PerSecond();
  const beforeDir = process.env.BENCH_BEFORE;
  const cs = [await checkout(repoRoot), ...(beforeDir ? [await checkout(beforeDir)] : [])];
  for (const c of cs) c.measure('seed'); // JIT warm-up, not timed
  const trio = best(cs, 'trio', 3);
  const seed = best(cs, 'seed', 3);
  const random = best(cs, 'random', 3);
  const memory = cs.map((c) => c.measure('memory'));
  const figures = (i: number): GoalFigures => ({
    trioStates: trio[i]?.states ?? 0,
    trioMs: trio[i]?.ms ?? NaN,
    seedStates: seed[i]?.states ?? 0,
    seedMs: seed[i]?.ms ?? NaN,
    bytesPerState: memory[i]?.bytesPerState ?? null,
    randomRuns: random[i]?.states ?? 0,
    randomMs: random[i]?.ms ?? NaN,
  });
  const cells = await measureCells({ maxStates: 50_000 });
  const bigCells = await measureCells({ maxStates: 2_000_000, maxFaults: 2, allTargets: true });
  const split = await measureSplit();
  // bin/outpath.js runs the sources when any is newer than the bundle, so a checkout edited since
  // `npm ci` would time tsx under the bundle's name: bundle first, as npm's prepare does
  execFileSync('npm', ['run', '-s', 'bundle'], { cwd: repoRoot, stdio: 'ignore' });
  const bundled = existsSync(join(repoRoot, 'dist', 'outpath.js'));
  const startup = {
    bundleMs: bundled ? await minOf(5, () => firstLineMs(process.env)) : null,
    sourcesMs: await minOf(5, () => firstLineMs({ ...process.env, OUTPATH_FROM_SOURCES: '1' })),
  };
  const sha1 = sha256PerSecond();
  return {
    kind: 'goals',
    sha256PerSec: (sha0 + sha1) / 2,
    now: figures(0),
    ...(beforeDir ? { before: { ...figures(1), checkout: checkoutName(beforeDir) } } : {}),
    cells,
    bigCells,
    split,
    startup,
  };
}

async function measureCells(over: { maxStates: number; maxFaults?: number; allTargets?: boolean }): Promise<CellsTiming> {
  const { exploreCellsOn } = await import('../sim/workers/pool.js');
  const { BUILTIN } = await import('../sim/scenarios/builtin.js');
  const { allVariants, boundedScenario, scenarioBounds } = await import('../sim/verdicts.js');
  const s = BUILTIN.find((x) => x.name === 'seed-487');
  if (!s) throw new Error('bench bug: no seed-487');
  const b = scenarioBounds(s, over);
  const cfg = { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults };
  const tasks = allVariants().flatMap((variant) => b.faults.map((fault) => ({ scenario: boundedScenario(s, b), variant, fault, cfg })));
  const now = (): number => performance.now();
  // both on worker threads started for the run: this thread, warmed by the goals before, would flatter 1
  let t0 = now();
  const two = exploreCellsOn(2, tasks, now, true);
  const twoMs = now() - t0;
  t0 = now();
  const one = exploreCellsOn(1, tasks, now, true);
  const oneMs = now() - t0;
  if (JSON.stringify(one.map((c) => [c.states, c.transitions, c.counterexamples])) !== JSON.stringify(two.map((c) => [c.states, c.transitions, c.counterexamples]))) {
    throw new Error('bench: the cells on 1 thread and on 2 differ');
  }
  return { count: tasks.length, states: two.reduce((a, c) => a + c.states, 0), oneMs, twoMs };
}

/** Timed runs of each side of the split goal, alternating, after one warm-up run of each. */
const SPLIT_REPS = 3;

/**
 * The trio's first 25,000 states (upstream, interrupts) in this thread and split across 2 threads.
 * Both sides are warmed alike (one whole run each: JIT, and the what-if clean builds each thread
 * caches per scenario) before the timed runs, which alternate so that load hits both alike. Timing
 * a thread that already ran the other goals against workers warmed on 500 states measured warm-up,
 * not the split: 2.44 s on 2 against 2.42 s on 1 on an idle machine, where warm against warm gave
 * 1.7-2.0x.
 */
export async function measureSplit(): Promise<GoalsResult['split']> {
  const { SplitPool } = await import('../sim/workers/split-cell.js');
  const { concurrentTrio } = await import('./scenarios.js');
  const { exploreCell } = await import('../sim/verdicts.js');
  const trio = concurrentTrio();
  const now = (): number => performance.now();
  const cfg = { maxDepth: 200, maxStates: 25_000, maxFaults: 1, now };
  const pool = new SplitPool(2);
  try {
    const key = (c: ReturnType<typeof exploreCell>): string => JSON.stringify([c.states, c.transitions, c.counterexamples]);
    const coldTwo = exploreCell(trio, 'upstream', 'interrupt', { ...cfg, split: pool });
    const coldOne = exploreCell(trio, 'upstream', 'interrupt', cfg);
    const want = key(coldOne);
    let same = key(coldTwo) === want;
    let oneMs = Infinity;
    let twoMs = Infinity;
    for (let i = 0; i < SPLIT_REPS; i++) {
      const two = exploreCell(trio, 'upstream', 'interrupt', { ...cfg, split: pool });
      const one = exploreCell(trio, 'upstream', 'interrupt', cfg);
      same = same && key(two) === want && key(one) === want;
      twoMs = Math.min(twoMs, two.millis);
      oneMs = Math.min(oneMs, one.millis);
    }
    return { states: coldOne.states, oneMs, twoMs, coldOneMs: coldOne.millis, coldTwoMs: coldTwo.millis, reps: SPLIT_REPS, same };
  } finally {
    pool.close();
  }
}
