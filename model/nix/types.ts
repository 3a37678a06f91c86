/**
 * The data of the Nix model: scenarios (inputs), the world state (plain immutable data; the
 * filesystem lives beside it in the kernel), events, and outcomes. Names follow libstore.
 */
import type { Errno, FsError, FsSnapshot, SyscallRecord, TreeEntry } from '../fs/index.js';

// ---------------------------------------------------------------- scenario (input data)

/** Where a build runs. darwin never gets a chroot; on linux makeDerivationBuilder decides (sandbox.ts). */
export type Platform = 'linux' | 'darwin';

/** The `sandbox` option as upstream parses it (globals.cc): `true`, `false` or `"relaxed"`. */
export type SandboxSetting = boolean | 'relaxed';

/** The knobs upstream reads that matter here (local-settings.hh, globals.hh). */
export interface Settings {
  readonly platform: Platform;
  /**
   * The `sandbox` option (local-settings.hh sandboxMode). Whether a given build gets a chroot is
   * makeDerivationBuilder's decision (sandbox.ts `sandboxDecision`): it also reads the
   * derivation's __noChroot, `divertedStore`, `sandboxFallback` and `mountAndPidNamespaces`.
   */
  readonly sandbox: SandboxSetting;
  /** `sandbox-fallback` (default true): a sandboxed build runs unsandboxed when the namespaces are missing. */
  readonly sandboxFallback?: boolean;
  /**
   * Whether mountAndPidNamespacesSupported() (libutil/linux/linux-namespaces.cc) is true: the daemon
   * can start a process in new mount and PID namespaces and mount /proc there. Absent: true.
   * False stands for a container or kernel without them. Linux only.
   */
  readonly mountAndPidNamespaces?: boolean;
  /** The store's real directory differs from its logical one (e.g. `--store /some/root`); absent: false. */
  readonly divertedStore?: boolean;
  /**
   * Members of `build-users-group` (0 = the setting is empty: single-user, builders run as the
   * daemon's uid). With `autoAllocateUids`, the number of uid slots instead (`id-count` / 65536).
   */
  readonly buildUsers: number;
  /**
   * `auto-allocate-uids` (experimental feature of the same name): a build takes the first free slot
   * of userpool2 and runs as uid `start-id + 65536 * slot` (872415232 + …), which has no passwd
   * entry, instead of a member of build-users-group. Its group is build-users-group's (nixbld)
   * outside a sandbox, the uid itself inside one (a user namespace). build-users-group is taken to
   * be `nixbld` throughout (upstream refuses an unsandboxed build without one, user-lock.cc l.202-206).
   */
  readonly autoAllocateUids?: boolean;
  /**
   * `use-cgroups = true` with the experimental feature `cgroups` (Linux only; absent: false). Only a
   * sandboxed build (ChrootLinuxDerivationBuilder) uses it: its builder runs in a cgroup of its own
   * below the daemon's, `nix-build-uid-<uid>` (recorded in /nix/var/nix/cgroups/<uid>) or without
   * build users `nix-build-pid-<pid>-<n>`, and its processes are killed through the cgroup, not by
   * killUser (model/nix/cgroup.ts).
   */
  readonly useCgroups?: boolean;
  readonly keepFailed: boolean;
  /**
   * Which of the worker's build deadlines is set (non-zero): `timeout` (build-timeout) or
   * `max-silent-time`. Absent: both are 0, the default, and no build ever times out. The model has
   * no clock, so a set deadline may expire at any point the worker checks it (fault `timeout`).
   */
  readonly buildDeadline?: 'timeout' | 'max-silent-time';
  /**
   * The mode of build-dir (/nix/var/nix/builds) as the daemon finds it, in octal; absent: 755. With
   * build users, a world-writable one (`1777`, `777`) makes every build fail before its temp dir.
   */
  readonly buildDirMode?: string;
  /**
   * The experimental feature `ca-derivations`; absent: on, as the harness's daemons run. On, every
   * output a build registers also gets a realisation (derivation-builder.cc l.1992-1994), and a
   * realisation makes an output Valid without a hash check, even under --repair
   * (derivation-building-goal.cc l.1281-1284). `false`: off, no realisations, and no floating CA
   * derivation can be built.
   */
  readonly caDerivations?: boolean;
  /** Which Nix's behaviour: upstream 2.34.8, or Debian's 2.8.0 where the code differs (docs/fidelity.md). */
  readonly nixVersion: '2.34.8' | '2.8';
}

/** A store path named by the derivation it belongs to (a PathRef), plus a path below it; resolved when used. */
export interface SymbolicPath {
  readonly drv: string;
  readonly which: 'scratch' | 'final' | 'lock';
  /** Which output of a multi-output derivation (absent: its first, `out` for a single-output one). */
  readonly output?: string;
  readonly path?: string;
}

/** A symlink body: a literal string, or another derivation's path named symbolically. */
export type LinkTarget = string | SymbolicPath;

/**
 * A builder command, run as the build user with $out = the scratch path. Paths are relative to $out,
 * or with `output` to that output's variable (`$dev` for `output: 'dev'`: its scratch path).
 */
export type BuilderAction =
  | { readonly op: 'mkdirP'; readonly path: string; readonly output?: string }
  | { readonly op: 'mkdir'; readonly path: string; readonly output?: string }
  | { readonly op: 'writeFile'; readonly path: string; readonly content: string; readonly output?: string }
  | { readonly op: 'symlink'; readonly target: LinkTarget; readonly path: string; readonly output?: string }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: string; readonly output?: string }
  | { readonly op: 'writeIfFlag'; readonly flag: string; readonly path: string; readonly content: string; readonly output?: string }
  | { readonly op: 'exitIfFlag'; readonly flag: string; readonly code: number }
  | { readonly op: 'exit'; readonly code: number }
  /**
   * A hostile builder writing at another derivation's predictable scratch path (`drv`), not its own:
   * `mkdir -p` of it, a file at `path` below it (none when `path` is ''), then `chmod mode` of the directory.
   */
  | { readonly op: 'plant'; readonly drv: string; readonly path: string; readonly content: string; readonly mode?: string }
  | { readonly op: 'plantSymlink'; readonly drv: string; readonly target: LinkTarget }
  /**
   * The builder starts a process (as `make` would) that runs the remaining commands while the builder
   * waits for it. It is not the builder: PR_SET_PDEATHSIG does not reach it (see `Orphan`).
   */
  | { readonly op: 'spawn' }
  /** Jump back to command `to`, `times` times (omitted: forever; the process never exits on its own). */
  | { readonly op: 'loop'; readonly to: number; readonly times?: number };

/** input-addressed: output path known from the drv; ca-floating: known only after the build (no `known`). */
export type DrvKind = 'input-addressed' | 'ca-floating';

export interface DerivationSpec {
  readonly id: string;
  readonly name: string;
  readonly kind: DrvKind;
  /** `__noChroot = true` (derivation-options.cc): no sandbox under `sandbox = relaxed`, an error under `true`. */
  readonly noChroot?: boolean;
  /**
   * The derivation's output names (absent: `['out']`). Every output is of the derivation's kind.
   * Upstream keeps them in a sorted map (drv.outputs), and the model processes them in that order.
   */
  readonly outputs?: readonly string[];
  readonly program: readonly BuilderAction[];
}

/** A path a command or check refers to: a derivation's scratch output, its final output, or its lock file. */
export interface PathRef {
  readonly drv: string;
  readonly which: 'scratch' | 'final' | 'lock';
  /** Which output of a multi-output derivation (absent: its first). */
  readonly output?: string;
}

/** Every fault kind: runtime data, so schemas, dispatch and the search share one list. */
export const FAULT_KINDS = ['interrupt', 'crash', 'builderFailure', 'timeout'] as const;
/** `timeout`: the worker's build-timeout or max-silent-time expired (needs `settings.buildDeadline`). */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault scripted into a scenario: fires just before the actor's `nth` (0-based) event of type `before`. */
export interface ScriptedFault {
  readonly kind: FaultKind;
  readonly before: BuildEventType;
  readonly nth: number;
}

/** What every actor of a schedule has: an id and when it may start. */
export interface ActorBase {
  readonly id: string;
  /** The actor starts only once all of these actors have finished. */
  readonly after?: readonly string[];
  /**
   * The actor starts when build `actor` is about to take its `nth` event of type `before`, and that
   * build waits until this actor has finished: a deterministic way to place a concurrent actor.
   */
  readonly during?: { readonly actor: string; readonly before: BuildEventType; readonly nth: number };
  /**
   * The actor starts only once each of these actors has released the build user it took: a holdUser
   * after its releaseUser, a build once it took a user and no longer holds one (or finished).
   */
  readonly afterUserRelease?: readonly string[];
}

/**
 * Nix: BuildMode (store-api.hh). `check` is `--check` (bmCheck): rebuild an output that is already
 * valid and compare, without registering anything. `repair` is `--repair` (bmRepair): a valid
 * output's contents are hashed (checkPathValidity's checkHash), a corrupt one is rebuilt and moved
 * over the valid path (replaceValidPath). Normal builds (bmNormal) leave it out.
 */
export const BUILD_MODES = ['check', 'repair'] as const;
export type BuildMode = (typeof BUILD_MODES)[number];

export type ActorSpec =
  /** `fault` and `faults` together are the build's scripted faults, each firing at its own point. */
  | (ActorBase & { readonly kind: 'build'; readonly drv: string; readonly mode?: BuildMode; readonly fault?: ScriptedFault; readonly faults?: readonly ScriptedFault[] })
  /**
   * Another build holding a build user (userpool/<uid>) until every `releaseAfter` actor is done. Like
   * any build it ran prepareUser first, killing stray processes of that uid.
   */
  | (ActorBase & { readonly kind: 'holdUser'; readonly releaseAfter: readonly string[] })
  | (ActorBase & { readonly kind: 'pathInfo'; readonly target: PathRef })
  | (ActorBase & { readonly kind: 'storeDelete'; readonly command: DeleteCommand; readonly target: PathRef })
  /**
   * `nix store gc`, or with `autoGcOf` the automatic GC (min-free / max-free) that build
   * `autoGcOf`'s own daemon worker starts from its worker loop (auto-gc.ts): it starts only at its
   * `during` point, runs beside the build instead of pausing it, and ends with that process.
   */
  | (ActorBase & { readonly kind: 'gc'; readonly autoGcOf?: string })
  | (ActorBase & { readonly kind: 'setFlag' | 'clearFlag'; readonly flag: string })
  /**
   * Someone (as root) damages a valid output on disk, as a disk fault or a stray `chmod u+w; echo`
   * would: a file `corrupted` is written into it, so its contents no longer hash to the registered
   * NAR hash. The database is not touched: the path stays valid. What `--repair` exists for.
   */
  | (ActorBase & { readonly kind: 'corrupt'; readonly target: PathRef });

export type DeleteCommand = 'nix store delete' | 'nix-store --delete';

/** Who owns an initial entry: root, or the first or second build user. */
export type InitialOwner = 'builder1' | 'builder2' | 'root';

/** One entry below an initial directory; `owner` defaults to the enclosing directory's, `mode` to 755 / 644. */
export type InitialNode =
  | { readonly kind: 'file'; readonly name: string; readonly content: string; readonly owner?: InitialOwner; readonly mode?: string }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: LinkTarget; readonly owner?: InitialOwner }
  | { readonly kind: 'dir'; readonly name: string; readonly entries?: readonly InitialNode[]; readonly owner?: InitialOwner; readonly mode?: string };

/** A directory present in the store before the scenario starts (e.g. debris from an earlier crash). */
export interface InitialEntry {
  readonly at: PathRef;
  readonly owner: InitialOwner;
  readonly mode: string;
  /** Files directly in it: name (no `/`) -> content, owned by `owner`, 0644. */
  readonly files?: Readonly<Record<string, string>>;
  /** A nested tree below it, each entry with its own owner and mode. */
  readonly entries?: readonly InitialNode[];
}

/** What exploration may vary on top of the scripted actors. */
export interface ExploreBounds {
  readonly faults: readonly FaultKind[];
  /** How many free faults one run may contain. */
  readonly maxFaults: number;
  /** Actors faults may hit (default: every build actor). */
  readonly faultTargets?: readonly string[];
  readonly maxDepth?: number;
}

export interface Scenario {
  readonly name: string;
  readonly doc: string;
  readonly settings: Settings;
  readonly derivations: readonly DerivationSpec[];
  readonly actors: readonly ActorSpec[];
  readonly initial?: readonly InitialEntry[];
  /**
   * Build actors that are the top-level goals of one client invocation (`nix-build a.drv b.drv`):
   * one daemon worker, one Worker, run with keep-going = false (the default). When one of them
   * fails, the others are cancelled where they are suspended (event `cancel`, keep-going.ts).
   * A build in no invocation is its own client.
   */
  readonly invocations?: readonly (readonly string[])[];
  readonly explore?: ExploreBounds;
}

// ---------------------------------------------------------------- world state

/** Nix: derivation-building-misc.hh PathStatus, and InitialOutput::known (absent for floating CA). */
export type PathStatus = 'absent' | 'corrupt' | 'valid';
export interface KnownOutput {
  readonly path: string;
  readonly status: PathStatus;
}

/** What _deletePath's recursion has still to do: enter an entry, list a directory made accessible, or remove a walked directory. */
export type DeleteTask =
  | { readonly kind: 'visit'; readonly path: string }
  | { readonly kind: 'list'; readonly path: string }
  | { readonly kind: 'rmdir'; readonly path: string };

/** An incremental _deletePath: the root, the walk still to do (innermost first), and the first unlink error. */
export interface DeleteJob {
  readonly root: string;
  /** Planted bug bug-delete-follows-symlinks: stat() instead of lstat() at the top. */
  readonly followTop?: boolean;
  readonly todo: readonly DeleteTask[];
  readonly firstError?: FsError;
}

export type BuildOutcome =
  | { readonly kind: 'success'; readonly path: string; readonly skipped: boolean }
  | { readonly kind: 'failure'; readonly failure: FailureKind; readonly message: string; readonly errno?: Errno }
  | { readonly kind: 'interrupted'; readonly message: string }
  /**
   * keep-going = false: another top-level goal of the same invocation failed and this goal was
   * destroyed where it was suspended; its BuildResult stays the default (exitCode ecBusy), as an
   * interrupted goal's does, but the client reports the sibling's failure, not an interrupt.
   */
  | { readonly kind: 'cancelled'; readonly message: string }
  | { readonly kind: 'crashed' };

/** Nix: BuildResult::Failure kinds this model can produce, plus SysError escaping the goal. */
/**
 * `unsafeBuildDir`: startBuild's checkNotWorldWritable refused build-dir; `sandboxRefused`:
 * makeDerivationBuilder refused the sandbox settings (both an Error escaping the goal).
 */
export type FailureKind = 'builderFailed' | 'outputRejected' | 'sysError' | 'notDeterministic' | 'timedOut' | 'unsafeBuildDir' | 'sandboxRefused';

/** Registration sub-steps (derivation-builder.cc registerOutputs), in upstream order. */
export type RegisterStep =
  | { readonly kind: 'checkOutput' }
  /** `cross`: the canonicalisation after a floating CA output's rewrite of the other outputs' hashes (multi-output only). */
  | { readonly kind: 'canonicalise'; readonly pass: 1 | 2; readonly done: readonly string[]; readonly finalPath?: string; readonly cross?: true }
  /**
   * rewriteOutput's `.tmp` copy. `rewrites`: the hash parts it replaces (absent: the scratch path's by the
   * final path's); `cross`: a floating CA output's pass over outputRewrites, before its own (multi-output only).
   */
  | { readonly kind: 'rewriteCopy'; readonly finalPath: string; readonly rewrites?: readonly (readonly [string, string])[]; readonly cross?: true }
  | { readonly kind: 'rewriteMove'; readonly finalPath: string; readonly cross?: true }
  | { readonly kind: 'lockFinal'; readonly finalPath: string }
  | { readonly kind: 'moveOutput'; readonly finalPath: string }
  /** bmCheck: the output stays where it was built and is compared with the valid one (derivation-builder.cc l.1874). */
  | { readonly kind: 'compare'; readonly finalPath: string }
  /**
   * bmRepair (derivation-builder.cc replaceValidPath, l.629): the valid path, if present, is first
   * moved aside to `old` (makeTempPath(storePath, ".old"): a name below the store path itself).
   */
  | { readonly kind: 'replaceValid'; readonly finalPath: string }
  /** replaceValidPath's movePath(tmpPath, storePath) once the old copy is out of the way (`old`, if any). */
  | { readonly kind: 'replaceMoveIn'; readonly finalPath: string; readonly old?: string }
  /** replaceValidPath's deletePath(oldPath) after the new copy is in place. */
  | { readonly kind: 'replaceDeleteOld'; readonly finalPath: string; readonly old: string }
  /** `afterMove`: reached through the move block (derivation-builder.cc l.1853-1872), after which nothing checks for an interrupt before registerValidPaths. */
  | { readonly kind: 'register'; readonly finalPath: string; readonly afterMove?: true };

/** Every build phase kind, in the order a build passes through them. */
export const BUILD_PHASES = [
  'waiting',
  'lockOutputs',
  'deleteInvalidOutputs',
  'acquireUser',
  'createTempDir',
  'chownToBuilder',
  'prepareScratch',
  'building',
  'builderExit',
  'registering',
  'cleanup',
  'done',
] as const;

export type BuildPhase =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'lockOutputs' }
  | { readonly kind: 'deleteInvalidOutputs' }
  | { readonly kind: 'acquireUser' }
  | { readonly kind: 'createTempDir' }
  | { readonly kind: 'chownToBuilder' }
  | { readonly kind: 'prepareScratch' }
  | ({ readonly kind: 'building' } & BuilderCursor)
  | { readonly kind: 'builderExit'; readonly status: number }
  | { readonly kind: 'registering'; readonly step: RegisterStep }
  | { readonly kind: 'cleanup'; readonly outcome: BuildOutcome; readonly step: CleanupStep }
  | { readonly kind: 'done'; readonly outcome: BuildOutcome };

/** Where a builder (or a process it left behind) is in its program. */
export interface BuilderCursor {
  readonly pc: number;
  readonly lastStatus: number;
  /** A `spawn` ran: the commands from here on run in a process the builder started. */
  readonly child?: true;
  /** Jumps taken by each bounded `loop` (by its index), so `times` can end it. */
  readonly loops?: Readonly<Record<string, number>>;
}

/** Nix: cleanupOnDestruction / unprepareBuild failure path / success, made explicit (cleanup-build.ts). */
export type CleanupStep = 'killChild' | 'deleteRedirected' | 'removeTmpDir' | 'deleteScratch' | 'release';

/** One builder syscall as the builder saw it (for the trace and the real-daemon comparison). */
export interface BuilderCall {
  readonly i: number;
  readonly op: BuilderAction['op'];
  readonly ok: boolean;
  readonly errno?: Errno;
}

/**
 * One output of a multi-output build (derivation-building-goal.cc initialOutputs, derivation-builder.cc
 * scratchOutputs/redirectedOutputs/finalOutputs): what the single-output fields of BuildActor hold for it.
 */
export interface OutputSlot {
  readonly name: string;
  readonly known?: KnownOutput;
  readonly scratch?: string;
  readonly redirected?: boolean;
  /** registerOutputs' `finish`: where this output ended up (its final path), once the loop passed it. */
  readonly final?: string;
  /**
   * The outputs (itself included) whose scratch paths registerOutputs' first loop found in this one
   * (scanForReferences, derivation-builder.cc l.1535-1541): what its topological sort orders by.
   */
  readonly refs?: readonly string[];
}

/**
 * A build of a derivation with more than one output. BuildActor's own `known`, `scratch` and
 * `redirected` are those of `slots[cur]`, the output a loop is at; the others wait in `slots`.
 * Single-output builds have none of this, so their states are as before.
 */
export interface MultiOutputs {
  readonly slots: readonly OutputSlot[];
  readonly cur: number;
  /** registerOutputs: `check` is the first loop (lstat, ownership, canonicalise), `move` the second (rewrite, move, register). */
  readonly stage?: 'check' | 'move';
  /** Deletions still to run, one after another, after the current `job` (the loops over outputs). */
  readonly queue?: readonly string[];
  /** The second loop's order: slot indices, referenced outputs first (topoSort, derivation-builder.cc l.1554-1591). */
  readonly order?: readonly number[];
}

export interface BuildActor {
  readonly kind: 'build';
  readonly id: string;
  readonly drv: string;
  /** `check` for `--check` (bmCheck), `repair` for `--repair` (bmRepair); absent for a normal build. */
  readonly mode?: BuildMode;
  readonly phase: BuildPhase;
  readonly known?: KnownOutput;
  readonly uid?: number;
  readonly scratch?: string;
  /**
   * The scratch path is a fallback path of a known output (derivation-builder.cc startBuild's redirectedOutputs, l.824):
   * cleanupBuild(true) deletes it after a successful build, a failed one leaves it (l.2004).
   */
  readonly redirected?: boolean;
  readonly tmpDir?: string;
  /** The build's cgroup, once prepareUser named it (use-cgroups on a sandboxed Linux build: cgroup.ts). */
  readonly cgroup?: string;
  readonly finalLock?: string;
  /** The store temp dir of the hash rewrite (variant rewrite-in-store-temp-dir), AutoDelete'd on unwind. */
  readonly rewriteTmp?: string;
  readonly job?: DeleteJob;
  readonly calls: readonly BuilderCall[];
  /** The harness flags when the goal started: what a clean build of this attempt would have seen. */
  readonly flagsAtStart?: readonly string[];
  /** How many events of each type this actor has taken (scripted faults count with it). */
  readonly counts: Readonly<Partial<Record<BuildEventType, number>>>;
  /** Present only for a derivation with more than one output. */
  readonly multi?: MultiOutputs;
}

export type SimpleActor =
  | { readonly kind: 'holdUser'; readonly id: string; readonly state: 'waiting' | 'holding' | 'done'; readonly uid?: number }
  | { readonly kind: 'pathInfo'; readonly id: string; readonly state: 'waiting' | 'done'; readonly result?: CommandResult }
  | {
      readonly kind: 'storeDelete';
      readonly id: string;
      readonly state: 'waiting' | 'deleting' | 'done';
      readonly job?: DeleteJob;
      /** gc.cc `shared->pending`: the hash part being deleted, for which addTempRoot waits. */
      readonly pending?: string;
      readonly result?: CommandResult;
    }
  | {
      readonly kind: 'gc';
      readonly id: string;
      readonly state: 'waiting' | 'collecting' | 'done';
      /** Entries still to consider, in readdir order, and the deletion under way. */
      readonly queue: readonly string[];
      readonly job?: DeleteJob;
      /** gc.cc `shared->pending`: set while a store path (not other garbage) is being deleted. */
      readonly pending?: string;
      readonly deleted: readonly string[];
      /** Set when a deletion failed: deleteStorePath rethrows and the run stops there. */
      readonly error?: string;
      /** An auto-GC that ended early: why (auto-gc.ts AutoGcEnd). */
      readonly stopped?: string;
    }
  | { readonly kind: 'setFlag' | 'clearFlag'; readonly id: string; readonly state: 'waiting' | 'done' }
  | { readonly kind: 'corrupt'; readonly id: string; readonly state: 'waiting' | 'done' };

export interface CommandResult {
  readonly exitOk: boolean;
  readonly output: readonly string[];
  readonly removed?: boolean;
}

export type Actor = BuildActor | SimpleActor;

/**
 * A process of a crashed build that keeps running as its uid: on macOS the builder itself (no
 * PR_SET_PDEATHSIG there), on Linux without a chroot a process the builder started (the death signal
 * reaches the builder alone). Nothing ends it but its program's end or killUser(uid), which runs only
 * when a build takes that uid; with no build users (uid 0) nothing ever does.
 */
export interface Orphan extends BuilderCursor {
  readonly id: string;
  readonly drv: string;
  readonly uid: number;
  readonly scratch: string;
  /** A multi-output build's scratch path of each output, by name (`$dev`, ...). */
  readonly scratches?: Readonly<Record<string, string>>;
}

export interface ValidPathInfo {
  readonly deriver: string;
  /** Which output of its deriver it is, for a multi-output derivation (absent for a single-output one). */
  readonly output?: string;
  readonly content: string;
  /** The harness flags the registering attempt started with (its clean-build reference). */
  readonly flags: readonly string[];
}

export interface ModelState {
  readonly valid: Readonly<Record<string, ValidPathInfo>>;
  /** drvPath!output → output path (the realisation of a CA output). */
  readonly realisations: Readonly<Record<string, string>>;
  /** lock file path → actor holding the flock. */
  readonly locks: Readonly<Record<string, string>>;
  /** uid → actor holding userpool/<uid>. */
  readonly userLeases: Readonly<Record<string, string>>;
  /** actor → hash parts it holds as temp roots (gc.cc keeps temp roots by hash part). */
  readonly tempRoots: Readonly<Record<string, readonly string[]>>;
  readonly flags: readonly string[];
  readonly actors: readonly Actor[];
  readonly orphans: readonly Orphan[];
  readonly faultsUsed: number;
  readonly tmpCounter: number;
  /**
   * Valid paths a `corrupt` actor damaged on disk and no build has registered since: their contents
   * differ from their registration on purpose (ValidPathsIntact leaves them to the repair).
   */
  readonly corrupted?: readonly string[];
}

// ---------------------------------------------------------------- events

/** A build's own events, in lifecycle order; runtime data so schemas and dispatch share one list. */
export const BUILD_EVENT_TYPES = [
  'lockOutputs',
  'acquireUser',
  'createTempDir',
  'chownToBuilder',
  'prepareScratch',
  'deletePathStep',
  'builderAction',
  'builderExit',
  'registerOutputs',
  'cleanupBuild',
] as const;
export type BuildEventType = (typeof BUILD_EVENT_TYPES)[number];

/** Every event type, builds', faults' and the other actors'. */
export const EVENT_TYPES = [
  'start',
  ...BUILD_EVENT_TYPES,
  'interrupt',
  'crash',
  'builderFailure',
  'timeout',
  'cancel',
  'orphanAction',
  'holdUser',
  'releaseUser',
  'pathInfo',
  'storeDelete',
  'gcStep',
  'gcStop',
  'setFlag',
  'corrupt',
] as const;

export type ModelEvent =
  | { readonly type: 'start'; readonly actor: string }
  | { readonly type: BuildEventType; readonly actor: string }
  | { readonly type: FaultKind; readonly actor: string }
  /** keep-going = false: a sibling top-level goal failed; this one is destroyed at its suspension point. */
  | { readonly type: 'cancel'; readonly actor: string }
  | { readonly type: 'orphanAction'; readonly actor: string }
  | { readonly type: 'holdUser' | 'releaseUser'; readonly actor: string }
  | { readonly type: 'pathInfo' | 'storeDelete' | 'gcStep' | 'gcStop' | 'setFlag' | 'corrupt'; readonly actor: string };

/** A step that happened: the next state and the syscalls it made, plus a line for the trace. */
export interface Effect {
  readonly state: ModelState;
  readonly note: string;
  /** Upstream function this step models, `file function`. */
  readonly source: string;
}

export type Step = { readonly kind: 'next'; readonly effect: Effect } | { readonly kind: 'disabled'; readonly reason: string };

/** A recorded state transition, as traces and invariants consume it. */
export interface TraceStep {
  readonly event: ModelEvent;
  readonly note: string;
  readonly source: string;
  readonly syscalls: readonly SyscallRecord[];
  readonly before: readonly TreeEntry[];
  readonly after: readonly TreeEntry[];
}

/** Model state plus the filesystem snapshot: everything needed to continue from here. */
export interface WorldSnapshot {
  readonly model: ModelState;
  readonly fs: FsSnapshot;
}

/** Compiles only while BUILD_PHASES and the BuildPhase union list the same kinds. */
export type PhasesComplete = [(typeof BUILD_PHASES)[number]] extends [BuildPhase['kind']]
  ? [BuildPhase['kind']] extends [(typeof BUILD_PHASES)[number]]
    ? true
    : never
  : never;
export const PHASES_COMPLETE: PhasesComplete = true;
