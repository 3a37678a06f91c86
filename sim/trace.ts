/**
 * The trace: a counterexample (or any run) as contributors read and paste it. Text follows TLC's
 * `State N: <Action>` with only what changed; syscalls strace-style with the caller; fs changes as
 * ls -l diffs. JSON carries the same content and is what `replay` and the golden tests consume.
 */
import type { SyscallRecord, TreeEntry } from '../model/fs/index.js';
import { diffTrees, formatMode } from '../model/fs/index.js';
import type { ModelEvent, Scenario, TraceStep } from '../model/nix/index.js';
import { FIRST_BUILD_UID, NIX_REV, NIX_TAG, NIXBLD_GID } from '../model/nix/index.js';

export const TRACE_FORMAT = 'nix-output-model-trace/1';

export interface TraceState {
  readonly n: number;
  readonly action: string;
  readonly actor: string;
  readonly source: string;
  readonly note: string;
  readonly syscalls: readonly string[];
  readonly changes: readonly string[];
}

export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  readonly scenario: string;
  readonly variant: string;
  readonly nixRev: string;
  readonly foundBy: string;
  readonly replay: string;
  readonly violation: { readonly invariant: string; readonly message: string } | null;
  readonly events: readonly ModelEvent[];
  readonly initial: readonly string[];
  readonly states: readonly TraceState[];
}

/** Build users are nixbldN on Linux and _nixbldN on macOS, as the installers name them. */
type Platform = Scenario['settings']['platform'];

function who(uid: number, platform: Platform): string {
  if (uid === 0) return 'root';
  return `${platform === 'darwin' ? '_nixbld' : 'nixbld'}${String(uid - FIRST_BUILD_UID + 1)}`;
}

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
  return `as ${who(c.creds.uid, platform)}  ${c.syscall}(${args})${res}`;
}

export function changeLines(before: readonly TreeEntry[], after: readonly TreeEntry[], platform: Platform = 'linux'): string[] {
  return diffTrees(before, after).map((d) => `${d.op} ${entryLine(d.entry, platform)}`);
}

export function buildTrace(args: {
  scenario: Scenario;
  variant: string;
  foundBy: string;
  events: readonly ModelEvent[];
  steps: readonly TraceStep[];
  initial: readonly TreeEntry[];
  violation: { invariant: string; message: string } | null;
  replay?: string;
}): Trace {
  const platform = args.scenario.settings.platform;
  const replay = args.replay ?? `outpath replay <this-trace.json>   # or: outpath explore ${args.scenario.name} --variant ${args.variant}`;
  return {
    format: TRACE_FORMAT,
    scenario: args.scenario.name,
    variant: args.variant,
    nixRev: NIX_REV,
    foundBy: args.foundBy,
    replay,
    violation: args.violation,
    events: args.events,
    initial: args.initial.filter((e) => e.path.startsWith('/nix/store')).map((e) => entryLine(e, platform)),
    states: args.steps.map((s, i) => ({
      n: i + 2,
      action: s.event.type,
      actor: s.event.actor,
      source: s.source,
      note: s.note,
      syscalls: s.syscalls.map((c) => syscallLine(c, platform)),
      changes: changeLines(s.before, s.after, platform),
    })),
  };
}

export function formatText(t: Trace): string {
  const out: string[] = [];
  if (t.violation) out.push(`✗ Invariant ${t.violation.invariant} violated at state ${String(t.states.length + 1)}`);
  else out.push(`✓ run of ${t.scenario} (no violation)`);
  out.push(`  scenario  ${t.scenario}    variant ${t.variant}    nix ${NIX_TAG} (${t.nixRev.slice(0, 8)})`);
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
  if (t.violation) out.push('', `Violation ${t.violation.invariant}`, `  ${t.violation.message}`);
  return out.join('\n') + '\n';
}
