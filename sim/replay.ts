/**
 * `outpath replay`: a trace is a claim, and replay re-derives it. The trace's own scenario is
 * rebuilt, its events applied one by one under the fault bounds it was found with, every state the
 * model computes compared with the state the file records, and every violation it names
 * re-evaluated at its state. Anything that does not match is reported at its first occurrence, and
 * the trace is then not confirmed.
 */
import type { Design } from '../model/nix/index.js';
import { canonicalJson, parseVariant } from '../model/nix/index.js';
import type { PathViolation } from '../model/verify/index.js';
import { checkPath, freeScenario, INVARIANTS } from '../model/verify/index.js';
import { modelIdentity, scenarioHash } from './model-identity.js';
import type { Trace, TraceState } from './trace.js';
import { initialLines, scenarioLabel, traceStates } from './trace.js';

export interface ReplayReport {
  /** True only when every state matches and every named violation is re-found where the trace says. */
  readonly confirmed: boolean;
  readonly lines: readonly string[];
}

const KNOWN: ReadonlySet<string> = new Set(INVARIANTS.map((i) => i.name));

function short(id: { sha256: string; commit?: string | undefined }): string {
  return `model/ sha256 ${id.sha256.slice(0, 12)}${id.commit ? `, commit ${id.commit.slice(0, 12)}` : ''}`;
}

/** The first field in which two trace states differ, as one line. */
function stateDiff(recorded: TraceState, now: TraceState): string {
  for (const key of ['action', 'actor', 'source', 'note'] as const) {
    if (recorded[key] !== now[key]) return `${key}: recorded ${JSON.stringify(recorded[key])}, the model now ${JSON.stringify(now[key])}`;
  }
  for (const key of ['syscalls', 'changes'] as const) {
    const a = recorded[key];
    const b = now[key];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) return `${key}[${String(i)}]: recorded ${a[i] === undefined ? 'nothing' : JSON.stringify(a[i])}, the model now ${b[i] === undefined ? 'nothing' : JSON.stringify(b[i])}`;
    }
  }
  return `n: recorded ${String(recorded.n)}, expected ${String(now.n)}`;
}

/** The first violation of each invariant along the path, in state order. */
export function firstOfEach(vs: readonly PathViolation[]): PathViolation[] {
  const seen = new Set<string>();
  return vs.filter((v) => !seen.has(v.invariant) && seen.add(v.invariant));
}

/** `designs`: fix designs loaded from files, which the trace's variant may name. */
export function replayTrace(t: Trace, designs: readonly Design[] = []): ReplayReport {
  const lines: string[] = [];
  const problems: string[] = [];
  const v = parseVariant(t.variant, designs);
  if (!v.ok) return { confirmed: false, lines: [`unknown variant '${v.unknown}'`] };
  const search = t.search.mode === 'scripted' ? 'the scripted schedule' : `${t.search.mode}, faults ${t.search.faults.join(',') || 'none'}, at most ${String(t.search.maxFaults)}${t.search.faultTargets ? ` on ${t.search.faultTargets.join(',')}` : ''}`;
  lines.push(`replaying ${String(t.events.length)} events of ${scenarioLabel(t.scenario)} under ${t.variant} (${search})`);
  const me = modelIdentity();
  if (t.model.sha256 !== me.sha256) {
    lines.push(`note: recorded on another model (${short(t.model)}); this is ${short(me)}. What follows is what this model does.`);
  }
  if (scenarioHash(canonicalJson(t.scenario.spec)) !== t.scenario.sha256) {
    problems.push(`the scenario in the trace does not match its sha256 (${t.scenario.sha256.slice(0, 12)}): it was edited after it was recorded`);
  }

  const spec = t.search.mode === 'scripted' ? t.scenario.spec : freeScenario(t.scenario.spec);
  const freeFaults = t.search.mode === 'scripted' ? undefined : { kinds: t.search.faults, max: t.search.maxFaults, ...(t.search.faultTargets ? { targets: t.search.faultTargets } : {}) };
  const path = checkPath(spec, { variant: v.variant, events: t.events, ...(freeFaults ? { freeFaults } : {}) });
  const platform = t.scenario.spec.settings.platform;

  const initial = initialLines(path.initial, platform);
  const firstInit = initial.findIndex((l, i) => t.initial[i] !== l);
  if (firstInit >= 0 || t.initial.length !== initial.length) {
    const i = firstInit >= 0 ? firstInit : Math.min(initial.length, t.initial.length);
    problems.push(`differs at state 1 (initial) line ${String(i + 1)}: recorded ${JSON.stringify(t.initial[i] ?? null)}, the model now ${JSON.stringify(initial[i] ?? null)}`);
  }
  const now = traceStates(path.steps, platform);
  const firstDiff = now.findIndex((s, k) => {
    const r = t.states[k];
    return r === undefined || JSON.stringify(r) !== JSON.stringify(s);
  });
  if (firstDiff >= 0) {
    const r = t.states[firstDiff];
    const s = now[firstDiff];
    const e = t.events[firstDiff];
    if (s) {
      problems.push(
        r
          ? `differs at state ${String(firstDiff + 2)} (event ${String(firstDiff + 1)}, ${e?.type ?? '?'}(${e?.actor ?? '?'})): ${stateDiff(r, s)}`
          : `differs at state ${String(firstDiff + 2)}: the trace records ${String(t.states.length)} states after state 1 for ${String(t.events.length)} events`,
      );
    }
  } else if (path.divergedAt) {
    const k = path.divergedAt.index;
    problems.push(`diverges at state ${String(k + 2)} (event ${String(k + 1)}): ${path.divergedAt.reason}; the model stops there`);
  } else if (t.states.length !== now.length) {
    problems.push(`differs at state ${String(now.length + 2)}: the trace records ${String(t.states.length)} states after state 1 for ${String(t.events.length)} events`);
  }

  const last = path.steps.length + 1;
  for (const claim of t.violations) {
    if (!KNOWN.has(claim.invariant)) {
      problems.push(`names '${claim.invariant}', which is not an invariant (invariants: ${[...KNOWN].join(', ')})`);
      continue;
    }
    const here = path.violations.filter((x) => x.invariant === claim.invariant && x.state === claim.state);
    if (here.length === 0) {
      const elsewhere = path.violations.find((x) => x.invariant === claim.invariant);
      const where = claim.state > last ? ` (the replayed path ends at state ${String(last)})` : '';
      problems.push(
        `${claim.invariant} is not violated at state ${String(claim.state)}${where}: ${elsewhere ? `the model finds it violated first at state ${String(elsewhere.state)}` : `the model finds no ${claim.invariant} violation anywhere on this path`}`,
      );
    } else if (!here.some((x) => x.message === claim.message)) {
      problems.push(`${claim.invariant} at state ${String(claim.state)} says something else now: recorded ${JSON.stringify(claim.message)}, the model now ${JSON.stringify(here[0]?.message ?? '')}`);
    }
  }
  const claimed = new Set(t.violations.map((c) => `${c.invariant}@${String(c.state)}`));
  const unclaimed = firstOfEach(path.violations).filter((x) => !claimed.has(`${x.invariant}@${String(x.state)}`));
  // a scripted run claims every invariant it breaks; a counterexample is about the one it names
  if (t.search.mode === 'scripted') {
    for (const x of unclaimed) problems.push(`the model now finds ${x.invariant} violated at state ${String(x.state)}, which the trace does not record: ${x.message}`);
  } else if (unclaimed.length > 0) {
    lines.push(`also violated on this path (not what this trace records): ${unclaimed.map((x) => `${x.invariant} at state ${String(x.state)}`).join(', ')}`);
  }

  if (problems.length > 0) return { confirmed: false, lines: [...lines, 'not confirmed:', ...problems.map((p) => `  ${p}`)] };
  const what =
    t.violations.length === 0
      ? 'and the model finds no invariant violated at any state'
      : `and the model re-evaluates ${t.violations.map((c) => `${c.invariant} as violated at state ${String(c.state)}: ${c.message}`).join('; ')}`;
  return { confirmed: true, lines: [...lines, `confirmed: all ${String(last)} states match what the model computes now, ${what}`] };
}
