/**
 * A world: the model state plus the kernel holding the filesystem. `initialWorld` lays out a
 * multi-user store as the installer and daemon leave it; `apply` takes one event and records the
 * syscalls it made, the fs diff and the upstream function it models.
 */
import type { FsKernel, SyscallRecord, TreeEntry } from '../fs/index.js';
import { cgroupRootFiles, createKernel } from '../fs/index.js';
import type { Ctx } from './context.js';
import { BUILD_DIR, CGROUP_FS, CGROUP_RECORD_DIR, drvOf, makeCtx, NIXBLD_GID, ROOT_CGROUP, USERPOOL_DIR } from './context.js';
import { layInitial } from './initial.js';
import { canonicalDigest, Piece } from './hash.js';
import { counted, putActor, scriptedFaults } from './state.js';
import { STORE_DIR } from './store-path.js';
import { enabledEvents } from './enabled.js';
import { step } from './transition.js';
import { BUILD_EVENT_TYPES } from './types.js';
import type { Actor, ActorSpec, BuildEventType, ModelEvent, ModelState, Scenario, TraceStep, WorldSnapshot } from './types.js';
import type { Variant } from './variants.js';
import { UPSTREAM } from './variants.js';

export interface World {
  readonly ctx: Ctx;
  state: ModelState;
}

function initialActor(spec: ActorSpec): Actor {
  switch (spec.kind) {
    case 'build':
      return { kind: 'build', id: spec.id, drv: spec.drv, ...(spec.mode ? { mode: spec.mode } : {}), phase: { kind: 'waiting' }, calls: [], counts: {} };
    case 'holdUser':
      return { kind: 'holdUser', id: spec.id, state: 'waiting' };
    case 'pathInfo':
      return { kind: 'pathInfo', id: spec.id, state: 'waiting' };
    case 'storeDelete':
      return { kind: 'storeDelete', id: spec.id, state: 'waiting' };
    case 'gc':
      return { kind: 'gc', id: spec.id, state: 'waiting', queue: [], deleted: [] };
    case 'setFlag':
    case 'clearFlag':
      return { kind: spec.kind, id: spec.id, state: 'waiting' };
    case 'corrupt':
      return { kind: 'corrupt', id: spec.id, state: 'waiting' };
  }
}

/** /nix/store 1775 root:nixbld (the installer's layout), the build dir and userpool, root-only. */
function layStore(fs: FsKernel, ctx: Ctx): void {
  const root = ctx.daemon;
  for (const dir of ['/nix', '/nix/var', '/nix/var/nix']) fs.mkdir(root, dir, 0o755);
  fs.mkdir(root, STORE_DIR, 0o755);
  fs.chmod(root, STORE_DIR, 0o1775);
  fs.chown(root, STORE_DIR, 0, ctx.scenario.settings.buildUsers > 0 ? NIXBLD_GID : 0);
  fs.mkdir(root, BUILD_DIR, 0o755);
  // chmod, not mkdir's mode: the umask would strip o+w, and mkdir ignores the sticky bit
  const buildDirMode = ctx.scenario.settings.buildDirMode;
  if (buildDirMode !== undefined) fs.chmod(root, BUILD_DIR, parseInt(buildDirMode, 8));
  fs.mkdir(root, USERPOOL_DIR, 0o755);
  if (ctx.scenario.settings.useCgroups === true) layCgroupFs(fs, ctx);
}

/**
 * With use-cgroups, the cgroup2 hierarchy as systemd leaves it: mounted at /sys/fs/cgroup, the
 * daemon in system.slice/nix-daemon.service (getRootCgroup), each a cgroup with its interface
 * files; and what the daemon does with it as it starts (nix/unix/daemon.cc daemonLoop,
 * l.289-294): a sub-cgroup `nix-daemon` it moves itself into, beside which the builds' go.
 */
function layCgroupFs(fs: FsKernel, ctx: Ctx): void {
  const root = ctx.daemon;
  for (const dir of ['/sys', '/sys/fs', CGROUP_FS]) fs.mkdir(root, dir, 0o755);
  cgroupRootFiles(fs, CGROUP_FS);
  for (const dir of [`${CGROUP_FS}/system.slice`, ROOT_CGROUP, `${ROOT_CGROUP}/nix-daemon`]) {
    fs.mkdir(root, dir, 0o755);
    cgroupRootFiles(fs, dir);
  }
}

export function initialWorld(scenario: Scenario, variant: Variant): World {
  const fs = createKernel({ personality: scenario.settings.platform === 'darwin' ? 'darwin' : 'linux' });
  const ctx = makeCtx(scenario, variant, fs);
  layStore(fs, ctx);
  const [error] = layInitial(fs, ctx);
  if (error !== undefined) throw new Error(`scenario ${scenario.name}: ${error} (initialLayoutErrors reports this for scenario files)`);
  const state: ModelState = {
    valid: {},
    realisations: {},
    locks: {},
    userLeases: {},
    tempRoots: {},
    flags: [],
    actors: scenario.actors.map(initialActor),
    orphans: [],
    faultsUsed: 0,
    tmpCounter: 1,
  };
  return { ctx, state };
}

/** What of the scenario's `initial` entries cannot be laid out (a path not known yet, a name that clashes, ...). */
export function initialLayoutErrors(scenario: Scenario): string[] {
  const fs = createKernel({ personality: scenario.settings.platform === 'darwin' ? 'darwin' : 'linux' });
  const ctx = makeCtx(scenario, UPSTREAM, fs);
  layStore(fs, ctx);
  return layInitial(fs, ctx);
}

const BUILD_EVENTS: ReadonlySet<string> = new Set<string>(BUILD_EVENT_TYPES);

/** Counts a build's own events, so scripted faults and `during` actors can find their point. */
function withCount(state: ModelState, e: ModelEvent): ModelState {
  if (!BUILD_EVENTS.has(e.type)) return state;
  const a = state.actors.find((x) => x.id === e.actor);
  return a?.kind === 'build' ? putActor(state, counted(a, e.type as BuildEventType)) : state;
}

/** Takes one event; returns the trace step, or the reason it was disabled (the world is then unchanged). */
export function apply(w: World, e: ModelEvent, treeBefore?: readonly TreeEntry[]): { ok: true; step: TraceStep } | { ok: false; reason: string } {
  const fs = w.ctx.fs;
  const before = treeBefore ?? observedTree(w);
  const syscalls: SyscallRecord[] = [];
  const stop = fs.observe((phase, call) => {
    if (phase === 'after' && !READS.has(call.syscall)) syscalls.push(call);
    return undefined;
  });
  const snap = fs.snapshot();
  let r;
  try {
    r = step(w.ctx, w.state, e);
  } finally {
    stop();
  }
  if (r.kind === 'disabled') {
    fs.restore(snap);
    return { ok: false, reason: r.reason };
  }
  w.state = withCount(r.effect.state, e);
  const after = observedTree(w);
  return { ok: true, step: { event: e, note: r.effect.note, source: r.effect.source, syscalls, before, after } };
}

/**
 * `apply` for a search that keeps no trace: no syscall records, no tree listings. The caller holds
 * the state it came from (a snapshot) when it wants to see what changed.
 */
export function applyQuiet(w: World, e: ModelEvent): { ok: true } | { ok: false; reason: string } {
  const snap = w.ctx.fs.snapshot();
  const r = step(w.ctx, w.state, e);
  if (r.kind === 'disabled') {
    w.ctx.fs.restore(snap);
    return { ok: false, reason: r.reason };
  }
  w.state = withCount(r.effect.state, e);
  return { ok: true };
}

/**
 * The roots of observedTree: the store and the build dir, and with use-cgroups the daemon's cgroup
 * and the cgroup records (absent, so empty, otherwise).
 */
export const OBSERVED_ROOTS: readonly string[] = [STORE_DIR, BUILD_DIR, ROOT_CGROUP, CGROUP_RECORD_DIR];

/** The part of the filesystem traces and invariants look at: the store, the build dir, and the cgroups of builds. */
export function observedTree(w: World): TreeEntry[] {
  return OBSERVED_ROOTS.flatMap((root) => w.ctx.fs.tree(root));
}

/** Reads are not effects: the trace shows what changed the world. */
const READS: ReadonlySet<string> = new Set(['stat', 'lstat', 'readdir', 'readlink', 'readFile', 'read', 'close']);

export function snapshotWorld(w: World): WorldSnapshot {
  return { model: w.state, fs: w.ctx.fs.snapshot() };
}

export function restoreWorld(w: World, s: WorldSnapshot): void {
  w.ctx.fs.restore(s.fs);
  w.state = s.model;
}

/**
 * A canonical hash of the whole world, for deduplicating visited states. Builder call logs are
 * history, not state; event counts matter only to scripted faults.
 */
export function hashWorld(w: World): string {
  const scripted = hasScriptedFaults(w.ctx.scenario);
  let actors = '';
  for (const a of w.state.actors) actors += actorDigest(a, scripted);
  const piece = new Piece(actors);
  return canonicalDigest(w.state, (k, v) => (k === 'actors' ? piece : v)) + w.ctx.fs.hash();
}

const scriptedMemo = new WeakMap<Scenario, boolean>();
function hasScriptedFaults(s: Scenario): boolean {
  let hit = scriptedMemo.get(s);
  if (hit === undefined) scriptedMemo.set(s, (hit = s.actors.some((a) => scriptedFaults(a).length > 0)));
  return hit;
}

/** An actor's digest as hashWorld sees it, remembered per actor object (one memo per kind of scenario). */
const actorMemo = { scripted: new WeakMap<Actor, string>(), free: new WeakMap<Actor, string>() };
const NO_CALLS = new Piece('[]');
const NO_COUNTS = new Piece('{}');
function actorDigest(a: Actor, scripted: boolean): string {
  if (a.kind !== 'build') return canonicalDigest(a);
  const memo = scripted ? actorMemo.scripted : actorMemo.free;
  let d = memo.get(a);
  if (d === undefined) {
    d = canonicalDigest(a, (k, v) => (k === 'calls' ? NO_CALLS : k === 'counts' && !scripted ? NO_COUNTS : v));
    memo.set(a, d);
  }
  return d;
}

export { drvOf };

/**
 * A world continuing from `snap` with `extra` actors appended to the schedule (the probes that
 * invariants run: "does a clean build succeed from here?").
 */
export function extendWorld(w: World, snap: WorldSnapshot, extra: readonly ActorSpec[]): World {
  // the rest of the scenario's schedule does not run in a probe: only what has started goes on
  const started = new Set(snap.model.actors.filter((a) => (a.kind === 'build' ? a.phase.kind !== 'waiting' : a.state !== 'waiting')).map((a) => a.id));
  const keep = w.ctx.scenario.actors.filter((a) => started.has(a.id));
  const scenario: Scenario = { ...w.ctx.scenario, actors: [...keep, ...extra] };
  const fs = createKernel({ personality: scenario.settings.platform === 'darwin' ? 'darwin' : 'linux' });
  fs.restore(snap.fs);
  const ctx = makeCtx(scenario, w.ctx.variant, fs);
  const actors = [...snap.model.actors.filter((a) => started.has(a.id)), ...extra.map(initialActor)];
  return { ctx, state: { ...snap.model, actors } };
}

/** Runs the first enabled event repeatedly (no free faults) until quiescent; returns false on the step limit. */
export function runToQuiescence(w: World, limit = 5_000): boolean {
  for (let i = 0; i < limit; i++) {
    const [e] = enabledEvents(w.ctx, w.state);
    if (!e) return true;
    // no trace is kept here, so no trees or syscall records: probes run many of these
    const r = step(w.ctx, w.state, e);
    if (r.kind === 'disabled') throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    w.state = withCount(r.effect.state, e);
  }
  return false;
}
