/** Scenario and trace arguments: a built-in name or a file, read and validated with one-line errors. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Scenario } from '../../model/nix/index.js';
import { parseScenario } from '../scenario-schema.js';
import { BUILTIN, builtinScenario } from '../scenarios/builtin.js';
import type { Trace, TraceScenario } from '../trace.js';
import { traceScenario } from '../trace.js';
import { parseTrace } from '../trace-schema.js';
import { fail } from './context.js';

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** How a trace names it: whole, built-in or from this file. */
  readonly traced: TraceScenario;
  /** The argument as given: what a replay hint repeats. */
  readonly arg: string;
}

function readJson(file: string, cwd: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    fail(`cannot read ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${file}: not JSON: ${(e as Error).message}`);
  }
}

export function loadScenario(arg: string, cwd: string): LoadedScenario {
  const builtin = builtinScenario(arg);
  if (builtin) return { scenario: builtin, traced: traceScenario(builtin, { kind: 'builtin' }), arg };
  if (!arg.endsWith('.json')) fail(`unknown scenario '${arg}' (built-ins: ${BUILTIN.map((s) => s.name).join(', ')}; or a .json file)`);
  const r = parseScenario(readJson(arg, cwd, 'scenario file'));
  if (!r.ok) fail(`${arg}: ${r.error}`);
  return { scenario: r.scenario, traced: traceScenario(r.scenario, { kind: 'file', file: arg }), arg };
}

export function loadTrace(arg: string, cwd: string): Trace {
  const t = parseTrace(readJson(arg, cwd, 'trace'));
  if (!t.ok) fail(`${arg}: ${t.error}`);
  return t.trace;
}
