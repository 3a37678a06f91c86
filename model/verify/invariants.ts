/**
 * The properties a fix design must keep, named as TLA+ invariants. Transition invariants are
 * checked on every step; quiescent ones where nothing is enabled any more, with probes ("does a
 * clean build succeed from here?") run on a copy of the world.
 */
import type { ActorSpec, BuildActor, DerivationSpec, ModelEvent, ModelState, TraceStep, World } from '../nix/index.js';
import { canonicalDigest, drvOf, outputViews, slotsOf, extendWorld, OBSERVED_ROOTS, hashPartOf, initialWorld, narOf, realScratch, resolveLinkTarget, runToQuiescence, snapshotWorld, STORE_DIR } from '../nix/index.js';
import type { FsKernel, FsSnapshot, TreeEntry } from '../fs/index.js';

/** Each invariant: its name, a few words for a legend under a matrix (`short`), and its full statement (`doc`). */
export const INVARIANTS = [
  {
    name: 'NoWedge',
    short: 'a clean retry builds, as any build user',
    doc: 'From every quiescent state, a clean build of every derivation succeeds, whichever build user it draws (the next build heals, if anything does).',
  },
  {
    name: 'CleanOutput',
    short: "outputs equal a clean build's",
    doc: "A registered output's content equals a clean build's: no stale file from an earlier attempt, another build or another user.",
  },
  {
    name: 'ValidPathsIntact',
    short: 'valid paths stay as registered',
    doc: 'No valid path is deleted or changed, except by garbage collection or an explicit delete of that path (a path a scenario corrupts on purpose is left to the repair until it is registered again).',
  },
  {
    name: 'NoDebrisAfterRecovery',
    short: 'the next build or GC leaves no debris',
    doc: 'After the next build of a derivation (one that builds, not one that finds its output valid), none of its scratch dirs, .tmp copies or lock files are left; after nix store gc, nothing invalid is left.',
  },
  {
    name: 'DeleteStaysInTarget',
    short: 'a delete changes nothing outside its target',
    doc: 'No deletion by the daemon changes anything outside the entry it targets (a planted symlink is removed, never followed).',
  },
  {
    name: 'InProgressOutputSafe',
    short: "nothing else writes a running build's output",
    doc: "While a builder runs, nothing but that builder changes its output (not GC, another build, or a stray process of a crashed build).",
  },
  {
    name: 'NoForeignContent',
    short: "no output holds another builder's file",
    doc: 'A registered output contains nothing planted by the builder of another derivation.',
  },
] as const;

export type InvariantName = (typeof INVARIANTS)[number]['name'];

export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/**
 * What a transition did to the observed tree, as the invariants ask it: which paths changed, whether
 * a path exists afterwards and what is under it. Read from a trace step's two listings, or from the
 * filesystem itself and the snapshot it came from (the explorer keeps no listings).
 */
export interface TransitionView {
  readonly event: ModelEvent;
  /** Paths whose entry changed (or appeared, or went), sorted. */
  changed(): readonly string[];
  /** The NAR-like content under `root` after the step ('' when nothing is there). */
  contentAfter(root: string): string;
  existsAfter(path: string): boolean;
}

function viewOfStep(step: TraceStep): TransitionView {
  let changed: string[] | undefined;
  return {
    event: step.event,
    changed: () => (changed ??= changedPaths(step)),
    contentAfter: (root) => contentAt(step.after, root),
    existsAfter: (path) => step.after.some((e) => e.path === path),
  };
}

/** The view of the step `w` just took from the filesystem state `before`. */
export function viewOfMove(w: World, event: ModelEvent, before: FsSnapshot): TransitionView {
  return new MoveView(w.ctx.fs, event, before);
}

/** A class rather than an object of closures: one is made per transition, and tsx and the bundle name every closure made. */
class MoveView implements TransitionView {
  private changedPaths: readonly string[] | undefined;

  constructor(
    private readonly fs: FsKernel,
    readonly event: ModelEvent,
    private readonly before: FsSnapshot,
  ) {}

  changed(): readonly string[] {
    return (this.changedPaths ??= this.fs.changedSince(this.before, OBSERVED_ROOTS));
  }

  // a valid path is a store path: tree() of it lists what the observed tree lists under it
  contentAfter(root: string): string {
    return narOf(this.fs.tree(root), root);
  }

  existsAfter(path: string): boolean {
    return this.fs.has(path);
  }
}

function changedPaths(step: TraceStep): string[] {
  const key = (e: TreeEntry): string => `${e.kind}|${String(e.mode)}|${String(e.uid)}|${String(e.gid)}|${String(e.content)}`;
  const before = new Map(step.before.map((e) => [e.path, key(e)]));
  const after = new Map(step.after.map((e) => [e.path, key(e)]));
  const out = new Set<string>();
  for (const [p, k] of before) if (after.get(p) !== k) out.add(p);
  for (const p of after.keys()) if (!before.has(p)) out.add(p);
  return [...out].sort();
}

function contentAt(entries: readonly TreeEntry[], root: string): string {
  return narOf(entries.filter((e) => under(e.path, root)), root);
}

/** What an actor that left for cleanup in this step had unwound: its final-path lock file and rewrite temp dir. */
function unwoundBy(prev: ModelState['actors'][number] | undefined, now: ModelState): string[] {
  // Stryker disable next-line ConditionalExpression,OptionalChaining,ArrayDeclaration: the caller passes the actor holding the deletion, never undefined; any other actor's `after` below is no build, so it returns [] anyway; and a relative name returned is under no changed path
  if (prev?.kind !== 'build') return [];
  const after = now.actors.find((a) => a.id === prev.id);
  // Stryker disable next-line ConditionalExpression,OptionalChaining,ArrayDeclaration: an actor keeps its kind from step to step (the test narrows the type); a relative name returned is under no changed path
  if (after?.kind !== 'build') return [];
  // Stryker disable next-line ArrayDeclaration: a relative name returned is under no changed path, as [] is
  if (after.phase.kind !== 'cleanup' || prev.phase.kind === 'cleanup') return [];
  // Stryker disable next-line MethodExpression,ConditionalExpression: an undefined entry is harmless unfiltered (under(p, undefined) asks for 'undefined/', never a prefix of an absolute path); the tests kill dropping the entries
  return [prev.finalLock, prev.rewriteTmp].filter((p): p is string => p !== undefined);
}

/** Checks made on every transition, given the model state before it. */
export function checkTransition(w: World, prev: ModelState, step: TraceStep): Violation[] {
  return checkMove(w, prev, viewOfStep(step));
}

/** checkTransition over a view of the step (the explorer's, built without listings). */
export function checkMove(w: World, prev: ModelState, step: TransitionView): Violation[] {
  const out: Violation[] = [];
  const e: ModelEvent = step.event;
  const explicitDelete = e.type === 'gcStep' || e.type === 'storeDelete';
  // a path the scenario corrupted on purpose differs from its registration until a build registers it again: a repair may replace it
  const damaged = new Set(prev.corrupted);
  w.state.corrupted?.forEach((p) => damaged.add(p));
  if (!explicitDelete) {
    for (const path of Object.keys(w.state.valid)) {
      if (damaged.has(path)) continue;
      if (!step.existsAfter(path)) {
        out.push({ invariant: 'ValidPathsIntact', message: `${path} is valid but missing on disk after ${e.type}(${e.actor})` });
      }
    }
    for (const [path, info] of Object.entries(prev.valid)) {
      if (damaged.has(path)) continue;
      const now = w.state.valid[path];
      if (!now) out.push({ invariant: 'ValidPathsIntact', message: `${path} stopped being valid at ${e.type}(${e.actor})` });
      else if (step.contentAfter(path) !== info.content) {
        out.push({ invariant: 'ValidPathsIntact', message: `${path} changed on disk at ${e.type}(${e.actor})` });
      }
    }
  }
  const prevActor = prev.actors.find((a) => a.id === e.actor);
  const job = prevActor && 'job' in prevActor ? prevActor.job : undefined;
  if (job && (e.type === 'deletePathStep' || explicitDelete)) {
    // a deletion that throws unwinds registerOutputs' locals in the same step (unwind.ts): those are not the deletion's
    const unwound = unwoundBy(prevActor, w.state);
    const outside = step.changed().filter((p) => !under(p, job.root) && !unwound.some((r) => under(p, r)));
    if (outside.length > 0) {
      out.push({ invariant: 'DeleteStaysInTarget', message: `deleting ${job.root} changed ${outside.join(', ')}` });
    }
  }
  for (const a of prev.actors) {
    if (a.kind !== 'build' || a.phase.kind !== 'building' || a.job) continue;
    if (e.type === 'builderAction' && e.actor === a.id) continue;
    // every output the builder writes (a multi-output build has one scratch path per output)
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: a build's builder starts only once its scratch paths are set (prepareScratch), so none is undefined here; the tests narrow the type
    for (const scratch of a.multi ? slotsOf(a).flatMap((o) => (o.scratch === undefined ? [] : [o.scratch])) : a.scratch === undefined ? [] : [a.scratch]) {
      // where the output really is: inside the build's chroot when it has one
      const real = realScratch(w.ctx, drvOf(w.ctx, a.drv), scratch);
      const hit = step.changed().filter((p) => under(p, real));
      if (hit.length > 0) {
        out.push({ invariant: 'InProgressOutputSafe', message: `${e.type}(${e.actor}) changed ${hit.join(', ')} while ${a.id}'s builder was writing ${real}` });
      }
    }
  }
  return out;
}

/**
 * What a clean build of each derivation produces, computed by the model. Cached per derivation
 * list (worlds of one scenario share it), not per name: two scenarios may share a name.
 */
const cleanCache = new WeakMap<readonly DerivationSpec[], Map<string, string>>();

// Stryker disable next-line ArrayDeclaration: a harness flag changes a build only where its program names it (exitIfFlag, writeIfFlag); a clean build under a flag no program names builds the same
export function cleanContent(w: World, drv: string, flags: readonly string[] = [], output?: string): string {
  // Stryker disable next-line StringLiteral,ConditionalExpression: a cache key needs only to tell apart what a clean build depends on; flag names hold no comma, and '|undefined' is as distinct as ''
  const key = `${JSON.stringify(w.ctx.scenario.settings)}|${drv}|${flags.join(',')}${output === undefined ? '' : `|${output}`}`;
  let cache = cleanCache.get(w.ctx.scenario.derivations);
  // Stryker disable next-line ConditionalExpression: a cache: a fresh one per call recomputes the same content
  if (!cache) {
    cache = new Map();
    cleanCache.set(w.ctx.scenario.derivations, cache);
  }
  const hit = cache.get(key);
  // Stryker disable next-line ConditionalExpression: a cache: ignoring a hit recomputes the same content
  if (hit !== undefined) return hit;
  // Stryker disable next-line StringLiteral: nothing a clean build registers depends on the scenario's name
  const scenario = { ...w.ctx.scenario, name: `${w.ctx.scenario.name}/clean-${drv}`, initial: [], actors: [{ id: 'clean', kind: 'build', drv } as const] };
  const clean = initialWorld(scenario, w.ctx.variant);
  clean.state = { ...clean.state, flags };
  runToQuiescence(clean);
  // the clean world starts with an empty store and builds this derivation alone, so what is valid is its
  // outputs only (derivations have no inputs here); they share their deriver and differ by output name
  const out = Object.values(clean.state.valid).find((info) => info.output === output);
  const content = out ? out.content : '<clean build failed>';
  cache.set(key, content);
  return content;
}

/** Probe: a clean build of `drv` from this state, after `others` other processes took the first build users. */
function probe(w: World, drv: string, others: number): { world: World; built: boolean } | { world: World; failure: string } {
  const extra: ActorSpec[] = [];
  // Stryker disable next-line StringLiteral: the probe's ids need only differ from each other and from the scenario's, which are never empty
  const id = `probe-${drv}`;
  // Stryker disable next-line StringLiteral: at most one holder (draws 0 and 1), so even an empty id is unique
  for (let i = 0; i < others; i++) extra.push({ id: `probe-hold-${String(i)}`, kind: 'holdUser', releaseAfter: [id] });
  extra.push({ id, kind: 'build', drv, after: extra.map((x) => x.id) });
  const world = extendWorld(w, snapshotWorld(w), extra);
  runToQuiescence(world);
  const a = world.state.actors.find((x) => x.id === id);
  // Stryker disable next-line all: a guard for the type checker, never taken: the probe's actor is the build pushed above, always there
  if (a?.kind !== 'build') throw new Error(`probe bug: no build ${id}`);
  if (a.phase.kind === 'done' && a.phase.outcome.kind === 'success') return { world, built: !a.phase.outcome.skipped };
  const why = a.phase.kind === 'done' ? ('message' in a.phase.outcome ? a.phase.outcome.message : a.phase.outcome.kind) : 'did not finish';
  // a failed builder command always carries its errno (run-builder.ts)
  const failedCalls = a.calls.filter((c) => !c.ok).map((c) => `#${String(c.i)} ${c.op} ${String(c.errno)}`);
  const calls = failedCalls.length > 0 ? `; builder commands failed: ${failedCalls.join(', ')}` : '';
  return { world, failure: `${drv} (${others > 0 ? `as build user ${String(others + 1)}` : 'first build user'}): ${why}${calls}` };
}

function plantedBy(w: World, drv: string): { path: string; content: string }[] {
  // Stryker disable next-line ArrayDeclaration: a string in the list has no path or content, so it matches no listing line
  const out: { path: string; content: string }[] = [];
  for (const d of w.ctx.scenario.derivations) {
    for (const act of d.program) {
      if (act.op === 'plant') {
        if (act.drv === drv && act.path !== '') out.push({ path: act.path, content: act.content });
        continue;
      }
      // Stryker disable next-line ConditionalExpression: besides a plant, only a plantSymlink names a drv, so letting any other command on changes nothing (skipping every one loses every planted symlink, which the witnesses catch)
      if (act.op !== 'plantSymlink') continue;
      if (act.drv !== drv) continue;
      const target = resolveLinkTarget(w.ctx, act.target, w.state.realisations);
      // Stryker disable next-line ConditionalExpression: an undefined content matches no listing line (each has three tab-separated fields, so its content is a string)
      if (target !== undefined) out.push({ path: '', content: target });
    }
  }
  return out;
}

/**
 * What a probe's result depends on: the filesystem and the shared store state, not the history of
 * finished actors. Idle states reached by different schedules often share it.
 */
function probeKey(w: World): string {
  const { valid, realisations, locks, userLeases, tempRoots, orphans, flags } = w.state;
  // the probes run every started actor on with the probe build (extendWorld), so a GC or delete part-way
  // through is part of what they probe: the key holds every other actor's state, not only the store's.
  // Here no build is running (idle): a build not started yet is dropped from the probe world and a
  // finished one only stays to be read, its outcome by an auto-GC of it or a sibling goal of its
  // invocation, so a build counts by its phase's kind, and by its outcome only where something reads
  // it; its history (builder commands, counters) would leave the cache nothing to find.
  // A key finer than needed only probes again what the cache could have answered (a mutant making one
  // is equivalent); a coarser one is wrong (the probe-cache tests in test/verify catch those).
  const spec = w.ctx.scenario;
  const siblingsRead = (spec.invocations?.length ?? 0) > 0;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: keying outcomes under more scenarios (any GC, any actor) is only finer
  const autoGcRead = spec.actors.some((a) => a.kind === 'gc' && a.autoGcOf !== undefined);
  // Any other actor not started or finished is inert there too, and is read only as done or not (a
  // held user's releaseAfter); one part-way (a GC, a delete, a held user) goes on, so all of it counts.
  const outcomesRead = siblingsRead || autoGcRead;
  // Stryker disable next-line ConditionalExpression: keying every build by its whole phase is only finer (keying none so is coarser, and the auto-GC probe-cache test catches it)
  const keyOfBuild = (a: BuildActor): unknown => (outcomesRead ? a.phase : a.phase.kind);
  const actors = w.state.actors.map((a) => {
    // Stryker disable next-line ConditionalExpression,StringLiteral: a build taken for another actor is keyed whole (it has no state), only finer
    if (a.kind === 'build') return keyOfBuild(a);
    // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: keying a waiting or finished actor whole is only finer (its coarsening to the state alone is tested)
    return a.state === 'waiting' || a.state === 'done' ? a.state : a;
  });
  // canonicalDigest splits these exactly as their canonical JSON would, reusing the members' remembered digests
  return w.ctx.fs.hash() + canonicalDigest({ valid, realisations, locks, userLeases, tempRoots, orphans, flags, actors });
}

/** Checks made where no build is running (and where nothing is enabled any more). */
export function checkQuiescent(w: World, probeCache?: Map<string, Violation[]>): Violation[] {
  const out: Violation[] = [];
  for (const [path, info] of Object.entries(w.state.valid)) {
    const d = w.ctx.scenario.derivations.find((x) => drvOf(w.ctx, x.id).drvPath === info.deriver);
    if (!d) continue;
    const clean = cleanContent(w, d.id, info.flags, info.output);
    if (info.content !== clean) {
      out.push({ invariant: 'CleanOutput', message: `${path} (${d.id}) differs from a clean build: ${diffNar(clean, info.content)}` });
    }
    const entries = info.content.split('\n').map((l) => l.split('\t'));
    for (const p of plantedBy(w, d.id)) {
      if (entries.some(([rel, , content]) => rel === p.path && content === p.content)) {
        out.push({ invariant: 'NoForeignContent', message: `${path} (${d.id}) contains '${p.path || '.'}' planted by another derivation's builder` });
      }
    }
  }
  // Stryker disable next-line StringLiteral: without a cache the key is never read
  const key = probeCache ? probeKey(w) : '';
  const cached = probeCache?.get(key);
  // Stryker disable next-line ConditionalExpression: the cache only saves probing again; a state probed afresh gets the same verdicts (the probe-cache tests check that)
  if (cached) return [...out, ...cached];
  const probed: Violation[] = [];
  const draws = w.ctx.scenario.settings.buildUsers >= 2 ? [0, 1] : [0];
  for (const d of w.ctx.scenario.derivations) {
    for (const k of draws) {
      const p = probe(w, d.id, k);
      if ('failure' in p) probed.push({ invariant: 'NoWedge', message: `clean build of ${p.failure}` });
      // "the next build": a skipped build (the output is already valid) builds nothing; GC is the recovery then
      else if (k === 0 && p.built) probed.push(...debrisOf(p.world, d.id));
    }
  }
  probed.push(...debrisAfterGc(w));
  probeCache?.set(key, probed);
  return [...out, ...probed];
}

function invalidEntries(x: World): string[] {
  return storeEntries(x).filter((name) => !x.state.valid[`${STORE_DIR}/${name}`]);
}

/** What the next build of `drv` leaves of its own: scratch dirs, `.tmp` copies, lock files, chroots. */
function debrisOf(w: World, drv: string): Violation[] {
  const info = drvOf(w.ctx, drv);
  const paths = outputViews(info).flatMap((o) => (o.knownPath ? [o.fallbackPath, o.knownPath] : [o.fallbackPath]));
  const mine = new Set([info.drvPath, ...paths].map((p) => hashPartOf(p)));
  const own = invalidEntries(w).filter((name) => mine.has(hashPartOf(name)));
  return own.length > 0 ? [{ invariant: 'NoDebrisAfterRecovery', message: `left after the next build of ${drv}: ${own.join(', ')}` }] : [];
}

/** What even `nix store gc` leaves invalid. */
function debrisAfterGc(w: World): Violation[] {
  // Stryker disable next-line StringLiteral: the GC actor's name is read by nothing (it is the only actor added to the copy, and its result is the store listing)
  const gc = extendWorld(w, snapshotWorld(w), [{ id: 'probe-gc', kind: 'gc' }]);
  runToQuiescence(gc);
  const left = invalidEntries(gc);
  return left.length > 0 ? [{ invariant: 'NoDebrisAfterRecovery', message: `left even after nix store gc: ${left.join(', ')}` }] : [];
}

function storeEntries(w: World): string[] {
  const r = w.ctx.fs.readdir(w.ctx.daemon, STORE_DIR);
  // Stryker disable next-line ArrayDeclaration: the store directory always exists and the daemon (root) may always read it
  return r.ok ? r.value : [];
}

function diffNar(clean: string, got: string): string {
  const c = new Set(clean.split('\n'));
  const g = new Set(got.split('\n'));
  const extra = [...g].filter((l) => !c.has(l)).map((l) => `+${l.split('\t')[0] || '.'}`);
  const missing = [...c].filter((l) => !g.has(l)).map((l) => `-${l.split('\t')[0] || '.'}`);
  return [...extra, ...missing].join(' ') || 'metadata';
}

export { hashPartOf };
