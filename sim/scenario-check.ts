/**
 * What a schema's shapes cannot see: references between the parts of a scenario, and fields that
 * take no effect when the schedule runs. The scripted run (the one `outpath run` prints) is cheap,
 * so a scenario is run once when it is loaded, and an actor that never starts or a scripted fault
 * that never fires is reported at its JSON path instead of being silently ignored.
 */
import type { InitialNode, Scenario } from '../model/nix/index.js';
import { AUTO_GC_POINTS, runScripted, sandboxDecision, UPSTREAM } from '../model/nix/index.js';

export interface ScenarioProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * What the schema's shapes cannot say: ids that must name something (and not the actor itself),
 * `after` cycles, a `during` that joins a non-build, fault targets that are not builds, a final
 * path a floating CA output does not have yet, and settings that contradict each other.
 */
export function referenceProblems(s: Scenario): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const issue = (path: (string | number)[], message: string): void => {
    out.push({ path, message });
  };
  const drvs = new Map(s.derivations.map((d) => [d.id, d]));
  const actors = new Map(s.actors.map((a) => [a.id, a]));
  if (drvs.size !== s.derivations.length) issue(['derivations'], 'derivation ids must be unique');
  if (actors.size !== s.actors.length) issue(['actors'], 'actor ids must be unique');
  const known = (path: (string | number)[], ref: string, self: string): void => {
    if (!actors.has(ref)) issue(path, `unknown actor '${ref}'`);
    else if (ref === self) issue(path, `'${self}' cannot wait for itself: it would never start`);
  };
  if (s.settings.caDerivations === false) {
    s.derivations.forEach((d, i) => {
      if (d.kind === 'ca-floating') issue(['derivations', i, 'kind'], `a floating CA derivation needs the experimental feature ca-derivations, which settings.caDerivations turns off`);
    });
  }
  s.actors.forEach((a, i) => {
    if ('drv' in a && !drvs.has(a.drv)) issue(['actors', i, 'drv'], `unknown derivation '${a.drv}'`);
    if ('target' in a && !drvs.has(a.target.drv)) issue(['actors', i, 'target', 'drv'], `unknown derivation '${a.target.drv}'`);
    (a.after ?? []).forEach((dep, j) => { known(['actors', i, 'after', j], dep, a.id); });
    (a.afterUserRelease ?? []).forEach((dep, j) => { known(['actors', i, 'afterUserRelease', j], dep, a.id); });
    // only a valid output can be corrupt: a scratch path or lock file has no registration to differ from
    if (a.kind === 'corrupt' && a.target.which !== 'final') issue(['actors', i, 'target', 'which'], `a corrupt actor damages a valid output: 'final', not '${a.target.which}'`);
    if (a.kind === 'holdUser') a.releaseAfter.forEach((dep, j) => { known(['actors', i, 'releaseAfter', j], dep, a.id); });
    if (a.during) {
      known(['actors', i, 'during', 'actor'], a.during.actor, a.id);
      const target = actors.get(a.during.actor);
      if (target && target.kind !== 'build') issue(['actors', i, 'during', 'actor'], `'${a.during.actor}' is a ${target.kind}, not a build: only a build has events to join at`);
    }
    const autoGc = a.kind === 'gc' && a.autoGcOf !== undefined ? autoGcProblem(s, i, a.autoGcOf) : undefined;
    if (autoGc) out.push(autoGc);
  });
  outputProblems(s, issue);
  const cycle = afterCycle(s.actors);
  if (cycle) issue(['actors', cycle.index, 'after'], `waits in a cycle (${cycle.ids.join(' -> ')}): none of them would ever start`);
  s.derivations.forEach((d, i) => {
    d.program.forEach((p, j) => {
      if ('drv' in p && !drvs.has(p.drv)) issue(['derivations', i, 'program', j, 'drv'], `unknown derivation '${p.drv}'`);
      if ('target' in p && typeof p.target !== 'string' && !drvs.has(p.target.drv)) issue(['derivations', i, 'program', j, 'target', 'drv'], `unknown derivation '${p.target.drv}'`);
      if (p.op === 'loop' && p.to >= j) issue(['derivations', i, 'program', j, 'to'], `a loop jumps back: 'to' must name an earlier command (0..${String(j - 1)})`);
    });
  });
  const nodes = (list: readonly InitialNode[] | undefined, path: (string | number)[]): void => {
    (list ?? []).forEach((n, k) => {
      if (n.kind === 'symlink' && typeof n.target !== 'string' && !drvs.has(n.target.drv)) issue([...path, k, 'target', 'drv'], `unknown derivation '${n.target.drv}'`);
      if (n.kind === 'dir') nodes(n.entries, [...path, k, 'entries']);
    });
  };
  (s.initial ?? []).forEach((e, i) => {
    nodes(e.entries, ['initial', i, 'entries']);
    const d = drvs.get(e.at.drv);
    if (!d) issue(['initial', i, 'at', 'drv'], `unknown derivation '${e.at.drv}'`);
    else if (d.kind === 'ca-floating' && e.at.which === 'final') issue(['initial', i, 'at', 'which'], `'${d.id}' is floating CA: it has no final path before it is built`);
  });
  const builds = new Set(s.actors.filter((a) => a.kind === 'build').map((a) => a.id));
  (s.explore?.faultTargets ?? []).forEach((t, j) => {
    if (!builds.has(t)) issue(['explore', 'faultTargets', j], `'${t}' is not a build (builds: ${[...builds].join(', ')}): faults would never hit it`);
  });
  if (s.settings.buildDeadline === undefined) {
    // a timeout fault fires only when the worker has a deadline to check (worker.cc Worker::waitForInput)
    const noDeadline = 'no build deadline is set, so a build never times out; set settings.buildDeadline';
    (s.explore?.faults ?? []).forEach((f, j) => { if (f === 'timeout') issue(['explore', 'faults', j], noDeadline); });
    s.actors.forEach((a, i) => {
      if (a.kind !== 'build') return;
      if (a.fault?.kind === 'timeout') issue(['actors', i, 'fault', 'kind'], noDeadline);
      (a.faults ?? []).forEach((f, j) => { if (f.kind === 'timeout') issue(['actors', i, 'faults', j, 'kind'], noDeadline); });
    });
  }
  if (s.settings.autoAllocateUids === true && s.settings.buildUsers === 0) {
    // AutoUserLock::acquire needs a slot; with none, every build would wait for a build user forever
    issue(['settings', 'buildUsers'], 'with autoAllocateUids, buildUsers counts the uid slots (id-count / 65536): at least 1');
  }
  if (s.settings.platform === 'darwin') darwinSandboxProblems(s, issue);
  invocationProblems(s, issue);
  return out;
}

/**
 * `invocations`: each names builds, at least two, each in one invocation only. Goals of one
 * invocation start together (one may join at a point of another with `during`), so none waits
 * for another with `after`. An interrupt or a crash hits the whole daemon worker, every goal of
 * the invocation, where the model applies a fault to one build: such faults are refused on them.
 */
function invocationProblems(s: Scenario, issue: (path: (string | number)[], message: string) => void): void {
  const actors = new Map(s.actors.map((a) => [a.id, a]));
  const memberOf = new Map<string, number>();
  (s.invocations ?? []).forEach((group, g) => {
    group.forEach((id, j) => {
      const a = actors.get(id);
      if (!a) issue(['invocations', g, j], `unknown actor '${id}'`);
      else if (a.kind !== 'build') issue(['invocations', g, j], `'${id}' is a ${a.kind}, not a build: only builds are goals of an invocation`);
      const seen = memberOf.get(id);
      if (seen !== undefined) issue(['invocations', g, j], seen === g ? `'${id}' is listed twice` : `'${id}' is already a goal of invocation ${String(seen)}: a build runs in one client`);
      else memberOf.set(id, g);
    });
  });
  const wholeWorker = (k: string): boolean => k === 'interrupt' || k === 'crash';
  s.actors.forEach((a, i) => {
    const g = memberOf.get(a.id);
    if (g === undefined) return;
    const waits = (field: 'after' | 'afterUserRelease'): void => {
      (a[field] ?? []).forEach((dep, j) => {
        if (memberOf.get(dep) === g) issue(['actors', i, field, j], `'${a.id}' and '${dep}' are goals of one invocation, which start together; place one at a point of the other with 'during'`);
      });
    };
    waits('after');
    waits('afterUserRelease');
    if (a.kind !== 'build') return;
    const refuse = 'is a goal of an invocation: an interrupt or crash would hit every goal of its daemon worker, and the model applies a fault to one build';
    if (a.fault && wholeWorker(a.fault.kind)) issue(['actors', i, 'fault', 'kind'], `'${a.id}' ${refuse}`);
    (a.faults ?? []).forEach((f, j) => { if (wholeWorker(f.kind)) issue(['actors', i, 'faults', j, 'kind'], `'${a.id}' ${refuse}`); });
  });
  const explore = s.explore;
  if (!explore || memberOf.size === 0 || !explore.faults.some(wholeWorker)) return;
  const targets = explore.faultTargets ?? s.actors.filter((a) => a.kind === 'build').map((a) => a.id);
  const hit = targets.filter((t) => memberOf.has(t));
  if (hit.length > 0) {
    issue(explore.faultTargets ? ['explore', 'faultTargets'] : ['explore', 'faults'], `interrupt and crash faults would hit ${hit.join(', ')}, goals of an invocation (every goal of its daemon worker would stop, the model stops one); set explore.faultTargets to builds outside invocations`);
  }
}

/**
 * Output names: unique, and every output a command, reference or symlink names is one the
 * derivation has. The model builds a derivation with several outputs unsandboxed and in a normal
 * build only (docs/model.md says what it leaves out), so a chroot, --check or --repair of one is refused.
 */
function outputProblems(s: Scenario, issue: (path: (string | number)[], message: string) => void): void {
  const outputsOf = new Map(s.derivations.map((d) => [d.id, d.outputs ?? ['out']]));
  const multi = (id: string): boolean => (outputsOf.get(id)?.length ?? 1) > 1;
  const names = (id: string): string => (outputsOf.get(id) ?? ['out']).join(', ');
  const ref = (path: (string | number)[], drv: string, output: string | undefined): void => {
    if (output === undefined || !outputsOf.has(drv)) return;
    if (!(outputsOf.get(drv) ?? []).includes(output)) issue(path, `'${drv}' has no output '${output}' (its outputs: ${names(drv)})`);
  };
  s.derivations.forEach((d, i) => {
    const outs = d.outputs ?? ['out'];
    if (new Set(outs).size !== outs.length) issue(['derivations', i, 'outputs'], 'output names must be unique');
    if (outs.length > 1) {
      const decision = sandboxDecision(s.settings, d, d.id);
      if (decision.kind === 'builder' && decision.chroot) issue(['derivations', i, 'outputs'], `'${d.id}' would be built in a chroot, which the model does not do for a derivation with several outputs; use sandbox: false`);
    }
    d.program.forEach((p, j) => {
      if ('output' in p && p.output !== undefined && !outs.includes(p.output)) issue(['derivations', i, 'program', j, 'output'], `'${d.id}' has no output '${p.output}' (its outputs: ${outs.join(', ')})`);
      else if (['mkdirP', 'mkdir', 'writeFile', 'symlink', 'chmod', 'writeIfFlag'].includes(p.op) && !('output' in p && p.output !== undefined) && outs.length > 1 && !outs.includes('out')) {
        issue(['derivations', i, 'program', j], `'${d.id}' has no output 'out': name one of ${outs.join(', ')} in 'output'`);
      }
      if ('target' in p && typeof p.target !== 'string') ref(['derivations', i, 'program', j, 'target', 'output'], p.target.drv, p.target.output);
    });
  });
  s.actors.forEach((a, i) => {
    if ('target' in a) ref(['actors', i, 'target', 'output'], a.target.drv, a.target.output);
    if (a.kind === 'build' && a.mode !== undefined && multi(a.drv)) issue(['actors', i, 'mode'], `'${a.drv}' has several outputs: the model builds them in a normal build only, not with --${a.mode}`);
  });
  (s.initial ?? []).forEach((e, i) => { ref(['initial', i, 'at', 'output'], e.at.drv, e.at.output); });
}

/**
 * darwin never probes namespaces (makeDerivationBuilder's check is Linux only), and a sandboxed
 * darwin build runs under a seatbelt profile that lets it write only its own scratch output, its
 * build dir and /tmp (darwin-derivation-builder.cc setUser, sandbox-defaults.sb). The model does
 * not apply that profile, so a builder that writes elsewhere (a plant) is refused rather than
 * allowed to do what the real one could not.
 */
function darwinSandboxProblems(s: Scenario, issue: (path: (string | number)[], message: string) => void): void {
  if (s.settings.mountAndPidNamespaces === false) {
    issue(['settings', 'mountAndPidNamespaces'], 'darwin has no mount or PID namespaces to lack: only Linux probes them; leave it out');
  }
  if (s.settings.useCgroups === true) {
    // use-cgroups is a Linux-only setting (local-settings.hh declares it under __linux__) and only the Linux chroot builder reads it
    issue(['settings', 'useCgroups'], 'darwin has no cgroups: use-cgroups exists on Linux only; leave it out');
  }
  s.derivations.forEach((d, i) => {
    const decision = sandboxDecision(s.settings, d, d.id);
    if (decision.kind !== 'builder' || !decision.useSandbox) return;
    const j = d.program.findIndex((act) => act.op === 'plant' || act.op === 'plantSymlink');
    if (j >= 0) {
      issue(
        ['derivations', i, 'program', j],
        `'${d.id}' is sandboxed on darwin (sandbox = ${String(s.settings.sandbox)}): its seatbelt profile would deny a write outside its own output, which this model does not apply; use sandbox: false, or noChroot with sandbox: "relaxed"`,
      );
    }
  });
}

/**
 * An auto-GC belongs to one build's daemon worker: it is started by that worker's loop (a `during`
 * point on that build where the loop runs), by nothing else, and listed before the build so that the
 * scripted run, which takes the first enabled event in order, starts it when the point comes.
 */
function autoGcProblem(s: Scenario, i: number, owner: string): ScenarioProblem | undefined {
  const a = s.actors[i];
  const at = s.actors.findIndex((x) => x.id === owner);
  const target = s.actors[at];
  const here = (path: (string | number)[], message: string): ScenarioProblem => ({ path: ['actors', i, ...path], message });
  if (!a || a.kind !== 'gc') return undefined;
  if (owner === a.id) return here(['autoGcOf'], `'${a.id}' cannot be its own build: autoGcOf names the build whose daemon worker runs it`);
  if (!target) return here(['autoGcOf'], `unknown actor '${owner}'`);
  if (target.kind !== 'build') return here(['autoGcOf'], `'${owner}' is a ${target.kind}, not a build: only a build's daemon worker runs an auto-GC`);
  const point = `{ "actor": "${owner}", "before": "builderAction", "nth": 1 }`;
  if (a.during === undefined) return here([], `an auto-GC starts from its build's worker loop: give it a \`during\` point on '${owner}', e.g. ${point}`);
  if (a.during.actor !== owner) return here(['during', 'actor'], `an auto-GC starts from its own build's worker loop: must be '${owner}' (autoGcOf)`);
  if (!AUTO_GC_POINTS.includes(a.during.before)) {
    return here(['during', 'before'], `the worker loop calls autoGC only before lockOutputs or while the builder runs: one of ${AUTO_GC_POINTS.join(', ')}`);
  }
  if ((a.after ?? []).length > 0) return here(['after'], "an auto-GC is started by its build's worker loop alone: drop after");
  if ((a.afterUserRelease ?? []).length > 0) return here(['afterUserRelease'], "an auto-GC is started by its build's worker loop alone: drop afterUserRelease");
  if (at < i) return here([], `list the auto-GC before '${owner}': the scripted run takes the first enabled event in order, so '${owner}' would run past the point first`);
  return undefined;
}

/** The first cycle through `after`, if any: an actor of it, and its ids in order. */
function afterCycle(actors: readonly { id: string; after?: readonly string[] | undefined }[]): { index: number; ids: string[] } | null {
  const deps = new Map(actors.map((a) => [a.id, a.after ?? []]));
  for (const [index, a] of actors.entries()) {
    const stack: string[][] = [[a.id]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const path = stack.pop() ?? [];
      for (const next of deps.get(path[path.length - 1] ?? '') ?? []) {
        if (next === a.id && path.length > 1) return { index, ids: [...path, a.id] };
        // a self-wait is reported at its own path, as `cannot wait for itself`
        if (next !== a.id && !seen.has(next)) {
          seen.add(next);
          stack.push([...path, next]);
        }
      }
    }
  }
  return null;
}


export function scriptedRunProblem(s: Scenario): ScenarioProblem | null {
  const r = runScripted(s, UPSTREAM);
  // a livelock is the model's to explain (explore and run report it), not a field of the file
  if (r.truncated) return null;
  const taken = new Set(r.steps.map((st) => `${st.event.type}/${st.event.actor}`));
  for (const [i, spec] of s.actors.entries()) {
    const a = r.world.state.actors.find((x) => x.id === spec.id);
    const started = a !== undefined && (a.kind === 'build' ? a.phase.kind !== 'waiting' : a.state !== 'waiting');
    if (!started) return { path: ['actors', i], message: `'${spec.id}' never starts in the scripted run under upstream (what it waits for never happens)` };
    if (spec.kind !== 'build') continue;
    const scripted = [...(spec.fault ? [{ f: spec.fault, path: ['actors', i, 'fault'] }] : []), ...(spec.faults ?? []).map((f, j) => ({ f, path: ['actors', i, 'faults', j] }))];
    for (const { f, path } of scripted) {
      const fired = r.steps.some((st, k) => st.event.actor === spec.id && st.event.type === f.kind && r.steps.slice(0, k).filter((x) => x.event.actor === spec.id && x.event.type === f.before).length === f.nth);
      if (fired || (taken.has(`${f.kind}/${spec.id}`) && scripted.length === 1)) continue;
      const n = r.steps.filter((st) => st.event.actor === spec.id && st.event.type === f.before).length;
      return {
        path,
        message: `never fires in the scripted run under upstream: '${spec.id}' takes ${f.before} ${String(n)} time(s) there, so there is no occurrence ${String(f.nth)} (counted from 0) to fire before`,
      };
    }
  }
  return null;
}
