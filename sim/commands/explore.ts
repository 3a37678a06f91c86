/**
 * `outpath explore`: the verdict matrix of one scenario (or, with --scenarios, of a design against
 * upstream across many), each cell violated, holding exhaustively, or inconclusive with the bound
 * that cut it. With no arguments at all, `outpath` runs this on seed-487: the main job.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import type { Design, FaultKind, Scenario } from '../../model/nix/index.js';
import { BUILTIN } from '../scenarios/builtin.js';
import type { Trace, TraceSearch } from '../trace.js';
import { formatText } from '../trace.js';
import type { Comparison } from '../matrix-text.js';
import { comparisonText, matrixText } from '../matrix-text.js';
import type { Bounds, Cell } from '../verdicts.js';
import { INVARIANTS } from '../../model/verify/index.js';
import { boundedScenario, DEFAULT_MAX_DEPTH, DEFAULT_MAX_STATES, exitCodeOf, exploreCell, randomCell, scenarioBounds, traceOf, verdictOf } from '../verdicts.js';
import { defaultJobs, exploreCellsOn } from '../workers/pool.js';
import { MAX_SPLIT, SplitPool } from '../workers/split-cell.js';
import type { CliContext, CommandModule } from './context.js';
import { examples, fail } from './context.js';
import type { LoadedScenario } from './load.js';
import { loadScenario } from './load.js';
import type { ModelFlags } from './options.js';
import { addModelOptions, chosenVariants, faultList, maxDepthArg, maxFaultsArg, positiveInt, seconds, splitCellArg } from './options.js';

interface Flags extends ModelFlags {
  readonly scenarios?: string;
  readonly faults?: FaultKind[];
  readonly maxFaults?: number;
  readonly faultTargets?: string;
  readonly maxDepth?: number;
  readonly maxStates: number;
  readonly maxTime?: number;
  readonly mode: 'bfs' | 'random';
  readonly runs: number;
  readonly seed?: string;
  readonly path?: string;
  readonly json?: boolean;
  readonly out?: string;
  readonly jobs?: number;
  readonly splitCell?: number;
}

/** The scenario's own explore block, with each flag given overriding its field. */
function boundsFor(s: Scenario, f: Flags): Bounds {
  let faultTargets: string[] | undefined;
  if (f.faultTargets !== undefined && f.faultTargets !== 'all') {
    const builds = s.actors.filter((a) => a.kind === 'build').map((a) => a.id);
    faultTargets = f.faultTargets.split(',');
    for (const id of faultTargets) if (!builds.includes(id)) fail(`--fault-targets: '${id}' is not a build of ${s.name} (builds: ${builds.join(', ')})`);
  }
  // a column that could only read ✓: no build of this scenario can time out
  if (f.faults?.includes('timeout') && s.settings.buildDeadline === undefined) fail(`--faults: no build of ${s.name} can time out: it sets no build deadline (settings.buildDeadline)`);
  const bounds = scenarioBounds(s, {
    ...(f.faults ? { faults: f.faults } : {}),
    ...(f.maxFaults === undefined ? {} : { maxFaults: f.maxFaults }),
    ...(faultTargets ? { faultTargets } : {}),
    allTargets: f.faultTargets === 'all',
    ...(f.maxDepth === undefined ? {} : { maxDepth: f.maxDepth }),
    maxStates: f.maxStates,
    ...(f.maxTime === undefined ? {} : { maxSeconds: f.maxTime }),
  });
  // as the scenario checker says for the explore block: an interrupt or crash would stop every goal of the worker, the model stops one
  const goals = new Set((s.invocations ?? []).flat());
  const hit = (bounds.faultTargets ?? s.actors.filter((a) => a.kind === 'build').map((a) => a.id)).filter((id) => goals.has(id));
  if (hit.length > 0 && bounds.faults.some((k) => k === 'interrupt' || k === 'crash')) {
    fail(`--faults/--fault-targets: interrupt and crash faults would hit ${hit.join(', ')}, goals of an invocation of ${s.name} (every goal of its daemon worker would stop, the model stops one)`);
  }
  return bounds;
}

const now = (): number => performance.now();

interface Explored {
  readonly loaded: LoadedScenario;
  readonly bounds: Bounds;
  readonly cells: Cell[];
  readonly designs: readonly Design[];
}

function exploreOne(ctx: CliContext, loaded: LoadedScenario, variants: readonly string[], f: Flags, seed: number, designs: readonly Design[], split?: SplitPool): Explored {
  const bounds = boundsFor(loaded.scenario, f);
  const scenario = boundedScenario(loaded.scenario, bounds);
  const progress = (msg: string): void => {
    if (ctx.io.isTty) ctx.io.err(`\r${msg.padEnd(78)}`);
  };
  const cfg = { maxDepth: bounds.maxDepth, maxStates: bounds.maxStates, maxFaults: bounds.maxFaults, ...(bounds.maxSeconds === undefined ? {} : { maxSeconds: bounds.maxSeconds }) };
  const tasks = variants.flatMap((variant) => bounds.faults.map((fault) => ({ scenario, variant, fault, cfg })));
  const jobs = f.jobs ?? defaultJobs(tasks.length);
  // a design loaded from a file lives in this thread only: its cells run here
  if (f.mode === 'bfs' && f.splitCell === undefined && jobs > 1 && tasks.length > 1 && designs.length === 0) {
    // independent cells on every core; per-state progress stays with the one-thread run
    progress(`${scenario.name}: ${String(tasks.length)} cells on ${String(Math.min(jobs, tasks.length))} threads…`);
    const cells = exploreCellsOn(jobs, tasks, now);
    progress('');
    if (ctx.io.isTty) ctx.io.err('\r');
    return { loaded, bounds, cells, designs };
  }
  const cells: Cell[] = [];
  for (const v of variants) {
    for (const fault of bounds.faults) {
      const t0 = now();
      progress(`${scenario.name}: ${v} under ${fault} (${f.mode})…`);
      const onProgress = (p: { states: number; depth: number }): void => {
        const secs = (now() - t0) / 1000;
        progress(`${scenario.name} ${v}/${fault}: ${String(p.states)} states, depth ${String(p.depth)}, ${String(Math.round(p.states / Math.max(secs, 0.001)))} states/s, ${secs.toFixed(1)} s`);
      };
      const cfg = { maxDepth: bounds.maxDepth, maxStates: bounds.maxStates, maxFaults: bounds.maxFaults, now, designs, ...(bounds.maxSeconds === undefined ? {} : { maxSeconds: bounds.maxSeconds }) };
      // a split cell is explored in its workers: no per-state progress
      cells.push(
        f.mode === 'bfs'
          ? exploreCell(scenario, v, fault, split ? { ...cfg, split } : ctx.io.isTty ? { ...cfg, onProgress } : cfg)
          : randomCell(scenario, v, fault, { runs: f.runs, seed, maxFaults: bounds.maxFaults, now, designs, ...(f.path ? { path: f.path } : {}) }),
      );
    }
  }
  progress('');
  if (ctx.io.isTty) ctx.io.err('\r');
  return { loaded, bounds, cells, designs };
}

/** Runs `body` with a pool of --split-cell threads (none when it asks for one thread), closed after. */
function withSplitPool<T>(f: Flags, body: (pool: SplitPool | undefined) => T): T {
  const n = f.splitCell ?? 1;
  const pool = n > 1 ? new SplitPool(n) : undefined;
  try {
    return body(pool);
  } finally {
    pool?.close();
  }
}

/** exploreOne for each scenario; BFS cells of every scenario share one pool of threads (started once). */
function exploreAll(ctx: CliContext, loaded: readonly LoadedScenario[], variants: readonly string[], f: Flags, seed: number, designs: readonly Design[]): Explored[] {
  const plans = loaded.map((l) => {
    const bounds = boundsFor(l.scenario, f);
    const scenario = boundedScenario(l.scenario, bounds);
    const cfg = { maxDepth: bounds.maxDepth, maxStates: bounds.maxStates, maxFaults: bounds.maxFaults, ...(bounds.maxSeconds === undefined ? {} : { maxSeconds: bounds.maxSeconds }) };
    return { loaded: l, bounds, tasks: variants.flatMap((variant) => bounds.faults.map((fault) => ({ scenario, variant, fault, cfg }))) };
  });
  const all = plans.flatMap((p) => p.tasks);
  const jobs = f.jobs ?? defaultJobs(all.length);
  if (f.mode === 'bfs' && (f.splitCell ?? 1) > 1) return withSplitPool(f, (pool) => loaded.map((l) => exploreOne(ctx, l, variants, f, seed, designs, pool)));
  if (f.mode !== 'bfs' || f.splitCell !== undefined || jobs <= 1 || all.length <= 1 || designs.length > 0) return loaded.map((l) => exploreOne(ctx, l, variants, f, seed, designs));
  if (ctx.io.isTty) ctx.io.err(`\r${`${String(all.length)} cells of ${String(loaded.length)} scenarios on ${String(Math.min(jobs, all.length))} threads…`.padEnd(78)}`);
  const cells = exploreCellsOn(jobs, all, now);
  if (ctx.io.isTty) ctx.io.err(`\r${''.padEnd(78)}\r`);
  let at = 0;
  return plans.map((p) => {
    const mine = cells.slice(at, at + p.tasks.length);
    at += p.tasks.length;
    return { loaded: p.loaded, bounds: p.bounds, cells: mine, designs };
  });
}

/** The command that finds this cell's counterexample again: the same scenario argument and the flags in force. */
function exploreHint(e: Explored, c: Cell, f: Flags): string {
  const parts = ['outpath explore', e.loaded.arg, ...(f.design ?? []).flatMap((d) => ['--design', d]), '--variant', c.variant, '--faults', c.fault];
  if (f.maxFaults !== undefined) parts.push('--max-faults', String(f.maxFaults));
  if (f.faultTargets !== undefined) parts.push('--fault-targets', f.faultTargets);
  if (f.maxDepth !== undefined) parts.push('--max-depth', String(f.maxDepth));
  if (c.coverage.kind === 'sampled') parts.push('--mode random', '--seed', String(c.coverage.seed), ...(c.coverage.path ? ['--path', c.coverage.path] : []));
  return parts.join(' ');
}

function tracesOf(e: Explored, f: Flags): Trace[] {
  return e.cells.flatMap((c) => {
    const search: TraceSearch = { mode: f.mode, faults: [c.fault], maxFaults: e.bounds.maxFaults, ...(e.bounds.faultTargets ? { faultTargets: e.bounds.faultTargets } : {}) };
    const foundBy =
      c.coverage.kind === 'sampled'
        ? `random schedules (fast-check), fault model ${c.fault}, seed=${String(c.coverage.seed)} path=${c.coverage.path ?? '-'} shrunk ${String(c.coverage.shrinks)}×`
        : `bfs, fault model ${c.fault}, ${String(c.states)} distinct states (shortest)`;
    return c.counterexamples.map((cx) => traceOf({ scenario: e.loaded.traced, variant: c.variant, search, cx, foundBy, replay: exploreHint(e, c, f), designs: e.designs }));
  });
}

/** Writes each trace as JSON and text; a written trace's replay hint names its own file first. */
function writeTraces(ctx: CliContext, dir: string, traces: readonly Trace[], designFiles: readonly string[]): void {
  const designs = designFiles.map((d) => ` --design ${d}`).join('');
  mkdirSync(resolve(ctx.cwd, dir), { recursive: true });
  for (const t of traces) {
    const [v] = t.violations;
    const base = join(dir, `${t.scenario.name}.${t.variant}.${v?.invariant ?? 'ok'}.${t.search.faults.join('+')}.trace`);
    const written: Trace = { ...t, replay: `outpath replay ${base}.json${designs}   # or: ${t.replay}` };
    writeFileSync(resolve(ctx.cwd, `${base}.json`), JSON.stringify(written, null, 2) + '\n');
    writeFileSync(resolve(ctx.cwd, `${base}.txt`), formatText(written));
  }
}

function cellJson(c: Cell): unknown {
  return {
    variant: c.variant,
    fault: c.fault,
    states: c.states,
    transitions: c.transitions,
    millis: Math.round(c.millis),
    coverage: c.coverage.kind,
    limit: c.coverage.kind === 'cut' ? c.coverage.limit : null,
    complete: c.coverage.kind === 'exhaustive',
    ...(c.coverage.kind === 'sampled' ? { runs: c.coverage.runs, seed: c.coverage.seed } : {}),
    verdicts: Object.fromEntries(INVARIANTS.map((i) => [i.name, verdictOf(c, i.name)])),
    violated: c.counterexamples.map((x) => x.invariant),
  };
}

function scenarioJson(e: Explored): unknown {
  return { name: e.loaded.traced.name, source: e.loaded.traced.source, sha256: e.loaded.traced.sha256 };
}

function single(ctx: CliContext, arg: string, f: Flags, seed: number): void {
  const { variants, designs } = chosenVariants(f, ctx.cwd);
  const loaded = loadScenario(arg, ctx.cwd);
  const e = withSplitPool(f, (pool) => exploreOne(ctx, loaded, variants, f, seed, designs, pool));
  const traces = tracesOf(e, f);
  if (f.out) writeTraces(ctx, f.out, traces, f.design ?? []);
  ctx.exitCode = exitCodeOf(e.cells);
  if (f.json) {
    ctx.io.out(JSON.stringify({ scenario: scenarioJson(e), bounds: e.bounds, exitCode: ctx.exitCode, cells: e.cells.map(cellJson), traces }, null, 2) + '\n');
    return;
  }
  ctx.io.out(`${e.loaded.scenario.name}: ${e.loaded.scenario.doc}\n\n${matrixText(e.cells, e.bounds)}\n`);
  // the trace of the variant asked first that has one, in cell order (fault model, then invariant found first)
  const shown = variants.map((v) => traces.find((t) => t.variant === v)).find((t) => t !== undefined);
  if (shown) {
    const [v] = shown.violations;
    ctx.io.out(`\nShortest counterexample (${shown.variant}, ${v?.invariant ?? ''} under ${shown.search.faults.join(',')}):\n\n${formatText(shown)}`);
  }
}

function many(ctx: CliContext, list: string, f: Flags, seed: number): void {
  const args = list === 'all' ? BUILTIN.map((s) => s.name) : [...new Set(list.split(','))];
  const loaded = args.map((a) => loadScenario(a, ctx.cwd));
  const { variants: asked, designs } = chosenVariants(f, ctx.cwd);
  // every design is compared with upstream, and one that is neither with the recommended series too
  const compareRecommended = asked.some((v) => v !== 'upstream' && v !== 'recommended');
  const bases = ['upstream', ...(compareRecommended ? ['recommended'] : [])];
  const withBase = [...bases.filter((b) => !asked.includes(b)), ...asked];
  const explored = exploreAll(ctx, loaded, withBase, f, seed, designs);
  const askedCells = explored.flatMap((e) => e.cells.filter((c) => asked.includes(c.variant)));
  ctx.exitCode = exitCodeOf(askedCells);
  const traces = explored.flatMap((e) => tracesOf(e, f).filter((t) => asked.includes(t.variant)));
  if (f.out) writeTraces(ctx, f.out, traces, f.design ?? []);
  if (f.json) {
    const scenarios = explored.map((e) => ({ scenario: scenarioJson(e), bounds: e.bounds, cells: e.cells.map(cellJson) }));
    ctx.io.out(JSON.stringify({ variants: asked, exitCode: ctx.exitCode, scenarios, traces }, null, 2) + '\n');
    return;
  }
  const tables = asked.map((v) => {
    const rows: Comparison[] = explored.map((e) => ({
      scenario: e.loaded.scenario.name,
      cells: e.cells.filter((c) => c.variant === v),
      upstream: e.cells.filter((c) => c.variant === 'upstream'),
      ...(compareRecommended && v !== 'upstream' && v !== 'recommended' ? { recommended: e.cells.filter((c) => c.variant === 'recommended') } : {}),
    }));
    const first = explored[0];
    return comparisonText(v, rows, first ? { ...first.bounds, faults: [...new Set(explored.flatMap((e) => e.bounds.faults))] } : boundsFor(BUILTIN[0] as Scenario, f), explored.some((e) => e.bounds.faultTargets !== undefined));
  });
  ctx.io.out(tables.join('\n\n') + '\n');
}

/** The main job (`outpath` alone, `npm start`): seed-487 under every variant and its own fault models. */
export const MAIN_JOB = ['explore', 'seed-487'] as const;

export const exploreCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const cmd = program
      .command('explore')
      .description(
        'Explore a scenario breadth-first (or by random schedules) under each variant and fault model, and print the verdict of every invariant: ✗ violated (with a trace), ✓ holds (every state within the bounds explored) or ? inconclusive (a bound cut the search short, or schedules were sampled).',
      )
      .argument('[scenario]', 'a built-in scenario (see `outpath scenarios`) or a scenario JSON file');
    addModelOptions(cmd, 'many');
    cmd
      .addOption(new Option('--scenarios <list>', '"all" built-in scenarios, or scenarios separated by commas: print the asked variants against upstream (and a design against recommended too), scenario by scenario'))
      .addOption(new Option('--faults <kinds>', "fault models, one column each: interrupt, crash, builderFailure, timeout (needs settings.buildDeadline), separated by commas (default: the scenario's explore.faults, else the first three)").argParser(faultList))
      .addOption(new Option('--max-faults <n>', "faults per run, 0-3 (default: the scenario's explore.maxFaults, else 1)").argParser(maxFaultsArg))
      .addOption(new Option('--fault-targets <ids>', "the builds faults may hit: ids separated by commas, or all (default: the scenario's explore.faultTargets, else every build)"))
      .addOption(new Option('--max-depth <n>', `the longest run explored, in events (default: the scenario's explore.maxDepth, else ${String(DEFAULT_MAX_DEPTH)})`).argParser(maxDepthArg))
      .addOption(new Option('--max-states <n>', 'distinct states per cell before the search stops (the cell is then inconclusive)').default(DEFAULT_MAX_STATES).argParser(positiveInt))
      .addOption(new Option('--max-time <seconds>', 'time per cell before the search stops (the cell is then inconclusive); default: no time bound').argParser(seconds))
      .addOption(new Option('--mode <mode>', 'bfs: exhaustive breadth-first; random: fast-check schedules (never exhaustive)').choices(['bfs', 'random']).default('bfs'))
      .addOption(new Option('--runs <n>', 'random mode: schedules per cell').default(200).argParser(positiveInt))
      .addOption(new Option('--seed <seed>', 'random mode: the seed (default: from the clock, printed for replay)'))
      .addOption(new Option('--path <path>', 'random mode: replay one fast-check path from an earlier report, such as 1:0:3'))
      .addOption(new Option('--jobs <n>', 'bfs: threads exploring cells at once (default: one per core); 1 explores them one after another, with progress').argParser(positiveInt))
      .addOption(
        new Option('--split-cell <n>', `bfs: split each cell across n worker threads by state hash, cells one after another (1-${String(MAX_SPLIT)}; 1 explores in this thread); the counts, verdicts and counterexamples are the same`).argParser(
          splitCellArg,
        ),
      )
      .option('--json', 'print the cells, bounds and traces as JSON instead of the matrix')
      .option('--out <dir>', 'write every counterexample as <scenario>.<variant>.<invariant>.<fault>.trace.json and .txt')
      .addHelpText(
        'after',
        examples(
          'outpath explore seed-487 --variant upstream,recommended --out out/',
          'outpath explore ./my-scenario.json --faults interrupt --max-faults 2',
          'outpath explore --scenarios all --variant recommended+cleanup-deletes-scratch',
          'outpath explore --scenarios all --design ./my-design.ts',
          'outpath explore seed-487 --mode random --runs 500 --seed 42',
        ),
      )
      .addHelpText('after', '\nExit status: 0 every invariant holds in every cell, 1 a violation, 2 bad input, 3 nothing violated but some cell inconclusive.')
      .action((arg: string | undefined, f: Flags) => {
        if (f.seed !== undefined && !/^-?[0-9]+$/.test(f.seed)) fail(`--seed: expected an integer, got '${f.seed}'`);
        if (f.path !== undefined && !/^[0-9]+(:[0-9]+)*$/.test(f.path)) fail(`--path: expected a fast-check path such as 1:0:3, got '${f.path}'`);
        if (f.mode === 'bfs' && (f.seed !== undefined || f.path !== undefined)) fail('--seed and --path are for --mode random');
        if (f.splitCell !== undefined) {
          if (f.mode !== 'bfs') fail('--split-cell is for --mode bfs (random schedules are not a breadth-first search)');
          if (f.jobs !== undefined) fail('give --jobs (whole cells at once) or --split-cell (one cell at a time, split), not both');
          if (f.splitCell > 1 && (f.design ?? []).length > 0) fail('--split-cell with --design: a design loaded from a file lives in this thread only, so its cells cannot be split');
        }
        // the CLI owns the clock: a random campaign without --seed gets one and prints it for replay
        const seed = f.seed !== undefined ? Number(f.seed) : Date.now() % 2_147_483_647;
        if (f.scenarios !== undefined) {
          if (arg !== undefined) fail('give a SCENARIO or --scenarios, not both');
          many(ctx, f.scenarios, f, seed);
        } else {
          if (arg === undefined) fail('missing SCENARIO (a built-in name or a JSON file; see `outpath scenarios`), or --scenarios all');
          single(ctx, arg, f, seed);
        }
      });
  },
};
