/**
 * `npm run bench`: what exploration costs (issue #5) and how it grows (issue #9). Runs every job
 * of the plan in a fresh `node --expose-gc` child, one after another (never two at once: the
 * machine is small and shared), then writes docs/perf.md and docs/perf.svg.
 *
 *   npm run bench                     # the full plan (~3 minutes), writes docs/
 *   npx tsx bench/run.ts --tiny --out /tmp/perf   # tiny bounds, a smoke run of the pipeline
 *   npx tsx bench/run.ts --goals      # the goals job alone (~1-2 minutes): prints its table, writes nothing
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULT_PREFIX } from './job.js';
import { runJob, type FsResult, type GrowthResult, type GrowthSeriesResult, type HeadlineResult, type JobResult, type JobSpec, type Rounds, type Timing, type VariantName } from './measure.js';
import type { GoalsResult } from './goals.js';
import { goalLines, renderMarkdown, renderSvg } from './report.js';
import { FAMILIES, type Family } from './scenarios.js';

const benchDir = import.meta.dirname;
const repoRoot = dirname(benchDir);

export interface BenchConfig {
  readonly name: 'full' | 'tiny';
  readonly families: readonly Family[];
  readonly variants: readonly VariantName[];
  /** Bounds of the headline explore (states/s, peak memory, the counterexample search's cap). */
  readonly headline: Readonly<Record<Family, { readonly maxDepth: number; readonly maxStates: number }>>;
  readonly searchFrom: number;
  readonly randomRuns: number;
  readonly seed: number;
  /** Bounds of the growth series, the same for every step of a family, and how many paired rounds to time. */
  readonly growth: Readonly<Record<Family, { readonly maxDepth: number; readonly maxStates: number; readonly rounds: Rounds }>>;
  readonly timing: Timing;
}

export const FULL: BenchConfig = {
  name: 'full',
  families: FAMILIES,
  variants: ['upstream', 'recommended'],
  headline: {
    'seed-487': { maxDepth: 200, maxStates: 50_000 },
    'concurrent-trio': { maxDepth: 200, maxStates: 25_000 },
  },
  searchFrom: 64,
  randomRuns: 1000,
  seed: 487,
  growth: {
    'seed-487': { maxDepth: 200, maxStates: 50_000, rounds: { budgetMs: 5_000, maxRounds: 7 } },
    // the free interleavings never end within a 3-minute bench: every step is explored to the same depth
    'concurrent-trio': { maxDepth: 14, maxStates: 100_000, rounds: { budgetMs: 25_000, maxRounds: 3 } },
  },
  timing: { budgetMs: 1500, maxWarmReps: 5 },
};

export const TINY: BenchConfig = {
  name: 'tiny',
  families: FAMILIES,
  variants: ['upstream', 'recommended'],
  headline: {
    'seed-487': { maxDepth: 200, maxStates: 300 },
    'concurrent-trio': { maxDepth: 200, maxStates: 150 },
  },
  searchFrom: 16,
  randomRuns: 5,
  seed: 487,
  growth: {
    'seed-487': { maxDepth: 12, maxStates: 150, rounds: { budgetMs: 0, maxRounds: 1 } },
    'concurrent-trio': { maxDepth: 5, maxStates: 150, rounds: { budgetMs: 0, maxRounds: 1 } },
  },
  timing: { budgetMs: 0, maxWarmReps: 0 },
};

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemBytes: number;
  readonly node: string;
  readonly os: string;
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
}

export interface BenchResult {
  readonly config: BenchConfig;
  /** ISO date-time the bench started. */
  readonly date: string;
  readonly commit: string;
  /** Uncommitted changes under model/, sim/ or bench/ when the bench ran (others work in this checkout). */
  readonly dirty: boolean;
  readonly machine: Machine;
  /** Jobs ran in their own --expose-gc child processes (memory figures are per job). */
  readonly isolated: boolean;
  readonly wallMs: number;
  readonly fs: FsResult;
  readonly goals?: GoalsResult;
  readonly headlines: readonly HeadlineResult[];
  /** Every growth step of every family and variant (each series timed round-robin in one process). */
  readonly growth: readonly GrowthResult[];
}

export function plan(config: BenchConfig): JobSpec[] {
  const jobs: JobSpec[] = [{ kind: 'fs' }, ...(config.name === 'full' ? [{ kind: 'goals' } as const] : [])];
  for (const family of config.families) {
    for (const variant of config.variants) {
      jobs.push({ kind: 'headline', family, variant, ...config.headline[family], searchFrom: config.searchFrom, randomRuns: config.randomRuns, seed: config.seed, timing: config.timing });
    }
  }
  for (const family of config.families) {
    for (const variant of config.variants) {
      jobs.push({ kind: 'growth', family, variant, ...config.growth[family] });
    }
  }
  return jobs;
}

/** Runs one job in a fresh node with --expose-gc and tsx, and reads its result line. */
export function runIsolated(job: JobSpec): JobResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(benchDir, 'job.ts'), JSON.stringify(job)], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (r.status !== 0 || !line) throw new Error(`bench job ${JSON.stringify(job)} failed (exit ${String(r.status)}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as JobResult;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function describeJob(j: JobSpec): string {
  switch (j.kind) {
    case 'fs':
      return 'fs kernel (runFsBench)';
    case 'goals':
      return 'speed goals: states/s, SHA-256 ratio, bytes/state, random, start-up, threads';
    case 'headline':
      return `${j.family} ${j.variant}: explore, first counterexample, random`;
    case 'growth':
      return `${j.family} ${j.variant}: growth steps, round-robin`;
  }
}

export async function runBench(config: BenchConfig, opts: { isolate: boolean; log?: (line: string) => void }): Promise<BenchResult> {
  const date = new Date().toISOString();
  const loadStart = os.loadavg();
  const t0 = performance.now();
  const results: JobResult[] = [];
  const jobs = plan(config);
  for (const [i, job] of jobs.entries()) {
    const tj = performance.now();
    results.push(opts.isolate ? runIsolated(job) : await runJob(job));
    opts.log?.(`[${String(i + 1)}/${String(jobs.length)}] ${describeJob(job)}: ${((performance.now() - tj) / 1000).toFixed(1)} s`);
  }
  const wallMs = performance.now() - t0;
  const fs = results.find((r): r is FsResult => r.kind === 'fs');
  if (!fs) throw new Error('bench bug: no fs result');
  const goals = results.find((r): r is GoalsResult => r.kind === 'goals');
  const cpus = os.cpus();
  return {
    config,
    date,
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', 'model', 'sim', 'bench']) !== '',
    machine: {
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cpuCount: cpus.length,
      totalMemBytes: os.totalmem(),
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadStart,
      loadEnd: os.loadavg(),
    },
    isolated: opts.isolate,
    wallMs,
    fs,
    ...(goals ? { goals } : {}),
    headlines: results.filter((r): r is HeadlineResult => r.kind === 'headline'),
    growth: results.filter((r): r is GrowthSeriesResult => r.kind === 'growth-series').flatMap((r) => r.steps),
  };
}

/** Writes perf.md and perf.svg (the markdown links the SVG by its file name) into `dir`. */
export function writeReport(result: BenchResult, dir: string): { md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'perf.md');
  const svg = join(dir, 'perf.svg');
  writeFileSync(md, renderMarkdown(result, 'perf.svg'));
  writeFileSync(svg, renderSvg(result));
  return { md, svg };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({ options: { tiny: { type: 'boolean' }, out: { type: 'string' }, 'in-process': { type: 'boolean' }, goals: { type: 'boolean' } } });
  if (values.goals) {
    const r = runIsolated({ kind: 'goals' });
    if (r.kind !== 'goals') throw new Error('bench bug: the goals job answered something else');
    process.stdout.write(`${goalLines(r).join('\n')}\n`);
    process.exit(0);
  }
  const config = values.tiny ? TINY : FULL;
  const result = await runBench(config, { isolate: !values['in-process'], log: (l) => { process.stderr.write(`${l}\n`); } });
  const out = writeReport(result, values.out ?? join(repoRoot, 'docs'));
  process.stderr.write(`bench: ${(result.wallMs / 1000).toFixed(0)} s; wrote ${out.md} and ${out.svg}\n`);
}
