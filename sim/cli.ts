/**
 * `outpath`: the command-line tool. The only place with console and files; output goes through
 * the `Io` it is given, so tests run it in-process as well as as a real process (sim/main.ts).
 * Exit codes: 0 nothing found / success, 1 a violation found (or a replay diverged), 2 bad input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FaultKind, Scenario } from '../model/nix/index.js';
import { NAMED_VARIANTS, VARIANT_SLUGS } from '../model/nix/index.js';
import { planFromEvents, scriptedEvents } from './repro/from-trace.js';
import { renderScript } from './repro/render.js';
import { validationPlans, VALIDATION_VARIANTS } from './repro/validation-plans.js';
import { patchesCommand } from './patches/command.js';
import { parseVariant, replayEvents, runScripted, variantName } from '../model/nix/index.js';
import { BUILTIN, builtinScenario } from './scenarios/builtin.js';
import { parseScenario } from './scenario-schema.js';
import { formatText, buildTrace } from './trace.js';
import type { Trace } from './trace.js';
import { formatMarkdown, formatMermaid } from './markdown.js';
import { parseTrace } from './trace-schema.js';
import { freeScenario } from '../model/verify/index.js';
import { allVariants, exploreCell, FAULT_MODELS, matrixText, randomCell, traceOf } from './verdicts.js';
import type { Cell } from './verdicts.js';

class UsageError extends Error {}

function fail(msg: string): never {
  throw new UsageError(msg);
}

function loadScenario(arg: string | undefined): Scenario {
  if (!arg) fail('missing SCENARIO (a built-in name or a JSON file; see `outpath scenarios`)');
  const builtin = builtinScenario(arg);
  if (builtin) return builtin;
  if (!arg.endsWith('.json')) fail(`unknown scenario '${arg}' (built-ins: ${BUILTIN.map((s) => s.name).join(', ')})`);
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch {
    fail(`cannot read scenario file '${arg}'`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`${arg}: not JSON: ${(e as Error).message}`);
  }
  const r = parseScenario(json);
  if (!r.ok) fail(`${arg}: ${r.error}`);
  return r.scenario;
}

function loadTrace(arg: string | undefined): Trace {
  if (!arg) fail('missing TRACE.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    fail(`${arg}: cannot read trace: ${(e as Error).message}`);
  }
  const t = parseTrace(json);
  if (!t.ok) fail(`${arg}: ${t.error}`);
  if (!builtinScenario(t.trace.scenario)) fail(`${arg}: .scenario: unknown scenario ${JSON.stringify(t.trace.scenario)}`);
  return t.trace;
}

/** --fault-targets all | id,id: which builds free faults may hit (default: the scenario's own list). */
function withFaultTargets(s: Scenario, arg: string | undefined): Scenario {
  if (arg === undefined) return s;
  const builds = s.actors.filter((a) => a.kind === 'build').map((a) => a.id);
  const base = s.explore ?? { faults: [...FAULT_MODELS], maxFaults: 1 };
  if (arg === 'all') {
    const { faultTargets: _scenarioTargets, ...rest } = base;
    return { ...s, explore: rest };
  }
  const ids = arg.split(',');
  for (const id of ids) if (!builds.includes(id)) fail(`--fault-targets: '${id}' is not a build of ${s.name} (builds: ${builds.join(', ')})`);
  return { ...s, explore: { ...base, faultTargets: ids } };
}

function variantsArg(v: string | undefined): string[] {
  if (v === undefined || v === 'all') return allVariants();
  return v.split(',').map((name) => {
    const p = parseVariant(name);
    if (!p.ok) fail(`--variant: unknown variant '${p.unknown}' (known: ${allVariants().join(', ')})`);
    return variantName(p.variant);
  });
}

function faultsArg(f: string | undefined): FaultKind[] {
  if (f === undefined) return [...FAULT_MODELS];
  return f.split(',').map((k) => {
    if (!(FAULT_MODELS as readonly string[]).includes(k)) fail(`--faults: unknown fault '${k}' (known: ${FAULT_MODELS.join(', ')})`);
    return k as FaultKind;
  });
}

function intArg(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[1-9][0-9]*$/.test(v)) fail(`--${name}: expected a positive integer, got '${v}'`);
  return Number(v);
}

const now = (): number => performance.now();

function explore(io: Io, argv: string[], defaultJob: boolean): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      variant: { type: 'string' },
      faults: { type: 'string' },
      'max-depth': { type: 'string' },
      'max-states': { type: 'string' },
      mode: { type: 'string' },
      'max-faults': { type: 'string' },
      'fault-targets': { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const mode = values.mode ?? 'bfs';
  if (mode !== 'bfs' && mode !== 'random') fail(`--mode: expected bfs or random, got '${mode}'`);
  if (values.seed !== undefined && !/^-?[0-9]+$/.test(values.seed)) fail(`--seed: expected an integer, got '${values.seed}'`);
  if (values.path !== undefined && !/^[0-9]+(:[0-9]+)*$/.test(values.path)) fail(`--path: expected a fast-check path such as 1:0:3, got '${values.path}'`);
  // the CLI owns the clock: a random campaign without --seed gets one and prints it for replay
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2_147_483_647;
  const loaded = loadScenario(positionals[0] ?? (defaultJob ? 'seed-487' : undefined));
  const scenario = withFaultTargets(loaded, values['fault-targets']);
  const variants = variantsArg(values.variant);
  const faults = faultsArg(values.faults);
  const cfg = {
    maxDepth: intArg('max-depth', values['max-depth'], scenario.explore?.maxDepth ?? 200),
    maxStates: intArg('max-states', values['max-states'], 50_000),
    maxFaults: values['max-faults'] === '0' ? 0 : intArg('max-faults', values['max-faults'], 1),
    now,
  };
  const cells: Cell[] = [];
  const runs = intArg('runs', values.runs, 200);
  const progress = (msg: string): void => {
    if (io.isTty) io.err(`\r${msg}`);
  };
  for (const v of variants) {
    for (const f of faults) {
      const t0 = now();
      progress(`${scenario.name}: ${v} under ${f} (${mode})…`.padEnd(78));
      const onProgress = (p: { states: number; depth: number }): void => {
        const secs = (now() - t0) / 1000;
        progress(`${scenario.name} ${v}/${f}: ${String(p.states)} states, depth ${String(p.depth)}, ${String(Math.round(p.states / Math.max(secs, 0.001)))} states/s, ${secs.toFixed(1)} s`.padEnd(78));
      };
      cells.push(
        mode === 'bfs'
          ? exploreCell(scenario, v, f, io.isTty ? { ...cfg, onProgress } : cfg)
          : randomCell(scenario, v, f, { runs, seed, maxFaults: cfg.maxFaults, now, ...(values.path ? { path: values.path } : {}) }),
      );
    }
  }
  progress(''.padEnd(78) + '\r');
  const violated = cells.filter((c) => c.counterexamples.length > 0);
  const traces: Trace[] = violated.flatMap((c) =>
    c.counterexamples.map((cx) =>
      traceOf(
        scenario,
        c.variant,
        cx,
        c.random
          ? `random schedules (fast-check), fault model ${c.fault}, seed=${String(c.random.seed)} path=${c.random.path ?? '-'} shrunk ${String(c.random.shrinks)}×`
          : `bfs, fault model ${c.fault}, ${String(c.states)} distinct states (shortest)`,
        c.random
          ? `outpath explore ${scenario.name} --mode random --variant ${c.variant} --faults ${c.fault} --seed ${String(c.random.seed)} --path ${c.random.path ?? ''}`
          : undefined,
      ),
    ),
  );
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    for (const t of traces) {
      const file = join(values.out, `${t.scenario}.${t.variant}.${t.violation?.invariant ?? 'ok'}.trace`);
      writeFileSync(`${file}.json`, JSON.stringify(t, null, 2) + '\n');
      writeFileSync(`${file}.txt`, formatText(t));
    }
  }
  if (values.json) {
    const out = cells.map((c) => ({ variant: c.variant, fault: c.fault, states: c.states, transitions: c.transitions, complete: c.complete, violated: c.counterexamples.map((x) => x.invariant) }));
    io.out(JSON.stringify({ scenario: scenario.name, cells: out, traces }, null, 2) + '\n');
  } else {
    io.out(`${scenario.name}: ${scenario.doc}\n\n${matrixText(cells)}\n`);
    const upstream = traces.find((t) => t.variant === 'upstream' && t.violation?.invariant === 'NoWedge') ?? traces[0];
    if (upstream) io.out(`\nShortest counterexample (${upstream.variant}):\n\n${formatText(upstream)}`);
  }
  if (defaultJob) return 0;
  return violated.length > 0 ? 1 : 0;
}

function run(io: Io, argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { variant: { type: 'string' }, json: { type: 'boolean' } } });
  const scenario = loadScenario(positionals[0]);
  const [variant] = variantsArg(values.variant ?? 'upstream');
  const v = parseVariant(variant ?? 'upstream');
  if (!v.ok) fail('bad variant');
  const r = runScripted(scenario, v.variant);
  const t = buildTrace({ scenario, variant: variantName(v.variant), foundBy: 'scripted run', events: r.steps.map((s) => s.event), steps: r.steps, initial: r.steps[0]?.before ?? [], violation: null });
  io.out(values.json ? JSON.stringify(t, null, 2) + '\n' : formatText(t));
  return 0;
}

function replay(io: Io, argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const t = loadTrace(positionals[0]);
  const scenario = builtinScenario(t.scenario);
  const v = parseVariant(t.variant);
  if (!scenario || !v.ok) fail('unreachable');
  const r = replayEvents(freeScenario(scenario), v.variant, t.events);
  if (r.divergedAt) {
    io.out(`diverges at event ${String(r.divergedAt.index + 1)}: ${r.divergedAt.reason}\n`);
    return 1;
  }
  io.out(`replayed ${String(t.events.length)} events of ${t.scenario} under ${t.variant}: same path${t.violation ? ` to the ${t.violation.invariant} violation` : ''}\n`);
  return 0;
}

function show(io: Io, argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string' } } });
  const t = loadTrace(positionals[0]);
  const format = values.format ?? 'text';
  if (format === 'text') io.out(formatText(t));
  else if (format === 'json') io.out(JSON.stringify(t, null, 2) + '\n');
  else if (format === 'markdown') io.out(formatMarkdown(t));
  else if (format === 'mermaid') io.out(formatMermaid(t));
  else fail(`--format: expected text, json, markdown or mermaid, got '${format}'`);
  return 0;
}

function repro(io: Io, argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { platform: { type: 'string' }, variant: { type: 'string' }, validation: { type: 'boolean' }, out: { type: 'string' }, plan: { type: 'boolean' } },
  });
  if (values.validation) {
    if (!values.out) fail('repro --validation needs --out DIR');
    const plans = validationPlans();
    const bad = plans.find((p) => !p.ok);
    if (bad && !bad.ok) fail(`validation plan: ${bad.error}`);
    mkdirSync(values.out, { recursive: true });
    for (const p of plans) if (p.ok) writeFileSync(join(values.out, `${p.value.scenario}.json`), JSON.stringify(p.value, null, 2) + '\n');
    io.out(`wrote ${String(plans.length)} plans to ${values.out} (variants: ${VALIDATION_VARIANTS.join(', ')})\n`);
    return 0;
  }
  const platform = values.platform ?? 'linux';
  if (platform !== 'linux' && platform !== 'darwin') fail(`--platform: expected linux or darwin, got '${platform}'`);
  const arg = positionals[0];
  let scenario: Scenario;
  let events;
  let variant: string;
  if (arg?.endsWith('.json') && !builtinScenario(arg)) {
    const t = loadTrace(arg);
    const found = builtinScenario(t.scenario);
    if (!found) fail('unreachable');
    scenario = freeScenario(found);
    events = t.events;
    variant = values.variant ?? t.variant;
  } else {
    scenario = loadScenario(arg);
    events = scriptedEvents(scenario);
    variant = values.variant ?? 'upstream';
  }
  const v = parseVariant(variant);
  if (!v.ok) fail(`--variant: unknown variant '${v.unknown}'`);
  const variants = [...new Set(['upstream', variant])];
  const plan = planFromEvents(scenario, events, variants, { platform });
  if (!plan.ok) {
    io.err(`outpath: cannot reproduce on a real daemon: ${plan.error}\n`);
    return 1;
  }
  io.out(values.plan ? JSON.stringify(plan.value, null, 2) + '\n' : renderScript(plan.value, { variant, platform }));
  return 0;
}

function patches(io: Io, argv: string[]): number {
  const r = patchesCommand(argv, [...VARIANT_SLUGS, ...Object.keys(NAMED_VARIANTS)], process.cwd());
  if (r.exitCode === 2) fail(r.text.trim().split('\n')[0] ?? 'patches: bad usage');
  io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
  return r.exitCode;
}

function scenarios(io: Io): number {
  for (const s of BUILTIN) io.out(`${s.name.padEnd(30)} ${s.doc}\n`);
  return 0;
}

const USAGE = `usage: outpath [explore SCENARIO [--variant V[,V…]|all] [--mode bfs|random] [--faults interrupt,crash,builderFailure]
                        [--max-depth N] [--max-states N] [--max-faults N] [--fault-targets all|ID,…] [--runs N] [--seed S] [--path P] [--json] [--out DIR]]
       outpath run SCENARIO [--variant V] [--json]
       outpath replay TRACE.json
       outpath show TRACE.json [--format text|json|markdown|mermaid]
       outpath repro (TRACE.json | SCENARIO) [--platform linux|darwin] [--variant V] [--plan]
       outpath repro --validation --out DIR
       outpath patches check [--nix-src DIR] [--ref REF]... [--dir DIR] [--method worktree|clone] [--json]
       outpath scenarios
With no arguments: explore the built-in seed-487 under every variant and fault model.`;

/** Where the CLI writes: stdout and stderr, or buffers in tests. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** A terminal gets progress lines on err; a pipe gets none. */
  readonly isTty: boolean;
}

export function main(argv: string[], io: Io): number {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case undefined:
        return explore(io, [], true);
      case 'explore':
        return explore(io, rest, false);
      case 'run':
        return run(io, rest);
      case 'replay':
        return replay(io, rest);
      case 'show':
        return show(io, rest);
      case 'scenarios':
        return scenarios(io);
      case 'repro':
        return repro(io, rest);
      case 'patches':
        return patches(io, rest);
      case 'help':
      case '--help':
        io.out(USAGE + '\n');
        return 0;
      default:
        fail(`unknown command '${cmd}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`outpath: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

