/**
 * `outpath`: the command-line tool. The only place with process, console and files.
 * Exit codes: 0 nothing found / success, 1 a violation found (or a replay diverged), 2 bad input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FaultKind, Scenario } from '../model/nix/index.js';
import { parseVariant, replayEvents, runScripted, variantName } from '../model/nix/index.js';
import { BUILTIN, builtinScenario } from './scenarios/builtin.js';
import { parseScenario } from './scenario-schema.js';
import { formatText, TRACE_FORMAT, buildTrace } from './trace.js';
import type { Trace } from './trace.js';
import { formatMarkdown, formatMermaid } from './markdown.js';
import { allVariants, exploreCell, FAULT_MODELS, matrixText, traceOf } from './verdicts.js';
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
  const t = json as Partial<Trace> | null;
  if (!t || typeof t !== 'object') fail(`${arg}: a trace is a JSON object`);
  if (t.format !== TRACE_FORMAT) fail(`${arg}: .format must be '${TRACE_FORMAT}' (got ${JSON.stringify(t.format)})`);
  if (typeof t.scenario !== 'string' || !builtinScenario(t.scenario)) fail(`${arg}: .scenario: unknown scenario ${JSON.stringify(t.scenario)}`);
  if (typeof t.variant !== 'string' || !parseVariant(t.variant).ok) fail(`${arg}: .variant: unknown variant ${JSON.stringify(t.variant)}`);
  if (!Array.isArray(t.events) || !t.events.every((e: unknown) => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string' && typeof (e as { actor?: unknown }).actor === 'string')) {
    fail(`${arg}: .events: expected an array of {type, actor}`);
  }
  if (!Array.isArray(t.states)) fail(`${arg}: .states: expected an array`);
  return t as Trace;
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

function explore(argv: string[], defaultJob: boolean): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      variant: { type: 'string' },
      faults: { type: 'string' },
      'max-depth': { type: 'string' },
      'max-states': { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const scenario = loadScenario(positionals[0] ?? (defaultJob ? 'seed-487' : undefined));
  const variants = variantsArg(values.variant);
  const faults = faultsArg(values.faults);
  const cfg = {
    maxDepth: intArg('max-depth', values['max-depth'], scenario.explore?.maxDepth ?? 200),
    maxStates: intArg('max-states', values['max-states'], 50_000),
    maxFaults: 1,
    now,
  };
  const cells: Cell[] = [];
  for (const v of variants) for (const f of faults) cells.push(exploreCell(scenario, v, f, cfg));
  const violated = cells.filter((c) => c.counterexamples.length > 0);
  const traces: Trace[] = violated.flatMap((c) =>
    c.counterexamples.map((cx) => traceOf(scenario, c.variant, cx, `bfs, fault model ${c.fault}, ${String(c.states)} distinct states (shortest)`)),
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
    process.stdout.write(JSON.stringify({ scenario: scenario.name, cells: out, traces }, null, 2) + '\n');
  } else {
    process.stdout.write(`${scenario.name}: ${scenario.doc}\n\n${matrixText(cells)}\n`);
    const upstream = traces.find((t) => t.variant === 'upstream' && t.violation?.invariant === 'NoWedge') ?? traces[0];
    if (upstream) process.stdout.write(`\nShortest counterexample (${upstream.variant}):\n\n${formatText(upstream)}`);
  }
  if (defaultJob) return 0;
  return violated.length > 0 ? 1 : 0;
}

function run(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { variant: { type: 'string' }, json: { type: 'boolean' } } });
  const scenario = loadScenario(positionals[0]);
  const [variant] = variantsArg(values.variant ?? 'upstream');
  const v = parseVariant(variant ?? 'upstream');
  if (!v.ok) fail('bad variant');
  const r = runScripted(scenario, v.variant);
  const t = buildTrace({ scenario, variant: variantName(v.variant), foundBy: 'scripted run', events: r.steps.map((s) => s.event), steps: r.steps, initial: r.steps[0]?.before ?? [], violation: null });
  process.stdout.write(values.json ? JSON.stringify(t, null, 2) + '\n' : formatText(t));
  return 0;
}

function replay(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const t = loadTrace(positionals[0]);
  const scenario = builtinScenario(t.scenario);
  const v = parseVariant(t.variant);
  if (!scenario || !v.ok) fail('unreachable');
  const r = replayEvents(scenario.actors.some((a) => a.kind === 'build' && a.fault) ? { ...scenario, actors: scenario.actors.map((a) => (a.kind === 'build' ? { ...a, fault: undefined } : a)) as Scenario['actors'] } : scenario, v.variant, t.events);
  if (r.divergedAt) {
    process.stdout.write(`diverges at event ${String(r.divergedAt.index + 1)}: ${r.divergedAt.reason}\n`);
    return 1;
  }
  process.stdout.write(`replayed ${String(t.events.length)} events of ${t.scenario} under ${t.variant}: same path${t.violation ? ` to the ${t.violation.invariant} violation` : ''}\n`);
  return 0;
}

function show(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string' } } });
  const t = loadTrace(positionals[0]);
  const format = values.format ?? 'text';
  if (format === 'text') process.stdout.write(formatText(t));
  else if (format === 'json') process.stdout.write(JSON.stringify(t, null, 2) + '\n');
  else if (format === 'markdown') process.stdout.write(formatMarkdown(t));
  else if (format === 'mermaid') process.stdout.write(formatMermaid(t));
  else fail(`--format: expected text, json, markdown or mermaid, got '${format}'`);
  return 0;
}

function scenarios(): number {
  for (const s of BUILTIN) process.stdout.write(`${s.name.padEnd(30)} ${s.doc}\n`);
  return 0;
}

const USAGE = `usage: outpath [explore SCENARIO [--variant V[,V…]|all] [--faults interrupt,crash,builderFailure] [--max-depth N] [--max-states N] [--json] [--out DIR]]
       outpath run SCENARIO [--variant V] [--json]
       outpath replay TRACE.json
       outpath show TRACE.json [--format text|json|markdown|mermaid]
       outpath scenarios
With no arguments: explore the built-in seed-487 under every variant and fault model.`;

export function main(argv: string[]): number {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case undefined:
        return explore([], true);
      case 'explore':
        return explore(rest, false);
      case 'run':
        return run(rest);
      case 'replay':
        return replay(rest);
      case 'show':
        return show(rest);
      case 'scenarios':
        return scenarios();
      case 'help':
      case '--help':
        process.stdout.write(USAGE + '\n');
        return 0;
      default:
        fail(`unknown command '${cmd}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`outpath: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
