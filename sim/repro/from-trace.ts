/**
 * From the model to a real daemon: turns a run's event sequence into a sequential scenario (each
 * actor runs alone, interrupts placed between builder commands), then into a ReproPlan whose
 * expectations are the model's own predictions for every requested variant. Nothing here is
 * written by hand: a plan's `expect` is always computed by running the model.
 */
import type { TreeEntry } from '../../model/fs/index.js';
import type { ActorSpec, BuildActor, BuildMode, DerivationSpec, ModelEvent, Run, Scenario, Settings } from '../../model/nix/index.js';
import { drvOf, nameOfUid, outputPathName, parseVariant, resolveRef, runScripted, UPSTREAM, usesChroot } from '../../model/nix/index.js';
import type { AttemptObservation, BuilderAction, DeleteCommand, Observation, PlanSettings, PlanStep, ReproPlan } from './plan.js';
import { PLAN_FORMAT } from './plan.js';

export type Converted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Where each interrupted (or timed-out) attempt is held: before builder command `k` of its derivation. */
export interface Gate {
  readonly actor: string;
  readonly drv: string;
  readonly before: number;
  /** The build timeout kills the builder at this gate (absent: the client is interrupted there). */
  readonly timeout?: true;
}

/**
 * The event sequence as actors that run one after another. Builds must be contiguous; holdUser
 * may span builds (its release is placed where it happened). Faults other than an interrupt
 * between two builder commands cannot be placed on a real daemon deterministically.
 */
export function sequentialise(scenario: Scenario, events: readonly ModelEvent[]): Converted<{ scenario: Scenario; gates: Gate[] }> {
  const order: string[] = [];
  const releasedBefore = new Map<string, string[]>();
  const builderActions = new Map<string, number>();
  const gates: Gate[] = [];
  let open: string | undefined;
  let openLast: ModelEvent['type'] | undefined;
  for (const e of events) {
    const spec = scenario.actors.find((a) => a.id === e.actor);
    // a build whose last event was lockOutputs and that lets another actor go on found its outputs
    // valid and is done (no cleanupBuild follows); if it was only waiting, its next event is refused below
    if (open !== undefined && e.actor !== open && openLast === 'lockOutputs') open = undefined;
    if (e.type === 'orphanAction') return { ok: false, error: `a crashed daemon's builder (${e.actor}) cannot be scripted on a real daemon` };
    if (!spec) return { ok: false, error: `unknown actor ${e.actor}` };
    if (e.type === 'crash' || e.type === 'builderFailure') return { ok: false, error: `a ${e.type} of ${e.actor} cannot be placed deterministically on a real daemon` };
    if (e.type === 'releaseUser') {
      releasedBefore.set(e.actor, order.slice(order.indexOf(e.actor) + 1));
      continue;
    }
    if (!order.includes(e.actor)) {
      if (open !== undefined && spec.kind === 'build') return { ok: false, error: `${e.actor} starts while ${open} is still building: concurrent builds cannot be scripted` };
      order.push(e.actor);
    } else if (spec.kind === 'build' && open !== e.actor && order[order.length - 1] !== e.actor) {
      return { ok: false, error: `${e.actor} resumes after another actor ran (${e.type}): interleavings cannot be scripted` };
    }
    if (spec.kind === 'build') {
      open = e.actor;
      openLast = e.type;
      if (e.type === 'builderAction') builderActions.set(e.actor, (builderActions.get(e.actor) ?? 0) + 1);
      if (e.type === 'interrupt' || e.type === 'timeout') {
        const k = builderActions.get(e.actor) ?? 0;
        if (k === 0) return { ok: false, error: `${e.actor} is ${e.type === 'timeout' ? 'timed out' : 'interrupted'} before its builder ran: a gate can only hold a running builder` };
        if (e.type === 'timeout' && spec.kind === 'build' && k >= drvProgramLength(scenario, spec.drv)) {
          return { ok: false, error: `${e.actor} times out after its builder exited: no gate holds a builder there` };
        }
        gates.push({ actor: e.actor, drv: spec.drv, before: k, ...(e.type === 'timeout' ? { timeout: true as const } : {}) });
      }
      if (e.type === 'cleanupBuild' || e.type === 'lockOutputs') open = e.type === 'cleanupBuild' ? undefined : open;
    } else if (spec.kind !== 'holdUser' && open !== undefined) {
      return { ok: false, error: `${e.actor} runs while ${open} is building: concurrent actors cannot be scripted` };
    }
  }
  const actors: ActorSpec[] = order.map((id, i) => {
    const spec = scenario.actors.find((a) => a.id === id);
    if (!spec) throw new Error('unreachable');
    const after = i === 0 ? [] : [order[i - 1] ?? ''];
    const gate = gates.find((g) => g.actor === id);
    const { during: _during, after: _after, ...rest } = spec;
    if (rest.kind === 'holdUser') return { ...rest, after, releaseAfter: releasedBefore.get(id) ?? order.slice(i + 1) };
    if (rest.kind === 'build') {
      const { fault: _fault, faults: _faults, ...b } = rest;
      return gate ? { ...b, after, fault: { kind: gate.timeout ? 'timeout' : 'interrupt', before: 'builderAction', nth: gate.before } } : { ...b, after };
    }
    return { ...rest, after };
  });
  return { ok: true, value: { scenario: { ...scenario, actors }, gates } };
}

/** The number of commands of `drv`'s builder. */
export function drvProgramLength(s: Scenario, drv: string): number {
  return s.derivations.find((d) => d.id === drv)?.program.length ?? 0;
}

export function gateName(k: number): string {
  return `before${String(k)}`;
}

/** The derivation's program as the harness runs it: a gate before every command an interrupt was placed at. */
export function planProgram(d: DerivationSpec, gates: readonly Gate[]): Converted<BuilderAction[]> {
  const at = [...new Set(gates.filter((g) => g.drv === d.id).map((g) => g.before))];
  const out: BuilderAction[] = [];
  for (const [i, act] of d.program.entries()) {
    if (at.includes(i)) out.push({ op: 'gate', name: gateName(i) });
    if (act.op === 'spawn' || act.op === 'loop') return { ok: false, error: `${d.id}: '${act.op}' has no shell form in the harness` };
    if (act.op === 'plant') {
      out.push({ op: 'plant', drv: act.drv, path: act.path, content: act.content, ...(act.mode !== undefined ? { mode: act.mode } : {}) });
      continue;
    }
    if (act.op === 'plantSymlink') {
      if (typeof act.target !== 'string') return { ok: false, error: `${d.id}: a planted symlink to another derivation's path has no shell form in the harness` };
      out.push({ op: 'plantSymlink', drv: act.drv, target: act.target });
      continue;
    }
    if (act.op === 'symlink') {
      const target = act.target;
      // a link to another output of the same derivation by its scratch path is `ln -s "$dev"`: the builder has the variable
      // (a floating CA output's scratch path is always makeFallbackPath(output), as the model's symbolic one is)
      if (typeof target !== 'string' && d.kind === 'ca-floating' && target.drv === d.id && target.which === 'scratch' && target.path === undefined && target.output !== undefined && (d.outputs ?? []).includes(target.output)) {
        out.push({ op: 'outputLink', to: target.output, path: act.path, ...(act.output !== undefined ? { output: act.output } : {}) });
        continue;
      }
      if (typeof target !== 'string') return { ok: false, error: `${d.id}: a symlink to another derivation's path has no shell form in the harness` };
      out.push({ op: 'symlink', target, path: act.path, ...(act.output !== undefined ? { output: act.output } : {}) });
      continue;
    }
    out.push(act);
  }
  if (at.includes(d.program.length)) out.push({ op: 'gate', name: gateName(d.program.length) });
  return { ok: true, value: out };
}

function planIndex(modelIndex: number, gatesAt: readonly number[]): number {
  return modelIndex + gatesAt.filter((k) => k <= modelIndex).length;
}

function userOf(uid: number | undefined, platform: Settings['platform']): string | null {
  return uid === undefined ? null : nameOfUid(uid, platform);
}

/** An output of the attempt's derivation: its store path name (`lib-dev`) and final path, if it has one. */
export interface OutputName {
  readonly output: string;
  readonly pathName: string;
  readonly final?: string;
}

/**
 * A link target that is a store path of one of the derivation's outputs, named by role: `<dev final>`
 * for its final path, `<dev other>` for any other path with its name (the scratch path a reference
 * was not rewritten from). Model and daemon hash store paths differently; which path a link names
 * is what can be compared. oracle.py's name_store_path does the same on the daemon's side.
 */
export function nameStorePath(target: string, outputs: readonly OutputName[]): string {
  const m = /^\/nix\/store\/([^/]+)(.*)$/.exec(target);
  if (!m) return target;
  const base = m[1] ?? '';
  const o = outputs.find((x) => base.slice(33) === x.pathName);
  if (!o) return target;
  return `<${o.output} ${o.final === `/nix/store/${base}` ? 'final' : 'other'}>${m[2] ?? ''}`;
}

function filesOf(entries: readonly TreeEntry[], root: string, outputs: readonly OutputName[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (e.path === root || !e.path.startsWith(`${root}/`)) continue;
    const rel = e.path.slice(root.length + 1);
    if (e.kind === 'dir') out[`${rel}/`] = '';
    else if (e.kind === 'symlink') out[rel] = `-> ${nameStorePath(e.content ?? '', outputs)}`;
    else out[rel] = e.content ?? '';
  }
  return out;
}

function attempt(r: Pick<Run, 'world' | 'steps'>, a: BuildActor, d: DerivationSpec, gatesAt: readonly number[], settings: Settings): AttemptObservation {
  const platform = settings.platform;
  const p = a.phase;
  // cancelled (keep-going = false destroyed the goal) is its own outcome: the harness tells it apart
  // from a failure by the client's message (oracle.py attempt_fact)
  const outcome = p.kind === 'done' ? (p.outcome.kind === 'success' ? 'success' : p.outcome.kind === 'interrupted' ? 'interrupted' : p.outcome.kind === 'cancelled' ? 'cancelled' : 'failed') : 'failed';
  // a builder that exited at a gate before its first command still ran and reported (an invocation's failing goal)
  const reached = (a.counts.builderAction ?? 0) > 0 || (outcome === 'interrupted' && a.scratch !== undefined) || ((a.counts.builderExit ?? 0) > 0 && gatesAt.includes(a.calls.length));
  const actions: { i: number; ok: boolean; errno?: string }[] = [];
  for (const c of a.calls) {
    if (gatesAt.includes(c.i)) actions.push({ i: planIndex(c.i, gatesAt) - 1, ok: true });
    actions.push({ i: planIndex(c.i, gatesAt), ok: c.ok, ...(c.errno ? { errno: c.errno } : {}) });
  }
  // the gate where the builder stopped (interrupted, crashed, failed) or that it passed last (held at its end)
  const stoppedAt = a.calls.length;
  if (reached && gatesAt.includes(stoppedAt)) actions.push({ i: planIndex(stoppedAt, gatesAt) - 1, ok: true });
  // the output and the build dir as the attempt left them: a later step (a delete, a GC) may remove them
  const lastStep = [...r.steps].reverse().find((s) => s.event.actor === a.id);
  // the builder reports its build dir, except through a sandbox (it sees the chroot's /build)
  const tmpDir = reached && !usesChroot(r.world.ctx, drvOf(r.world.ctx, a.drv)) ? a.tmpDir : undefined;
  const base: AttemptObservation = {
    buildUser: reached ? userOf(a.uid, platform) : null,
    outcome,
    actions,
    ...(tmpDir !== undefined ? { buildDirKept: (lastStep?.after ?? []).some((e) => e.path === tmpDir) } : {}),
  };
  const out = p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : undefined;
  const after = out !== undefined ? (lastStep?.after ?? r.world.ctx.fs.tree(out)) : [];
  // a registered output something deleted before the attempt was over (a GC during registration) has no files to list
  const names: OutputName[] = (d.outputs ?? ['out']).map((o) => {
    const final = resolveRef(r.world.ctx, { drv: d.id, which: 'final', output: o }, r.world.state.realisations);
    return { output: o, pathName: outputPathName(d.name, o), ...(final !== undefined ? { final } : {}) };
  });
  const withOut = out !== undefined && after.some((e) => e.path === out) ? { ...base, outputFiles: filesOf(after, out, names) } : base;
  // a multi-output build's other outputs at their final paths, as the harness lists what nix-build printed
  const others = out !== undefined ? (d.outputs ?? []).filter((o) => o !== 'out') : [];
  const otherOutputFiles: Record<string, Record<string, string>> = {};
  for (const o of others) {
    const path = resolveRef(r.world.ctx, { drv: d.id, which: 'final', output: o }, r.world.state.realisations);
    otherOutputFiles[o] = path !== undefined && after.some((e) => e.path === path) ? filesOf(after, path, names) : {};
  }
  const withFiles = others.length > 0 ? { ...withOut, otherOutputFiles } : withOut;
  // An interrupted attempt runs at the client's default verbosity (see harness.lib.sh), where the
  // debug line "removing invalid path" is not shown: its removedInvalid is not observable.
  if (d.kind !== 'input-addressed' || outcome === 'interrupted') return withFiles;
  // the harness matches the line by the name of `out` alone: another output's removal is not seen
  const outPath = (d.outputs?.length ?? 1) > 1 ? resolveRef(r.world.ctx, { drv: d.id, which: 'final', output: 'out' }, r.world.state.realisations) : undefined;
  const line = outPath !== undefined ? `removing invalid path '${outPath}'` : 'removing invalid path';
  const removed = r.steps.some((s) => s.event.actor === a.id && s.note.includes(line));
  return { ...withFiles, removedInvalid: removed };
}

/** The observation the model predicts for a sequential scenario under one variant. */
export function predict(s: Scenario, variant: string, gates: readonly Gate[]): Observation {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  return observationOf(runScripted(s, v.variant), s, gates);
}

/**
 * The `scratch` PathRef of `drv` as the harness resolves it when `actor` starts: the `$out` the
 * last builder of `drv` that ran before it reported (plan.ts PathRef), else the path the model
 * names (an input-addressed output path, a floating one's fallback path). They differ for a
 * --repair or --check of a valid input-addressed output outside a sandbox: its builder writes at
 * the hash-rewrite fallback path (derivation-builder.cc startBuild, l.784-824), not the output path.
 * A builder held at its first gate has run no action yet but has reported its `$out`.
 */
function scratchSeenBefore(r: Pick<Run, 'world' | 'steps'>, drv: string, actor: string, gates: readonly Gate[]): string | undefined {
  const until = r.steps.findIndex((x) => x.event.actor === actor);
  const before = until < 0 ? r.steps : r.steps.slice(0, until);
  const ran = (id: string): boolean =>
    before.some((x) => x.event.actor === id && (x.event.type === 'builderAction' || x.event.type === 'builderExit' || (x.event.type === 'prepareScratch' && gates.some((g) => g.actor === id && g.before === 0))));
  const lastRun = [...before].reverse().find((x) => {
    const b = r.world.state.actors.find((y) => y.id === x.event.actor);
    return b?.kind === 'build' && b.drv === drv && b.scratch !== undefined && ran(b.id);
  });
  const b = lastRun && r.world.state.actors.find((y) => y.id === lastRun.event.actor);
  if (b?.kind === 'build' && b.scratch !== undefined) return b.scratch;
  return resolveRef(r.world.ctx, { drv, which: 'scratch' }, r.world.state.realisations);
}

/** What a real run of `s` would observe if it went as the model's run `r` did. */
export function observationOf(r: Pick<Run, 'world' | 'steps'>, s: Scenario, gates: readonly Gate[]): Observation {
  const attempts: Record<string, AttemptObservation> = {};
  const paths: Record<string, { exists: boolean; valid: boolean }> = {};
  const commands: Record<string, { removed: boolean; printedDontKnow: boolean; exitOk: boolean }> = {};
  for (const a of r.world.state.actors) {
    const spec = s.actors.find((x) => x.id === a.id);
    if (a.kind === 'build') {
      const d = s.derivations.find((x) => x.id === a.drv);
      if (!d) continue;
      const at = [...new Set(gates.filter((g) => g.drv === d.id).map((g) => g.before))];
      attempts[a.id] = attempt(r, a, d, at, s.settings);
    } else if (a.kind === 'pathInfo' && spec?.kind === 'pathInfo') {
      const i = r.steps.findIndex((x) => x.event.actor === a.id);
      const path = resolveRef(r.world.ctx, spec.target, r.world.state.realisations) ?? '';
      const exists = (r.steps[i]?.after ?? []).some((e) => e.path === path);
      paths[a.id] = { exists, valid: a.result?.exitOk ?? false };
    } else if (a.kind === 'storeDelete' && a.result) {
      commands[a.id] = { removed: a.result.removed ?? false, printedDontKnow: a.result.output.some((l) => l.includes("don't know how to build")), exitOk: a.result.exitOk };
    } else if (a.kind === 'gc') {
      const first = s.derivations[0];
      const target = first ? scratchSeenBefore(r, first.id, a.id, gates) : undefined;
      commands[a.id] = { removed: target !== undefined && a.deleted.includes(target), printedDontKnow: false, exitOk: true };
    }
  }
  return { attempts, paths, commands };
}

/**
 * Why the harness cannot give a real daemon the sandbox settings of `s`, if it cannot: it sets
 * `sandbox = true`, `false`, or `relaxed` with every derivation __noChroot (and no other), on a
 * kernel with mount and PID namespaces or (Linux) on one the daemon is kept from using (the fault
 * injector's no-namespaces mode), with sandbox-fallback as the scenario sets it, in /nix/store or,
 * on Linux, in a diverted store (a chroot store, which chroots every build whatever `sandbox` says).
 */
export function sandboxSettingsUnplannable(s: Pick<Scenario, 'settings' | 'derivations'>): string | undefined {
  const st = s.settings;
  // on Linux the harness takes them away (PlanSettings.mountAndPidNamespaces); elsewhere upstream never probes for them
  if (st.mountAndPidNamespaces === false && st.platform !== 'linux') return 'a kernel without mount and PID namespaces: only a Linux daemon is run without them';
  // the harness's check of relaxed builds a probe the daemon must sandbox
  if (st.mountAndPidNamespaces === false && st.sandbox === 'relaxed') return 'sandbox = relaxed without mount and PID namespaces: the harness checks relaxed with a probe the daemon must sandbox';
  if (st.mountAndPidNamespaces === false && st.divertedStore === true) return 'a diverted store without mount and PID namespaces: the harness runs each of the two on its own';
  if (st.divertedStore === true && st.platform !== 'linux') return `a diverted store on ${st.platform} (every build refused): the harness runs a diverted store on Linux only`;
  if (st.divertedStore === true && st.sandbox === 'relaxed') return 'a diverted store with sandbox = relaxed: the harness runs relaxed plans unsandboxed (all __noChroot), a diverted store chroots them all';
  const boxed = s.derivations.find((d) => d.noChroot !== true);
  if (st.sandbox === 'relaxed' && boxed) return `sandbox = relaxed and ${boxed.id} has no __noChroot: the harness runs all builds of a plan unsandboxed under relaxed`;
  const noChroot = s.derivations.find((d) => d.noChroot === true);
  if (st.sandbox !== 'relaxed' && noChroot) return `${noChroot.id} sets __noChroot with sandbox = ${String(st.sandbox)}: the harness gives __noChroot only under sandbox = relaxed`;
  return undefined;
}

/**
 * The daemon settings a plan carries: every scenario setting the harness can give a real daemon,
 * and the daemon's own auto-GC when an actor is one (one place, so a new one reaches validation and
 * fault plans alike: a fault plan of an auto-GC trace once ran on a daemon without min-free).
 */
export function planSettings(scenario: Scenario): PlanSettings {
  const s = scenario.settings;
  const autoGc = scenario.actors.some((a) => a.kind === 'gc' && a.autoGcOf !== undefined);
  return {
    buildUsers: s.buildUsers,
    keepFailed: s.keepFailed,
    ...(s.sandbox !== false ? { sandbox: s.sandbox } : {}),
    ...(s.buildDirMode !== undefined ? { buildDirMode: s.buildDirMode } : {}),
    ...(s.autoAllocateUids === true ? { autoAllocateUids: true } : {}),
    ...(autoGc ? { autoGc: true as const } : {}),
    ...(s.caDerivations === false ? { caDerivations: false as const } : {}),
    ...(s.mountAndPidNamespaces === false ? { mountAndPidNamespaces: false as const } : {}),
    // upstream's default is true; the harness sets it only where it can matter (no namespaces)
    ...(s.sandbox !== false && s.mountAndPidNamespaces === false && s.sandboxFallback !== false ? { sandboxFallback: true as const } : {}),
    ...(s.divertedStore === true ? { divertedStore: true as const } : {}),
    ...(s.useCgroups === true && s.sandbox !== false ? { useCgroups: true as const } : {}),
  };
}

/** How a plan spells what the model does in one way: which GC command runs a `gc` actor (all collect the same dead paths). */
export interface PlanOptions {
  readonly gcCommand?: DeleteCommand;
}

/** A model PathRef's output as the plan names it: absent for the derivation's first output (`out`). */
function outputOfRef(t: { readonly output?: string }): { output?: string } {
  return t.output !== undefined && t.output !== 'out' ? { output: t.output } : {};
}

/** The plan step of a command actor (gc, delete, path-info), or an error. */
export function commandStep(s: Scenario, a: ActorSpec, opts: PlanOptions): Converted<PlanStep> {
  switch (a.kind) {
    case 'pathInfo':
      if (a.target.which === 'lock') return { ok: false, error: `${a.id}: lock files have no PathRef in the harness` };
      return { ok: true, value: { kind: 'pathInfo', target: { drv: a.target.drv, which: a.target.which, ...outputOfRef(a.target) }, label: a.id } };
    case 'storeDelete':
      if (a.target.which === 'lock') return { ok: false, error: `${a.id}: lock files have no PathRef in the harness` };
      return { ok: true, value: { kind: 'delete', command: a.command, target: { drv: a.target.drv, which: a.target.which, ...outputOfRef(a.target) }, label: a.id } };
    case 'gc': {
      const first = s.derivations[0];
      if (!first) return { ok: false, error: 'no derivation' };
      // no client command starts the daemon's own min-free GC: the harness lowers its free space and waits for it
      if (a.autoGcOf !== undefined) return { ok: true, value: { kind: 'delete', command: 'nol_auto_gc', target: { drv: first.id, which: 'scratch' }, label: a.id } };
      return { ok: true, value: { kind: 'delete', command: opts.gcCommand ?? 'nix store gc', target: { drv: first.id, which: 'scratch' }, label: a.id } };
    }
    case 'corrupt':
      // the harness writes into the output as root: only a valid output (its final path) can be corrupt
      if (a.target.which !== 'final') return { ok: false, error: `${a.id}: only a final path can be corrupted` };
      return { ok: true, value: { kind: 'corrupt', target: { drv: a.target.drv, which: 'final' } } };
    default:
      return { ok: false, error: `${a.id}: a ${a.kind} actor is not a command` };
  }
}

/** The plan's flag for a build's mode (`--check`, `--repair`). */
export function modeFlag(mode: BuildMode | undefined): { check?: true; repair?: true } {
  return mode === 'check' ? { check: true } : mode === 'repair' ? { repair: true } : {};
}

function planSteps(s: Scenario, gates: readonly Gate[], opts: PlanOptions): Converted<PlanStep[]> {
  const steps: PlanStep[] = [];
  const holding: string[] = [];
  const release = (after: string): void => {
    for (const h of [...holding]) {
      const spec = s.actors.find((a) => a.id === h);
      if (spec?.kind === 'holdUser' && spec.releaseAfter.at(-1) === after) {
        steps.push({ kind: 'releaseUsers' });
        holding.splice(holding.indexOf(h), 1);
      }
    }
  };
  for (const a of s.actors) {
    switch (a.kind) {
      case 'build': {
        const gate = gates.find((g) => g.actor === a.id);
        const at = gate ? (gate.timeout ? { timeoutAt: gateName(gate.before) } : { interruptAt: gateName(gate.before) }) : {};
        steps.push({ kind: 'build', attempt: a.id, drv: a.drv, ...at, ...modeFlag(a.mode) });
        break;
      }
      case 'holdUser':
        if (holding.length > 0) return { ok: false, error: 'the harness holds one group of users at a time' };
        steps.push({ kind: 'holdUsers', count: 1 });
        holding.push(a.id);
        break;
      case 'pathInfo':
      case 'storeDelete':
      case 'gc':
      case 'corrupt': {
        const c = commandStep(s, a, opts);
        if (!c.ok) return c;
        steps.push(c.value);
        break;
      }
      case 'setFlag':
      case 'clearFlag':
        steps.push({ kind: a.kind, flag: a.flag });
        break;
    }
    release(a.id);
  }
  if (holding.length > 0) steps.push({ kind: 'releaseUsers' });
  return { ok: true, value: steps };
}

/**
 * The actors that ran, one after another, before `target` started (the build and the damage that
 * set up a repair, say), as plan steps: the same sequential form as a plan without a held build.
 * Each must have ended before `target`'s first event: one still acting later (a user it holds
 * until after the held build, a command waiting for it) would need two actors placed around the
 * held build, which these plans do not do.
 */
function stepsBefore(scenario: Scenario, events: readonly ModelEvent[], target: string, joiner: string, opts: PlanOptions): Converted<{ gates: Gate[]; steps: PlanStep[] }> {
  const start = events.findIndex((e) => e.actor === target);
  const before = new Set(events.slice(0, start).map((e) => e.actor));
  const rest = scenario.actors.filter((a) => a.id !== target && a.id !== joiner);
  for (const a of rest) {
    if (!before.has(a.id)) return { ok: false, error: `${a.id} does not run before ${target} starts: beside a held build, only actors that ran before it can be placed` };
    const late = events.slice(start).find((e) => e.actor === a.id);
    if (late) return { ok: false, error: `${a.id} still acts (${late.type}) after ${target} starts: beside a held build, only actors that ended before it can be placed` };
  }
  if (rest.length === 0) return { ok: true, value: { gates: [], steps: [] } };
  const seq = sequentialise({ ...scenario, actors: rest }, events.slice(0, start));
  if (!seq.ok) return seq;
  const steps = planSteps(seq.value.scenario, seq.value.gates, opts);
  return steps.ok ? { ok: true, value: { gates: seq.value.gates, steps: steps.value } } : steps;
}

/**
 * A scenario with one actor placed `during` a build (before its builder's nth command): on a real
 * daemon the build is held at a gate there (its builder blocks on a fifo), the other actor runs,
 * then the build resumes. If the model has the other actor wait for the build (a second build of
 * the same derivation waits for its output lock), it starts, is seen waiting, and is resumed
 * after the build. Actors that ran before the held build started run first, one after another
 * (stepsBefore). The prediction is the model's own scripted run of the scenario as it stands.
 */
export function placeDuring(scenario: Scenario, events: readonly ModelEvent[], opts: PlanOptions = {}): Converted<{ gates: Gate[]; steps: PlanStep[] }> {
  const joiners = scenario.actors.filter((a) => a.during !== undefined);
  const x = joiners[0];
  if (joiners.length !== 1 || x?.during === undefined) return { ok: false, error: 'only one actor can be placed during a build' };
  const d = x.during;
  const target = scenario.actors.find((a) => a.id === d.actor);
  if (target?.kind !== 'build') return { ok: false, error: `${x.id} is placed during ${d.actor}, which is not a build` };
  if (d.before !== 'builderAction') return { ok: false, error: `${x.id} joins before ${d.before}: only a point between builder commands can be held on a real daemon` };
  if (target.fault !== undefined || x.kind === 'holdUser' || x.kind === 'setFlag' || x.kind === 'clearFlag') return { ok: false, error: `${x.id} during ${target.id}: only a build or a command can join an unfaulted build` };
  const bad = events.find((e) => e.type === 'crash' || e.type === 'builderFailure' || e.type === 'orphanAction' || e.type === 'interrupt');
  if (bad) return { ok: false, error: `a ${bad.type} of ${bad.actor} cannot be placed on a real daemon together with a held build` };
  const firstX = events.findIndex((e) => e.actor === x.id);
  if (firstX < 0) return { ok: false, error: `${x.id} never runs` };
  const pre = stepsBefore(scenario, events, target.id, x.id, opts);
  if (!pre.ok) return pre;
  const k = events.slice(0, firstX).filter((e) => e.actor === target.id && e.type === 'builderAction').length;
  const resumeA = events.findIndex((e, i) => i > firstX && e.actor === target.id);
  // the other actor still acts after the build goes on: it was waiting for the build
  const waited = resumeA >= 0 && events.slice(resumeA).some((e) => e.actor === x.id);
  const held: PlanStep = { kind: 'build', attempt: target.id, drv: target.drv, holdAt: gateName(k), ...modeFlag(target.mode) };
  const gates: Gate[] = [...pre.value.gates, { actor: target.id, drv: target.drv, before: k }];
  const first = pre.value.steps;
  if (x.kind === 'build') {
    if (waited) return { ok: true, value: { gates, steps: [...first, held, { kind: 'build', attempt: x.id, drv: x.drv, waitsForLock: true, ...modeFlag(x.mode) }, { kind: 'resume', attempt: target.id }, { kind: 'resume', attempt: x.id }] } };
    return { ok: true, value: { gates, steps: [...first, held, { kind: 'build', attempt: x.id, drv: x.drv, ...modeFlag(x.mode) }, { kind: 'resume', attempt: target.id }] } };
  }
  if (waited) return { ok: false, error: `${x.id} waits for ${target.id}: only a build of the same derivation can be seen waiting` };
  const c = commandStep(scenario, x, opts);
  if (!c.ok) return c;
  return { ok: true, value: { gates, steps: [...first, held, c.value, { kind: 'resume', attempt: target.id }] } };
}

/**
 * Why an actor of `scenario` names another output than `out` in a way the harness cannot: it
 * resolves another output as the final path of an input-addressed derivation (its .drv names it)
 * or as the scratch path of a floating CA one (makeFallbackPath of its .drv); a floating CA
 * output's final path is known only once registered, and nix-build prints it only when the build
 * succeeds. It writes into the out path only. Shared by validation and fault plans.
 */
export function otherOutputTargetUnplannable(scenario: Scenario): string | undefined {
  for (const a of scenario.actors) {
    if (a.kind !== 'pathInfo' && a.kind !== 'storeDelete' && a.kind !== 'corrupt') continue;
    const o = a.target.output;
    if (o === undefined || o === 'out') continue;
    if (a.kind === 'corrupt') return `${a.id} corrupts output ${o}: the harness corrupts the out path only`;
    const d = scenario.derivations.find((x) => x.id === a.target.drv);
    if (a.target.which === 'scratch' && d?.kind === 'ca-floating') continue;
    if (a.target.which !== 'final') return `${a.id} names the ${a.target.which} path of output ${o}: the harness names another output only by its final path, or by its scratch path for a floating CA derivation`;
    if (d?.kind !== 'input-addressed') return `${a.id} names the final path of output ${o} of the floating CA derivation ${a.target.drv}: the harness names another output's path only from an input-addressed .drv`;
  }
  return undefined;
}

/**
 * Why a scenario with a multi-output derivation has no validation plan, if it has none. The harness
 * writes the derivation's `outputs` and the builder's `$<output>`, but it names an output other
 * than `out` only as the final path of an input-addressed derivation (its .drv names it; a floating
 * CA output's path is known only once it is registered), and it places interrupts only between
 * builder commands, never inside registerOutputs, between two outputs.
 */
export function multiOutputValidationUnplannable(scenario: Scenario, events: readonly ModelEvent[]): string | undefined {
  const multi = scenario.derivations.filter((d) => (d.outputs?.length ?? 1) > 1);
  if (multi.length === 0) return undefined;
  const ca = multi.find((d) => d.kind !== 'input-addressed');
  if (ca) return `${ca.id} is a floating CA derivation with several outputs: the harness names another output's path only from an input-addressed .drv`;
  const target = otherOutputTargetUnplannable(scenario);
  if (target !== undefined) return target;
  const multiIds = new Set(multi.map((d) => d.id));
  const exited = new Set<string>();
  for (const e of events) {
    const spec = scenario.actors.find((a) => a.id === e.actor);
    if (spec?.kind !== 'build' || !multiIds.has(spec.drv)) continue;
    if (e.type === 'builderExit') exited.add(e.actor);
    if ((e.type === 'interrupt' || e.type === 'timeout') && exited.has(e.actor)) return `a ${e.type} of ${e.actor} after its builder exited (in registerOutputs, between outputs): no gate in the builder holds the daemon there`;
  }
  return undefined;
}

/**
 * One invocation of two goals (`nix-build a.drv b.drv`, keep-going = false) as an `invocation`
 * step: the goal placed `during` the other fails (its scripted builderFailure, at a gate before that
 * command) while the other's builder is held at the gate where the joiner came in, and the model
 * cancels the held one (its `cancel` event). Actors the events run before the invocation come
 * first, those after it after it, each one after another (sequentialise). Any other shape (a third
 * goal, another fault, a goal that finishes or fails on its own, an actor running during the
 * invocation) is refused.
 */
export function placeInvocation(scenario: Scenario, events: readonly ModelEvent[], opts: PlanOptions = {}): Converted<{ gates: Gate[]; steps: PlanStep[] }> {
  const groups = scenario.invocations ?? [];
  const group = groups[0];
  if (groups.length !== 1 || group?.length !== 2) return { ok: false, error: 'only one invocation of two goals can be planned' };
  const joiner = scenario.actors.find((a) => group.includes(a.id) && a.during !== undefined);
  const held = scenario.actors.find((a) => group.includes(a.id) && a.id !== joiner?.id);
  if (joiner?.kind !== 'build' || held?.kind !== 'build' || joiner.during?.actor !== held.id) return { ok: false, error: `${group.join(', ')}: one goal must be placed during the other's build` };
  if (joiner.during.before !== 'builderAction') return { ok: false, error: `${joiner.id} joins before ${joiner.during.before}: only a point between builder commands can be held` };
  if (held.fault !== undefined || held.faults !== undefined || held.mode !== undefined || joiner.mode !== undefined) return { ok: false, error: `${held.id}: the held goal must be a plain build with no fault of its own` };
  if (joiner.faults !== undefined || joiner.fault?.kind !== 'builderFailure' || joiner.fault.before !== 'builderAction') return { ok: false, error: `${joiner.id}: the joining goal must fail by a builder failure before one of its commands` };
  if (held.drv === joiner.drv) return { ok: false, error: 'the two goals must build different derivations' };
  const other = events.find((e) => e.type === 'crash' || e.type === 'orphanAction' || e.type === 'interrupt' || e.type === 'timeout' || (e.type === 'builderFailure' && e.actor !== joiner.id));
  if (other) return { ok: false, error: `a ${other.type} of ${other.actor} cannot be placed beside an invocation` };
  const inGroup = (e: ModelEvent): boolean => e.actor === held.id || e.actor === joiner.id;
  const start = events.findIndex(inGroup);
  const end = events.length - 1 - [...events].reverse().findIndex(inGroup);
  const during = events.slice(start, end + 1).find((e) => !inGroup(e) && e.type !== 'releaseUser');
  if (during) return { ok: false, error: `${during.actor} acts (${during.type}) during the invocation: only the two goals can run there` };
  if (!events.some((e) => e.actor === held.id && e.type === 'cancel')) return { ok: false, error: `${held.id} is not cancelled in this run: the plan holds its builder until the daemon cancels it` };
  const firstJ = events.findIndex((e) => e.actor === joiner.id);
  const k = events.slice(0, firstJ).filter((e) => e.actor === held.id && e.type === 'builderAction').length;
  const m = events.filter((e) => e.actor === joiner.id && e.type === 'builderAction').length;
  if (events.slice(firstJ).some((e) => e.actor === held.id && e.type === 'builderAction')) return { ok: false, error: `${held.id}'s builder goes on after ${joiner.id} joined: the plan holds it at its gate` };
  const beforeIds = new Set(events.slice(0, start).map((e) => e.actor));
  const rest = scenario.actors.filter((a) => !group.includes(a.id));
  const before = rest.filter((a) => beforeIds.has(a.id));
  const after = rest.filter((a) => !beforeIds.has(a.id));
  const late = before.find((a) => events.slice(start).some((e) => e.actor === a.id && e.type !== 'releaseUser'));
  if (late) return { ok: false, error: `${late.id} acts both before and after the invocation` };
  const part = (actors: ActorSpec[], evs: readonly ModelEvent[]): Converted<{ gates: Gate[]; steps: PlanStep[] }> => {
    if (actors.length === 0) return { ok: true, value: { gates: [], steps: [] } };
    const ids = new Set(actors.map((a) => a.id));
    const seq = sequentialise({ ...scenario, actors, invocations: [] }, evs.filter((e) => ids.has(e.actor)));
    if (!seq.ok) return seq;
    const steps = planSteps(seq.value.scenario, seq.value.gates, opts);
    return steps.ok ? { ok: true, value: { gates: seq.value.gates, steps: steps.value } } : steps;
  };
  const pre = part(before, events.slice(0, start));
  if (!pre.ok) return pre;
  const post = part(after, events.slice(end + 1));
  if (!post.ok) return post;
  const gates: Gate[] = [...pre.value.gates, { actor: held.id, drv: held.drv, before: k }, { actor: joiner.id, drv: joiner.drv, before: m }, ...post.value.gates];
  const step: PlanStep = {
    kind: 'invocation',
    goals: [
      { attempt: held.id, drv: held.drv, gate: gateName(k) },
      { attempt: joiner.id, drv: joiner.drv, gate: gateName(m) },
    ],
    fails: joiner.id,
  };
  return { ok: true, value: { gates, steps: [...pre.value.steps, step, ...post.value.steps] } };
}

/** A plan for a real daemon: the sequential form of `events`, with the model's prediction per variant. */
export function planFromEvents(
  scenario: Scenario,
  events: readonly ModelEvent[],
  variants: readonly string[],
  settings: Partial<Settings> = {},
  opts: PlanOptions = {},
): Converted<ReproPlan> {
  const sandboxWhy = sandboxSettingsUnplannable(scenario);
  if (sandboxWhy !== undefined) return { ok: false, error: sandboxWhy };
  const multiWhy = multiOutputValidationUnplannable(scenario, events);
  if (multiWhy !== undefined) return { ok: false, error: multiWhy };
  let s: Scenario;
  let gates: Gate[];
  let planned: PlanStep[];
  if ((scenario.invocations ?? []).length > 0) {
    const placed = placeInvocation(scenario, events, opts);
    if (!placed.ok) return placed;
    s = { ...scenario, settings: { ...scenario.settings, ...settings } };
    ({ gates, steps: planned } = placed.value);
  } else if (scenario.actors.some((a) => a.during !== undefined)) {
    const placed = placeDuring(scenario, events, opts);
    if (!placed.ok) return placed;
    s = { ...scenario, settings: { ...scenario.settings, ...settings } };
    ({ gates, steps: planned } = placed.value);
  } else {
    const seq = sequentialise(scenario, events);
    if (!seq.ok) return seq;
    s = { ...seq.value.scenario, settings: { ...seq.value.scenario.settings, ...settings } };
    gates = seq.value.gates;
    const steps = planSteps(s, gates, opts);
    if (!steps.ok) return steps;
    planned = steps.value;
  }
  const derivations = [];
  for (const d of s.derivations) {
    const program = planProgram(d, gates);
    if (!program.ok) return program;
    derivations.push({ id: d.id, kind: d.kind, name: d.name, program: program.value, ...(d.noChroot === true ? { noChroot: true as const } : {}), ...((d.outputs?.length ?? 1) > 1 ? { outputs: d.outputs } : {}) });
  }
  const expect: Record<string, Observation> = {};
  for (const v of variants) {
    const p = parseVariant(v);
    if (!p.ok) return { ok: false, error: `unknown variant ${p.unknown}` };
    expect[v] = predict(s, v, gates);
  }
  return {
    ok: true,
    value: {
      format: PLAN_FORMAT,
      scenario: scenario.name,
      doc: scenario.doc,
      nix: s.settings.nixVersion,
      settings: planSettings(s),
      derivations,
      steps: planned,
      expect,
    },
  };
}

/** The events of a scenario's own scripted run (its faults where the scenario puts them). */
export function scriptedEvents(scenario: Scenario): ModelEvent[] {
  return runScripted(scenario, UPSTREAM).steps.map((s) => s.event);
}
