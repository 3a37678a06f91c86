/**
 * From any model trace to a real run: the trace's events, replayed on Linux and run on to the
 * end (plus the probe that found the violation), become a plan whose faults and interleaving
 * points are held at the daemon's own file operations (the fault injector, fault-inject.c) or at
 * gates in the builder, and whose expectation is the model's own run of those same events.
 *
 * Nothing is written per scenario. Where a build must stop (another actor runs while it is held,
 * or a fault lands) is read off the trace: after the last builder command it ran (a gate before
 * the next one), or after the last file operation the daemon made for it, named by operation, a
 * path glob made from the trace's path (store hashes and build-dir numbers as `*`, derivation
 * names with the run's nonce) and its count among the same operations on the same glob in that
 * build so far. An interrupt lands at the daemon's next checkInterrupt() after that call, which
 * is where the model says it lands if the model has the check points right. A fault the model
 * lands after steps with no call to hold at (a database write) is held *before* the call the
 * build would make next instead, when a model step begins with that call.
 *
 * A schedule the harness cannot hold deterministically is refused with the reason, never
 * skipped: see {@link NotRealisable}. So is a plan that, run on the model the way the harness
 * runs it (predict-fault-plan.ts), is not the trace's counterexample ({@link notTheCounterexample}).
 */
import type { ActorSpec, ModelEvent, Scenario, TraceStep, Variant } from '../../model/nix/index.js';
import { apply, enabledEvents, extendWorld, parseVariant, replayEvents, resolveRef, runScripted, snapshotWorld } from '../../model/nix/index.js';
import type { World } from '../../model/nix/index.js';
import { checkPath, freeScenario } from '../../model/verify/index.js';
import type { Trace } from '../trace.js';
import type { Converted, Gate } from './from-trace.js';
import { commandStep, drvProgramLength, gateName, modeFlag, observationOf, otherOutputTargetUnplannable, placeInvocation, planProgram, planSettings, sandboxSettingsUnplannable } from './from-trace.js';
import type { DaemonOp, Observation, PlanStep, ReproPlan } from './plan.js';
import { drivable, predictFaultPlan } from './predict-fault-plan.js';
import type { StoreNames } from './daemon-calls.js';
import { daemonCalls, storeNamesOf } from './daemon-calls.js';

export { globOf, hookable } from './daemon-calls.js';
import { PLAN_FORMAT } from './plan.js';

/** Why a trace cannot run on this machine's real daemon. */
export interface NotRealisable {
  readonly realisable: false;
  readonly why: string;
}

export interface FaultPlan {
  readonly realisable: true;
  readonly plan: ReproPlan;
  /** The invariants the trace's events still violate on Linux (the model's own check of the same path). */
  readonly violatedOnLinux: readonly string[];
  /** The platform the trace was found on (a darwin trace is replayed on Linux when its events allow it). */
  readonly foundOn: 'linux' | 'darwin';
  /** Variants asked for whose expectation the model cannot give for this schedule, with the reason. */
  readonly unpredictable: Readonly<Record<string, string>>;
}

const no = (why: string): NotRealisable => ({ realisable: false, why });

/** Where a build can be stopped now: a gate before its next builder command, or after a daemon call. */
type Position = { readonly kind: 'gate'; readonly before: number } | { readonly kind: 'daemon'; readonly op: DaemonOp; readonly glob: string; readonly nth: number };

interface BuildTrack {
  readonly id: string;
  readonly drv: string;
  builderActions: number;
  /** Hookable daemon calls so far, as op + glob. */
  readonly calls: string[];
  pos?: Position;
  /** An unhookable daemon call came after `pos`: stopping "at pos" would not be where the model is. */
  stale?: string;
  /** Index in the plan's steps of its build step. */
  readonly stepIndex: number;
  /** Where it was held (once per attempt), and the index of its resume step. */
  held?: 'gate' | 'daemon' | 'lock';
  resumeIndex?: number;
  /** Its events since the resume, and how many daemon calls it had made by then. */
  sinceResume: number;
  callsAtResume?: number;
  /** A fault ended it: nothing may stop it again. */
  faulted?: boolean;
  onlyStarted: boolean;
}

function positionAfter(t: BuildTrack, step: TraceStep, names: StoreNames): string | undefined {
  if (step.event.type === 'builderAction') {
    t.builderActions++;
    t.pos = { kind: 'gate', before: t.builderActions };
    delete t.stale;
    return undefined;
  }
  for (const c of daemonCalls(step.syscalls, names)) {
    if (c.kind === 'untracked') t.stale = c.shown;
    if (c.kind === 'unmapped') return `the daemon's ${c.op} on ${c.path} has no glob the injector can match`;
    if (c.kind !== 'hooked') continue;
    t.calls.push(c.key);
    t.pos = { kind: 'daemon', op: c.op, glob: c.glob, nth: t.calls.filter((k) => k === c.key).length };
    delete t.stale;
  }
  if (step.event.type !== 'start') t.onlyStarted = false;
  return undefined;
}

/** The events of `w` run on with its first enabled event (no faults), recording the steps. */
function runOn(w: World, steps: TraceStep[]): void {
  for (let i = 0; i < 5000; i++) {
    const [e] = enabledEvents(w.ctx, w.state);
    if (!e) return;
    const r = apply(w, e);
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    steps.push(r.step);
  }
  throw new Error('the run did not end within 5000 steps');
}

/** A NoWedge violation names its probe: which derivation, after how many other builds took users. */
function probeOf(message: string): { drv: string; others: number } | undefined {
  const m = /^clean build of (\S+) \((?:as build user (\d+)|first build user)\)/.exec(message);
  return m?.[1] ? { drv: m[1], others: m[2] ? Number(m[2]) - 1 : 0 } : undefined;
}

/**
 * The trace as a plan for a real Linux daemon with the fault injector, or why it cannot be one.
 * `gcCommand` spells the model's GC.
 */
export function planFromFaultTrace(trace: Trace, name: string, alsoFor: readonly string[] = []): FaultPlan | NotRealisable {
  const spec = trace.search.mode === 'scripted' ? trace.scenario.spec : freeScenario(trace.scenario.spec);
  const foundOn = spec.settings.platform;
  const linux: Scenario = { ...spec, settings: { ...spec.settings, platform: 'linux', nixVersion: '2.34.8' } };
  if (spec.settings.nixVersion !== '2.34.8') return no(`the trace predicts Nix ${spec.settings.nixVersion}; the daemon here is 2.34.8`);
  const v = parseVariant(trace.variant);
  if (!v.ok) return no(`unknown variant ${v.unknown}`);
  const sandboxWhy = sandboxSettingsUnplannable(linux);
  if (sandboxWhy !== undefined) return no(sandboxWhy);
  const targetWhy = otherOutputTargetUnplannable(linux);
  if (targetWhy !== undefined) return no(targetWhy);
  const grouped = (linux.invocations ?? []).length > 0;
  for (const d of linux.derivations) {
    for (const act of d.program) {
      if (act.op === 'spawn' || act.op === 'loop') return no(`${d.id}'s builder uses '${act.op}', which has no shell form in the harness`);
    }
  }
  const orphan = trace.events.find((e) => e.type === 'orphanAction');
  if (orphan) return no(`a process a crashed build left running acts (${orphan.actor}): it needs a builder that survives its worker (darwin, or a process it started) held at a chosen command`);

  // The same events on Linux: a darwin trace whose events diverge, or violate nothing, is darwin-only.
  const freeFaults = trace.search.mode === 'scripted' ? undefined : { kinds: trace.search.faults, max: trace.search.maxFaults, ...(trace.search.faultTargets ? { targets: trace.search.faultTargets } : {}) };
  const checked = checkPath(linux, { variant: v.variant, events: trace.events, ...(freeFaults ? { freeFaults } : {}) });
  if (checked.divergedAt) return no(`darwin-only: on Linux event ${String(checked.divergedAt.index + 1)} cannot happen (${checked.divergedAt.reason})`);
  const violatedOnLinux = [...new Set(checked.violations.map((x) => x.invariant))];
  const wanted = trace.violations.map((x) => x.invariant);
  // (a darwin trace that violates nothing, a sweep's point past the damage, is a plain run on Linux too)
  if (foundOn === 'darwin' && wanted.length > 0 && !wanted.some((x) => (violatedOnLinux as readonly string[]).includes(x))) {
    return no(`darwin-only: on Linux the same events violate ${violatedOnLinux.length > 0 ? violatedOnLinux.join(', ') : 'nothing'}, not ${wanted.join(', ')}`);
  }

  // Run on to the end, then the probe that found a NoWedge violation, then look at every final path.
  const r = replayEvents(linux, v.variant, trace.events);
  if (r.divergedAt) return no(`the events do not replay: ${r.divergedAt.reason}`);
  const steps = [...r.steps];
  // what has started runs to its end; what the scenario had not started yet is not the counterexample's
  let world = extendWorld(r.world, snapshotWorld(r.world), []);
  runOn(world, steps);
  const extra: ActorSpec[] = [];
  const wedge = trace.violations.find((x) => x.invariant === 'NoWedge');
  const probe = wedge ? probeOf(wedge.message) : undefined;
  if (wedge && !probe) return no(`cannot tell which clean build found the wedge from "${wedge.message}"`);
  if (probe) {
    for (let i = 0; i < probe.others; i++) extra.push({ id: `probe-hold-${String(i)}`, kind: 'holdUser', releaseAfter: ['probe'] });
    extra.push({ id: 'probe', kind: 'build', drv: probe.drv, after: extra.map((x) => x.id) });
  }
  if (extra.length > 0) {
    world = extendWorld(world, snapshotWorld(world), extra);
    runOn(world, steps);
  }
  // the harness learns a final path from the client of a successful build (a killed worker's client never prints it)
  const printed = new Set(world.state.actors.flatMap((a) => (a.kind === 'build' && a.phase.kind === 'done' && a.phase.outcome.kind === 'success' ? [a.drv] : [])));
  const finals: ActorSpec[] = linux.derivations
    .filter((d) => printed.has(d.id) && resolveRef(world.ctx, { drv: d.id, which: 'final' }, world.state.realisations) !== undefined)
    .map((d) => ({ id: `final-${d.id}`, kind: 'pathInfo', target: { drv: d.id, which: 'final' } }));
  if (finals.length > 0) {
    world = extendWorld(world, snapshotWorld(world), finals);
    runOn(world, steps);
  }
  const scenario = world.ctx.scenario;
  const onLinux = wanted.filter((x) => (violatedOnLinux as readonly string[]).includes(x));
  if (grouped) return invocationPlan(trace, name, alsoFor, { world, steps }, onLinux, { foundOn, violatedOnLinux, probe: probe !== undefined });

  const names = storeNamesOf(scenario.derivations);
  const expectOf = (gates: readonly Gate[]): Observation => observationOf({ world, steps }, scenario, gates);
  let sched = schedule(scenario, steps);
  let reproduces = sched.ok ? notTheCounterexample(scenario, sched.value, v.variant, expectOf(sched.value.gates), steps, onLinux, names) : undefined;
  if (!sched.ok || reproduces !== undefined) {
    // a fault after steps in which the daemon makes no call to hold at (a database write, or a
    // write the injector does not see): held before the call it makes next instead, the fault
    // lands after them (the plan is checked the same way)
    const before = nextCalls(scenario, v.variant, steps, names);
    const alt = before.size > 0 ? schedule(scenario, steps, before) : undefined;
    if (alt?.ok && notTheCounterexample(scenario, alt.value, v.variant, expectOf(alt.value.gates), steps, onLinux, names) === undefined) {
      sched = alt;
      reproduces = undefined;
    }
  }
  if (!sched.ok) return no(sched.error);
  // the injector matches the daemon's own paths, which in a diverted store lie under its root, not /nix/store
  const atDaemon = sched.value.steps.some((x) => (x.kind === 'build' && x.daemonAt !== undefined) || (x.kind === 'resume' && x.then?.daemonAt !== undefined));
  if (atDaemon && scenario.settings.divertedStore === true) return no("a diverted store: the daemon's file operations are on its real paths under the store's root, which the injector's /nix/store globs do not match");
  const derivations = [];
  for (const d of scenario.derivations) {
    const program = planProgram(d, sched.value.gates);
    if (!program.ok) return no(program.error);
    derivations.push({ id: d.id, kind: d.kind, name: d.name, program: program.value, ...(d.noChroot === true ? { noChroot: true as const } : {}), ...((d.outputs?.length ?? 1) > 1 ? { outputs: d.outputs } : {}) });
  }
  // the plan as the harness runs it must be the counterexample: its own prediction, the trace's observation and violation
  if (reproduces !== undefined) return no(reproduces);
  const expect: Record<string, Observation> = { [trace.variant]: expectOf(sched.value.gates) };
  const unpredictable = otherVariants(scenario, sched.value, trace.variant, expect, alsoFor);
  return {
    realisable: true,
    foundOn,
    violatedOnLinux,
    unpredictable,
    plan: {
      format: PLAN_FORMAT,
      scenario: name,
      doc: `${trace.scenario.spec.doc}\nFrom the model's trace (${trace.foundBy}; ${trace.violations.map((x) => x.invariant).join(', ') || 'no violation'}), replayed on Linux, the builds it started run to their end${probe ? ', then the clean build that found the wedge' : ''}.`,
      nix: '2.34.8',
      settings: planSettings(scenario),
      derivations,
      steps: sched.value.steps,
      expect,
    },
  };
}

/**
 * A trace whose builds are goals of one invocation (`nix-build a.drv b.drv`, keep-going = false):
 * the harness runs them as one client (an `invocation` step, from-trace.ts placeInvocation), whose
 * failing goal is the one the trace's builder failure hits, at the command it hits it before. The
 * daemon is not held at its own file operations here: the goals wait at gates, and the failure
 * cancels the held one where the trace has it cancelled. As for every fault plan, the plan run on
 * the model the way the harness runs it (the scripted run of the placed scenario) must give the
 * trace's own observation and violate what the trace violates on Linux, or it is refused.
 */
function invocationPlan(
  trace: Trace,
  name: string,
  alsoFor: readonly string[],
  run: { readonly world: World; readonly steps: TraceStep[] },
  wanted: readonly string[],
  found: { readonly foundOn: 'linux' | 'darwin'; readonly violatedOnLinux: readonly string[]; readonly probe: boolean },
): FaultPlan | NotRealisable {
  const scenario = run.world.ctx.scenario;
  const events = run.steps.map((st) => st.event);
  const failed = events.findIndex((e) => e.type === 'builderFailure');
  const joiner = events[failed]?.actor;
  if (joiner === undefined) return no(`${(scenario.invocations?.[0] ?? []).join(', ')} are goals of one invocation: the harness runs one only to let a builder failure of one cancel the other, and this trace has none`);
  const nth = events.slice(0, failed).filter((e) => e.actor === joiner && e.type === 'builderAction').length;
  // the trace's free fault, placed as the scripted one the invocation step reads
  const placedScenario: Scenario = {
    ...scenario,
    actors: scenario.actors.map((a) => (a.id === joiner && a.kind === 'build' ? { ...a, fault: { kind: 'builderFailure', before: 'builderAction', nth } } : a)),
  };
  const placed = placeInvocation(placedScenario, events);
  if (!placed.ok) return no(placed.error);
  const { gates, steps: planned } = placed.value;
  const derivations = [];
  for (const d of scenario.derivations) {
    const program = planProgram(d, gates);
    if (!program.ok) return no(program.error);
    derivations.push({ id: d.id, kind: d.kind, name: d.name, program: program.value, ...(d.noChroot === true ? { noChroot: true as const } : {}), ...((d.outputs?.length ?? 1) > 1 ? { outputs: d.outputs } : {}) });
  }
  const own = observationOf(run, scenario, gates);
  const v = parseVariant(trace.variant);
  if (!v.ok) return no(`unknown variant ${v.unknown}`);
  const harness = runScripted(placedScenario, v.variant);
  if (JSON.stringify(observationOf(harness, placedScenario, gates)) !== JSON.stringify(own)) {
    return no(`the invocation plan does not reproduce the trace: ${partWays([...run.steps], harness.steps, storeNamesOf(scenario.derivations))}`);
  }
  const faults = { kinds: ['builderFailure'] as const, max: 1 };
  const checked = checkPath(drivable(placedScenario), { variant: v.variant, events: harness.steps.map((st) => st.event), freeFaults: faults });
  if (checked.divergedAt) return no(`the invocation plan's own run does not replay on the model: event ${String(checked.divergedAt.index + 1)}: ${checked.divergedAt.reason}`);
  const violated = new Set<string>(checked.violations.map((x) => x.invariant));
  const missing = wanted.filter((x) => !violated.has(x));
  if (missing.length > 0) return no(`the invocation plan's own run violates ${violated.size > 0 ? [...violated].join(', ') : 'nothing'}, not ${missing.join(', ')}: it is not the counterexample`);
  const expect: Record<string, Observation> = { [trace.variant]: own };
  const unpredictable: Record<string, string> = {};
  for (const other of alsoFor.filter((x) => x !== trace.variant)) {
    const ov = parseVariant(other);
    if (!ov.ok) throw new Error(`unknown variant ${ov.unknown}`);
    expect[other] = observationOf(runScripted(placedScenario, ov.variant), placedScenario, gates);
  }
  return {
    realisable: true,
    foundOn: found.foundOn,
    violatedOnLinux: found.violatedOnLinux,
    unpredictable,
    plan: {
      format: PLAN_FORMAT,
      scenario: name,
      doc: `${trace.scenario.spec.doc}\nFrom the model's trace (${trace.foundBy}; ${trace.violations.map((x) => x.invariant).join(', ') || 'no violation'}), replayed on Linux as one invocation of its two goals, the builds it started run to their end${found.probe ? ', then the clean build that found the wedge' : ''}.`,
      nix: '2.34.8',
      settings: planSettings(scenario),
      derivations,
      steps: planned,
      expect,
    },
  };
}

/**
 * Why the plan, run on the model the way the harness runs it on the daemon (predict-fault-plan.ts,
 * under the trace's own variant), is not the trace's counterexample, if it is not: it cannot be
 * run so, it gives another observation than the trace (the first model step where the two runs
 * part says where), or it no longer violates every invariant the trace violates. No plan is run
 * whose prediction is not the counterexample.
 */
export function notTheCounterexample(
  scenario: Scenario,
  sched: { readonly steps: readonly PlanStep[]; readonly gates: readonly Gate[] },
  variant: Variant,
  expected: Observation | undefined,
  traceSteps: readonly TraceStep[],
  wanted: readonly string[],
  names: StoreNames,
): string | undefined {
  const self = predictFaultPlan(scenario, sched.steps, sched.gates, variant);
  if (!self.ok) return `the plan, run on the model as the harness runs it, cannot be predicted: ${self.why}`;
  if (JSON.stringify(self.observation) !== JSON.stringify(expected)) return `the plan does not reproduce the trace: ${partWays(traceSteps, self.steps, names)}`;
  const events = self.steps.map((st) => st.event);
  const faults = { kinds: ['interrupt', 'crash', 'builderFailure', 'timeout'] as const, max: Number.MAX_SAFE_INTEGER };
  const checked = checkPath(drivable(scenario), { variant, events, freeFaults: faults });
  if (checked.divergedAt) return `the plan's own run does not replay on the model: event ${String(checked.divergedAt.index + 1)}: ${checked.divergedAt.reason}`;
  const violated = new Set<string>(checked.violations.map((x) => x.invariant));
  const missing = wanted.filter((x) => !violated.has(x));
  if (missing.length > 0) return `the plan's own run violates ${violated.size > 0 ? [...violated].join(', ') : 'nothing'}, not ${missing.join(', ')}: it is not the counterexample`;
  return undefined;
}

/**
 * Where the plan's run on the model leaves the trace's, in words: a fault the trace lands after
 * model steps in which the daemon makes no call the injector can hold at (the plan's point, the
 * call before them, lands it earlier), or the first step where the two runs differ.
 */
function partWays(trace: readonly TraceStep[], plan: readonly TraceStep[], names: StoreNames): string {
  const same = (a: TraceStep | undefined, b: TraceStep | undefined): boolean => a?.event.type === b?.event.type && a?.event.actor === b?.event.actor;
  let i = 0;
  while (i < trace.length && i < plan.length && same(trace[i], plan[i])) i++;
  const t = trace[i];
  const p = plan[i];
  if (!t || !p) return `the runs part after model step ${String(i)}: ${t ? `the trace goes on with ${t.event.type}(${t.event.actor})` : `the plan's run goes on with ${p ? `${p.event.type}(${p.event.actor})` : 'nothing'}`}`;
  const actor = p.event.actor;
  const silent = (st: TraceStep): boolean => st.event.actor === actor && daemonCalls(st.syscalls, names).every((c) => c.kind === 'quiet');
  let j = i;
  while (j < trace.length && trace[j]?.event.type !== p.event.type && silent(trace[j] as TraceStep)) j++;
  const landed = trace[j];
  if (j > i && landed && same(landed, p) && (p.event.type === 'crash' || p.event.type === 'interrupt' || p.event.type === 'builderFailure')) {
    const between = trace.slice(i, j).map((st) => `${st.event.type}: ${st.note}`);
    return `${actor}'s ${p.event.type} lands after ${between.join('; ')}, where the daemon makes no file operation the injector can hold at: the plan's point, the daemon's last call before them, lands it earlier`;
  }
  return `at model step ${String(i + 1)} the trace has ${t.event.type}(${t.event.actor}) (${t.note}) where the plan's run has ${p.event.type}(${p.event.actor}) (${p.note})`;
}

/**
 * The same plan's expectation under each of `variants` (predict-fault-plan.ts), added to `expect`;
 * what cannot be predicted is returned with the reason. The plan pins the run under its own
 * variant (notTheCounterexample, before this), so the other variants' predictions from it are trusted.
 */
function otherVariants(scenario: Scenario, sched: { steps: PlanStep[]; gates: Gate[] }, own: string, expect: Record<string, Observation>, variants: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const wanted = variants.filter((x) => x !== own);
  for (const name of wanted) {
    const v = parseVariant(name);
    if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
    const p = predictFaultPlan(scenario, sched.steps, sched.gates, v.variant);
    if (p.ok) expect[name] = p.observation;
    else out[name] = p.why;
  }
  return out;
}

/** What ends or cuts short an attempt rather than taking it on (a scripted one may be enabled where the build goes on). */
const FAULT_EVENTS: ReadonlySet<ModelEvent['type']> = new Set(['crash', 'interrupt', 'builderFailure', 'timeout', 'cancel']);

/** The daemon call a build would make next, by op and glob. */
interface NextCall {
  readonly op: DaemonOp;
  readonly glob: string;
  readonly key: string;
}

/**
 * For each crash or interrupt in `steps`, the daemon call its build would have made next had the
 * fault not come: the same events replayed, then that build alone, until a model step whose first
 * call the injector sees. A builder command, a call it cannot hold before, or an end or a wait
 * first: no such call (the fault keeps its place after the last call).
 */
function nextCalls(s: Scenario, variant: Variant, steps: readonly TraceStep[], names: StoreNames): Map<number, NextCall> {
  const out = new Map<number, NextCall>();
  steps.forEach((st, i) => {
    if (st.event.type !== 'crash' && st.event.type !== 'interrupt') return;
    const r = replayEvents(s, variant, steps.slice(0, i).map((x) => x.event));
    if (r.divergedAt) return;
    const w = r.world;
    const actor = st.event.actor;
    for (let k = 0; k < 200; k++) {
      const e = enabledEvents(w.ctx, w.state).find((x) => x.actor === actor && !FAULT_EVENTS.has(x.type));
      if (!e || e.type === 'builderAction' || e.type === 'orphanAction') return;
      const a = apply(w, e);
      if (!a.ok) return;
      const first = daemonCalls(a.step.syscalls, names).find((c) => c.kind !== 'quiet');
      if (first === undefined) continue;
      if (first.kind === 'hooked') out.set(i, { op: first.op, glob: first.glob, key: first.key });
      return;
    }
  });
  return out;
}

/**
 * The plan's steps: each actor in the order the events run them, builds held where another actor
 * cuts in. A fault at a step index in `before` is held before that call rather than after the last one.
 */
function schedule(s: Scenario, steps: readonly TraceStep[], before: ReadonlyMap<number, NextCall> = new Map()): Converted<{ steps: PlanStep[]; gates: Gate[] }> {
  const names = storeNamesOf(s.derivations);
  const out: PlanStep[] = [];
  const gates: Gate[] = [];
  const builds = new Map<string, BuildTrack>();
  const last = new Map<string, number>();
  steps.forEach((st, i) => last.set(st.event.actor, i));
  const started = new Set<string>();
  let current: string | undefined; // the actor whose events run now
  let usersHeld = 0;
  const spec = (id: string): ActorSpec | undefined => s.actors.find((a) => a.id === id);

  const gate = (t: BuildTrack, before: number, timeout?: true): string => {
    if (!gates.some((g) => g.actor === t.id && g.before === before)) gates.push({ actor: t.id, drv: t.drv, before, ...(timeout ? { timeout } : {}) });
    return gateName(before);
  };
  /** The build step of `t`, with `change` applied (it is always the plan's step at t.stepIndex). */
  const amend = (t: BuildTrack, change: Partial<Extract<PlanStep, { kind: 'build' }>>): void => {
    const k = t.stepIndex ?? -1;
    const b = out[k];
    if (b?.kind !== 'build') throw new Error('unreachable: no build step');
    out[k] = { ...b, ...change };
  };
  /** Stop `t` where it is, for another actor to run: hold it (once per attempt). */
  const hold = (t: BuildTrack, why: string): string | undefined => {
    if (t.faulted) return `${t.id} would stop for ${why} while it unwinds from its fault: the harness lets an ended attempt finish first`;
    if (t.held) return `${t.id} would be held twice (for ${why}): the harness holds an attempt at one point`;
    if (t.stale) return `${t.id} must stop for ${why} right after ${t.stale}, which the injector cannot hold at`;
    const p = t.pos;
    if (!p) {
      if (t.onlyStarted) {
        amend(t, { waitsForLock: true });
        t.held = 'lock';
        return undefined;
      }
      return `${t.id} must stop for ${why} before the daemon made any file operation for it`;
    }
    if (p.kind === 'gate') amend(t, { holdAt: gate(t, p.before) });
    else amend(t, { daemonAt: { op: p.op, when: 'after', nth: p.nth, glob: p.glob, action: 'hold' } });
    t.held = p.kind;
    return undefined;
  };
  const fault = (t: BuildTrack, kind: 'interrupt' | 'crash' | 'builderFailure', next: NextCall | undefined): string | undefined => {
    if (t.faulted) return `${t.id} has a second fault`;
    t.faulted = true;
    if (next !== undefined && kind !== 'builderFailure' && (t.held === undefined || (t.resumeIndex !== undefined && t.sinceResume > 0))) {
      const counted = t.held === undefined ? t.calls : t.calls.slice(t.callsAtResume ?? 0);
      const point = { op: next.op, when: 'before' as const, nth: counted.filter((c) => c === next.key).length + 1, glob: next.glob };
      if (t.held === undefined) {
        amend(t, { daemonAt: { ...point, action: kind } });
        return undefined;
      }
      const r = out[t.resumeIndex ?? -1];
      if (r?.kind !== 'resume') return 'unreachable: no resume step';
      out[t.resumeIndex ?? -1] = { ...r, then: { daemonAt: point, fault: kind } };
      return undefined;
    }
    if (t.held !== undefined) {
      if (t.held === 'lock') return `${t.id} is faulted while it waits for a lock`;
      if (t.resumeIndex === undefined) return `${t.id} is faulted while it is held`;
      const r = out[t.resumeIndex];
      if (r?.kind !== 'resume') return 'unreachable: no resume step';
      if (t.sinceResume > 0) {
        // it went on after its resume: the fault lands at a second point, armed at the resume
        if (t.stale) return `${t.id}'s ${kind} lands right after ${t.stale}, which the injector cannot hold at`;
        const p = t.pos;
        if (p?.kind === 'gate') {
          out[t.resumeIndex] = { ...r, then: { gate: gate(t, p.before), fault: kind } };
          return undefined;
        }
        const key = p ? `${p.op} ${p.glob}` : '';
        const nth = t.calls.slice(t.callsAtResume ?? 0).filter((c) => c === key).length;
        if (!p || nth === 0) return `${t.id}'s ${kind} lands after its resume but before the daemon made another file operation for it`;
        if (kind === 'builderFailure') return `${t.id}'s builder fails after the daemon's ${p.op}: no builder is running there`;
        out[t.resumeIndex] = { ...r, then: { daemonAt: { op: p.op, when: 'after', nth, glob: p.glob }, fault: kind } };
        return undefined;
      }
      // held, and resumed just now: the fault lands where it was held
      if (kind === 'builderFailure' && t.held !== 'gate') return `${t.id}'s builder fails where the daemon, not the builder, was held`;
      out[t.resumeIndex] = { ...r, fault: kind };
      return undefined;
    }
    if (t.stale) return `${t.id}'s ${kind} lands right after ${t.stale}, which the injector cannot hold at`;
    const p = t.pos;
    if (!p) return `${t.id}'s ${kind} lands before the daemon made any file operation for it: no call to hold it at`;
    if (p.kind === 'gate') {
      const g = gate(t, p.before);
      amend(t, kind === 'interrupt' ? { interruptAt: g } : kind === 'crash' ? { crashAt: g } : { failAt: g });
      return undefined;
    }
    if (kind === 'builderFailure') return `${t.id}'s builder fails after the daemon's ${p.op}: no builder is running there`;
    amend(t, { daemonAt: { op: p.op, when: 'after', nth: p.nth, glob: p.glob, action: kind } });
    return undefined;
  };

  /** A build timeout kills the builder while it waits at a gate: the harness's `timeout` mode (nobody lets it go). */
  const timedOut = (t: BuildTrack): string | undefined => {
    if (t.faulted) return `${t.id} has a second fault`;
    t.faulted = true;
    if (t.held !== undefined) return `${t.id} times out while it is held: the harness places a build timeout on an attempt's first stop`;
    const p = t.pos;
    if (p?.kind !== 'gate' || p.before >= drvProgramLength(s, t.drv)) {
      const where = p === undefined ? 'before its builder ran' : p.kind === 'daemon' ? `after the daemon's ${p.op}` : 'after its builder exited';
      return `${t.id} times out where no builder waits at a gate (${where}): the harness places a build timeout at a gate`;
    }
    amend(t, { timeoutAt: gate(t, p.before, true) });
    return undefined;
  };

  for (const [i, st] of steps.entries()) {
    const e: ModelEvent = st.event;
    const a = spec(e.actor);
    if (!a) return { ok: false, error: `unknown actor ${e.actor}` };
    if (current !== a.id && current !== undefined) {
      // another actor cuts in: the one running now stops where it is, if it has more to do
      const t = builds.get(current);
      if (t && (last.get(t.id) ?? -1) > i) {
        const err = hold(t, `${a.id} to run`);
        if (err) return { ok: false, error: err };
      } else if (!t && (last.get(current) ?? -1) > i && spec(current)?.kind !== 'holdUser') {
        return { ok: false, error: `${current} runs again after ${a.id}: a command cannot be held part-way` };
      }
    }
    if (a.kind === 'build') {
      let t = builds.get(a.id);
      if (!t) {
        t = { id: a.id, drv: a.drv, builderActions: 0, calls: [], onlyStarted: true, stepIndex: out.length, sinceResume: 0 };
        builds.set(a.id, t);
        out.push({ kind: 'build', attempt: a.id, drv: a.drv, ...modeFlag(a.mode) });
      } else if (current !== a.id) {
        if (!t.held || t.resumeIndex !== undefined) return { ok: false, error: `${a.id} goes on after another actor ran without having been held` };
        t.resumeIndex = out.length;
        t.callsAtResume = t.calls.length;
        out.push({ kind: 'resume', attempt: a.id });
      } else if (t.resumeIndex !== undefined) {
        t.sinceResume++;
      }
      current = a.id;
      if (e.type === 'timeout') {
        const err = timedOut(t);
        if (err) return { ok: false, error: err };
        continue;
      }
      if (e.type === 'interrupt' || e.type === 'crash' || e.type === 'builderFailure') {
        const err = fault(t, e.type, before.get(i));
        if (err) return { ok: false, error: err };
        continue;
      }
      const err = positionAfter(t, st, names);
      if (err) return { ok: false, error: err };
      continue;
    }
    current = a.id;
    if (e.type === 'releaseUser') {
      usersHeld--;
      if (usersHeld === 0) out.push({ kind: 'releaseUsers' });
      continue;
    }
    if (started.has(a.id)) continue;
    started.add(a.id);
    switch (a.kind) {
      case 'holdUser': {
        const prev = out[out.length - 1];
        if (prev?.kind === 'holdUsers') out[out.length - 1] = { kind: 'holdUsers', count: prev.count + 1 };
        else if (usersHeld > 0) return { ok: false, error: 'the harness holds one group of build users at a time' };
        else out.push({ kind: 'holdUsers', count: 1 });
        usersHeld++;
        break;
      }
      case 'setFlag':
      case 'clearFlag':
        out.push({ kind: a.kind, flag: a.flag });
        break;
      default: {
        const c = commandStep(s, a, {});
        if (!c.ok) return c;
        out.push(c.value);
      }
    }
  }
  if (usersHeld > 0) out.push({ kind: 'releaseUsers' });
  for (const t of builds.values()) {
    if (t.held && t.resumeIndex === undefined) return { ok: false, error: `${t.id} is held and never resumed` };
  }
  return { ok: true, value: { steps: out, gates } };
}
