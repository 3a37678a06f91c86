/**
 * The trace: a counterexample (or any run) as contributors read and paste it. Text follows TLC's
 * `State N: <Action>` with only what changed; syscalls strace-style with the caller; fs changes as
 * ls -l diffs. JSON carries the same content and is what `replay` and the golden tests consume.
 */
import type { SyscallRecord, TreeEntry } from '../model/fs/index.js';
import { diffTrees, formatMode } from '../model/fs/index.js';
import type { FaultKind, ModelEvent, Scenario, TraceStep } from '../model/nix/index.js';
import { canonicalJson, nameOfUid, NIX_REV, NIX_TAG, NIXBLD_GID } from '../model/nix/index.js';
import type { ModelIdentity } from './model-identity.js';
import { modelIdentity, scenarioHash } from './model-identity.js';

/** Part of a trace's public shape (`Trace.model`), so the API reference documents it. */
export type { ModelIdentity };

export const TRACE_FORMAT = 'nix-output-model-trace/2';

export interface TraceState {
  readonly n: number;
  readonly action: string;
  readonly actor: string;
  readonly source: string;
  readonly note: string;
  readonly syscalls: readonly string[];
  readonly changes: readonly string[];
}

/** The scenario a trace ran, whole: a trace needs nothing else to be shown, replayed or scripted. */
export interface TraceScenario {
  readonly name: string;
  /** builtin: one of `outpath scenarios` as it was when recorded; file: a scenario file (`file`: the path as given). */
  readonly source: 'builtin' | 'file';
  readonly file?: string;
  /** SHA-256 of `spec` as canonical JSON (keys sorted). */
  readonly sha256: string;
  readonly spec: Scenario;
}

/**
 * How the path was chosen: the scripted schedule, or a search (which drops scripted faults and
 * lets `faults`, at most `maxFaults` of them, land anywhere on `faultTargets` or every build).
 */
export interface TraceSearch {
  readonly mode: 'scripted' | 'bfs' | 'random';
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly faultTargets?: readonly string[];
}

/** An invariant violated at a numbered state (1 is the initial state). */
export interface TraceViolation {
  readonly invariant: string;
  readonly message: string;
  readonly state: number;
}

export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  readonly scenario: TraceScenario;
  readonly variant: string;
  readonly search: TraceSearch;
  /** The model that computed it (replay says when the running model is another). */
  readonly model: ModelIdentity;
  readonly nixRev: string;
  readonly foundBy: string;
  readonly replay: string;
  /** A counterexample has one; a scripted run lists the first violation of each invariant it broke. */
  readonly violations: readonly TraceViolation[];
  readonly events: readonly ModelEvent[];
  readonly initial: readonly string[];
  readonly states: readonly TraceState[];
}

/** How a trace names its scenario: whole, with the hash that identifies it. */
export function traceScenario(spec: Scenario, source: { readonly kind: 'builtin' } | { readonly kind: 'file'; readonly file: string }): TraceScenario {
  return { name: spec.name, source: source.kind, ...(source.kind === 'file' ? { file: source.file } : {}), sha256: scenarioHash(canonicalJson(spec)), spec };
}

/** Build users are nixbldN on Linux and _nixbldN on macOS, as the installers name them. */
type Platform = Scenario['settings']['platform'];

const who = nameOfUid;

function owner(uid: number, gid: number, platform: Platform): string {
  const g = gid === 0 ? (platform === 'darwin' ? 'wheel' : 'root') : gid === NIXBLD_GID ? 'nixbld' : String(gid);
  return `${who(uid, platform)}:${g}`;
}

export function entryLine(e: TreeEntry, platform: Platform = 'linux'): string {
  const target = e.kind === 'symlink' ? ` -> ${e.content ?? ''}` : '';
  return `${formatMode(e.kind, e.mode)}  ${owner(e.uid, e.gid, platform).padEnd(16)} ${e.path}${target}`;
}

/** Arguments that are modes print in octal, as strace does; uids, gids and the rest in decimal. */
const MODE_ARG: Readonly<Record<string, number>> = { mkdir: 1, mkdirP: 1, chmod: 1, open: 2, writeFile: 2 };

export function syscallLine(c: SyscallRecord, platform: Platform = 'linux'): string {
  const modeAt = MODE_ARG[c.syscall];
  const args = c.args
    .map((a, i) => (typeof a === 'number' ? (i === modeAt ? `0${a.toString(8).padStart(3, '0')}` : String(a)) : JSON.stringify(a)))
    .join(', ');
  const res = !c.result ? '' : c.result.ok ? ' = 0' : ` = -1 ${c.result.errno}`;
  const chrooted = c.creds.root === undefined ? '' : ` (chroot ${c.creds.root})`;
  return `as ${who(c.creds.uid, platform)}${chrooted}  ${c.syscall}(${args})${res}`;
}

export function changeLines(before: readonly TreeEntry[], after: readonly TreeEntry[], platform: Platform = 'linux'): string[] {
  return diffTrees(before, after).map((d) => `${d.op} ${entryLine(d.entry, platform)}`);
}

export function buildTrace(args: {
  scenario: TraceScenario;
  variant: string;
  search: TraceSearch;
  foundBy: string;
  replay: string;
  events: readonly ModelEvent[];
  steps: readonly TraceStep[];
  initial: readonly TreeEntry[];
  violations: readonly TraceViolation[];
}): Trace {
  const platform = args.scenario.spec.settings.platform;
  return {
    format: TRACE_FORMAT,
    scenario: args.scenario,
    variant: args.variant,
    search: args.search,
    model: modelIdentity(),
    nixRev: NIX_REV,
    foundBy: args.foundBy,
    replay: args.replay,
    violations: args.violations,
    events: args.events,
    initial: initialLines(args.initial, platform),
    states: traceStates(args.steps, platform),
  };
}

/** The store as the trace shows it at state 1. */
export function initialLines(initial: readonly TreeEntry[], platform: Platform): string[] {
  return initial.filter((e) => e.path.startsWith('/nix/store')).map((e) => entryLine(e, platform));
}

/** States 2, 3, …: one per step, as the trace records them (and replay recomputes them). */
export function traceStates(steps: readonly TraceStep[], platform: Platform): TraceState[] {
  return steps.map((s, i) => ({
    n: i + 2,
    action: s.event.type,
    actor: s.event.actor,
    source: s.source,
    note: s.note,
    syscalls: s.syscalls.map((c) => syscallLine(c, platform)),
    changes: changeLines(s.before, s.after, platform),
  }));
}

/** The scenario as the header names it: name, where it came from, and the start of its hash. */
export function scenarioLabel(s: TraceScenario): string {
  return `${s.name} (${s.source === 'builtin' ? 'built-in' : `file ${s.file ?? ''}`}, sha256 ${s.sha256.slice(0, 12)})`;
}

export function formatText(t: Trace): string {
  const out: string[] = [];
  for (const v of t.violations) out.push(`✗ Invariant ${v.invariant} violated at state ${String(v.state)}`);
  if (t.violations.length === 0) out.push(`✓ ${t.search.mode === 'scripted' ? 'scripted run' : 'path'} of ${t.scenario.name}: no invariant violated at any state`);
  out.push(`  scenario  ${scenarioLabel(t.scenario)}    variant ${t.variant}    nix ${NIX_TAG} (${t.nixRev.slice(0, 8)})`);
  out.push(`  found by  ${t.foundBy}`);
  out.push(`  replay    ${t.replay}`, '');
  out.push('State 1: <Init>');
  for (const l of t.initial) out.push(`  fs       ${l}`);
  for (const s of t.states) {
    out.push('', `State ${String(s.n)}: <${s.action} ${s.actor}>`.padEnd(48) + `  ${s.source}`);
    out.push(`  ${s.note}`);
    for (const c of s.syscalls) out.push(`  ${c}`);
    for (const c of s.changes) out.push(`  fs ${c}`);
  }
  for (const v of t.violations) out.push('', `Violation ${v.invariant} at state ${String(v.state)}`, `  ${v.message}`);
  return out.join('\n') + '\n';
}
