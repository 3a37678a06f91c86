/**
 * A fix design: one module that changes the model at named hook points, each of which sits where
 * upstream's code would change (the place a patch edits). A design sees what the upstream function
 * sees at that point (the derivation, its paths, the store's validity, the filesystem as the daemon
 * reads it) and answers with data: a path, some messages, or a `HookResult` the step applies as
 * the daemon. It cannot write the model's state, the fs or another actor directly, so a design
 * changes only what a patch at that point could change. The upstream model runs with no designs;
 * the built-in ones are in model/nix/designs/, one file each, written the same way as yours.
 *
 * docs/designs.md is the tutorial; HOOK_POINTS below says where each point is and what it may do.
 */
import type { FileKind } from '../fs/index.js';
import type { SrcKey } from './citations.js';
import type { DrvKind, KnownOutput } from './types.js';

/** The derivation a hook is called for, as startBuild knows it. */
export interface DesignDrv {
  /** The scenario's id for it (`a1`, `b`, …). */
  readonly id: string;
  readonly name: string;
  readonly kind: DrvKind;
  readonly drvPath: string;
  /** makeFallbackPath(outputName): where a floating CA output is built when no realisation is known. */
  readonly fallbackPath: string;
  /** The output path known before the build (input-addressed); absent for floating CA. */
  readonly knownPath?: string;
}

/** What lstat(2) as the daemon shows of a path. */
export interface PathStat {
  readonly kind: FileKind;
  /** Permission bits and setuid/setgid/sticky (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** What a hook may read: the filesystem as the daemon (root) sees it, and the store database. */
export interface StoreView {
  /** lstat as the daemon; undefined when the path does not exist or cannot be reached. */
  readonly lstat: (path: string) => PathStat | undefined;
  /** readdir as the daemon, sorted; undefined when it fails. */
  readonly readdir: (path: string) => readonly string[] | undefined;
  /** Whether the store database holds the path as valid. */
  readonly isValid: (path: string) => boolean;
  /** Whether some process holds a temp root on the path's hash part. */
  readonly isTempRooted: (path: string) => boolean;
  /** Build users' uids (empty when builds run as the daemon: `build-users-group` empty). */
  readonly buildUserUids: readonly number[];
}

/** A filesystem call the daemon makes for a design, in the order given. One that fails is noted (errno) and the step goes on. */
export type DaemonOp =
  | { readonly op: 'chown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'lchown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'unlink'; readonly path: string }
  | { readonly op: 'rmdir'; readonly path: string }
  | { readonly op: 'mkdir'; readonly path: string; readonly mode: number }
  | { readonly op: 'rename'; readonly from: string; readonly to: string };

/**
 * What a hook asks the step to do, all as the daemon; each point allows some of these fields
 * (HOOK_POINTS, and the hook's own type). The step applies temp roots first, then `ops`, then starts
 * `deletePath`; the note goes into the trace with the design's name after it.
 */
export interface HookResult {
  /** A line for the trace (`[design-name]` is added). */
  readonly note?: string;
  readonly ops?: readonly DaemonOp[];
  /** addTempRoot of each path's hash part; the step waits while the collector is deleting one (gc.cc l.488). */
  readonly tempRoots?: readonly string[];
  /** deletePath(path), one entry per event, with upstream's interrupt points; at most one per step. */
  readonly deletePath?: string;
}

/** What a hook at one point may return: the named fields of a HookResult, and always a note. */
export type Allow<K extends keyof HookResult> = Pick<HookResult, K | 'note'>;

/** startBuild's scratch-path ternary: where the builder's `$out` is. */
export interface ScratchPathAt {
  readonly drv: DesignDrv;
  /** What checkPathValidity found: a known output path and whether it is valid; absent for floating CA without a realisation. */
  readonly known?: KnownOutput;
  /** The path upstream chooses. */
  readonly chosen: string;
  /** Whether the build runs in a chroot (Linux with the sandbox on). */
  readonly sandboxed: boolean;
}

/** startBuild after the scratch path is chosen, before the builder starts. */
export interface AfterScratchAt extends ScratchPathAt {
  /** The store path `$out` names (the chroot's copy of it is inside the chroot). */
  readonly scratch: string;
  /** Where the scratch output really is on the host. */
  readonly scratchOnHost: string;
  /** A deletion upstream starts here itself ("ensure scratch path is ours", for a redirected --check output), if any. */
  readonly upstreamDeletes?: string;
  readonly store: StoreView;
}

/** acquireResources, after the output locks are taken and validity is rechecked, where invalid known outputs are deleted. */
export interface InvalidOutputsAt {
  readonly drv: DesignDrv;
  readonly known?: KnownOutput;
  /** The known invalid output upstream deletes here, if it exists on disk. */
  readonly upstreamDeletes?: string;
  readonly store: StoreView;
}

/** registerOutputs' hash rewrite of a content-addressed output (or a --check's redirected one). */
export interface HashRewriteAt {
  readonly drv: DesignDrv;
  readonly scratch: string;
  readonly finalPath: string;
}

/** registerOutputs, the final path's lock just taken, before the output is moved there (or found valid). */
export interface BeforeMoveAt {
  readonly drv: DesignDrv;
  readonly scratch: string;
  readonly scratchOnHost: string;
  readonly finalPath: string;
  readonly store: StoreView;
}

/** registerOutputs, right after registerValidPaths made the output valid. */
export interface AfterRegisterAt {
  readonly drv: DesignDrv;
  readonly finalPath: string;
  readonly store: StoreView;
}

/** How the build ended, as cleanupBuild's caller knows it. */
export type CleanupOutcome = 'success' | 'builderFailed' | 'outputRejected' | 'sysError' | 'notDeterministic' | 'timedOut' | 'unsafeBuildDir' | 'sandboxRefused' | 'interrupted' | 'cancelled' | 'crashed';

/** The start of cleanupBuild, after the build user's processes are killed, before the temp dir goes. */
export interface CleanupAt {
  readonly drv: DesignDrv;
  readonly outcome: CleanupOutcome;
  readonly known?: KnownOutput;
  /** The scratch path, once startBuild chose one. */
  readonly scratch?: string;
  readonly scratchOnHost?: string;
  /** The build user's uid (0 when builds run as the daemon). */
  readonly uid?: number;
  readonly keepFailed: boolean;
  readonly store: StoreView;
}

/** `nix store delete` / `nix-store --delete`, for an argument: the lines printed before the deletion. */
export interface StoreDeleteMessagesAt {
  readonly command: 'nix store delete' | 'nix-store --delete';
  readonly path: string;
  readonly valid: boolean;
  /** What upstream (and the designs before this one) print. */
  readonly lines: readonly string[];
}

/** The collector (gc or a delete), about to delete a path nothing roots. */
export interface CollectorAt {
  readonly command: 'nix store gc' | 'nix store delete' | 'nix-store --delete';
  readonly path: string;
  readonly store: StoreView;
}

/** The hook points. Every one is optional; a design with none changes nothing. */
export interface Hooks {
  readonly scratchPath?: (at: ScratchPathAt) => string | undefined;
  readonly afterScratchChosen?: (at: AfterScratchAt) => Allow<'ops' | 'tempRoots' | 'deletePath'> | undefined;
  readonly invalidOutputs?: (at: InvalidOutputsAt) => Allow<'ops' | 'deletePath'> | undefined;
  /** `'storeTempDir'`: copy into a fresh store temp dir (as Nix 2.35), not `<scratch>.tmp`. */
  readonly hashRewrite?: (at: HashRewriteAt) => 'storeTempDir' | undefined;
  readonly beforeMove?: (at: BeforeMoveAt) => Allow<'ops' | 'tempRoots'> | undefined;
  readonly afterRegister?: (at: AfterRegisterAt) => Allow<'ops'> | undefined;
  readonly cleanupBuild?: (at: CleanupAt) => Allow<'ops' | 'deletePath'> | undefined;
  readonly storeDeleteMessages?: (at: StoreDeleteMessagesAt) => readonly string[];
  /** true: the collector treats the path as alive and leaves it. */
  readonly collectorKeeps?: (at: CollectorAt) => boolean;
}

export type HookName = keyof Hooks;

export interface Design {
  /** A slug: lower case, digits and '-', as in `--variant` (`my-design`). */
  readonly name: string;
  /** One line: what it changes. */
  readonly summary: string;
  /** The upstream change it stands for: a patch, a commit, a PR, or "not proposed". */
  readonly upstream: string;
  readonly hooks: Hooks;
}

/** Where each hook point sits in upstream code (SRC keys, checked by the citation checker) and what a hook there may do. */
export const HOOK_POINTS: Readonly<Record<HookName, { readonly where: string; readonly src: readonly SrcKey[]; readonly may: string }>> = {
  scratchPath: {
    where: 'startBuild, the scratch-path ternary (derivation-builder.cc l.784), before "Ensure scratch path is ours"',
    src: ['scratchPaths'],
    may: 'return another path for $out (or undefined: upstream\'s choice stands); the first design that returns one wins',
  },
  afterScratchChosen: {
    where: 'startBuild after the scratch path is chosen (derivation-builder.cc l.784-824), where upstream deletes a redirected --check output and a floating CA output `continue`s (l.805-806)',
    src: ['scratchPaths'],
    may: 'temp roots (the step waits while the collector deletes one), daemon fs calls, one deletePath (not while upstream deletes another path here), a note',
  },
  invalidOutputs: {
    where: 'acquireResources, where known outputs that are not valid are deleted (derivation-building-goal.cc l.440-441), after the locks and the validity recheck (l.423)',
    src: ['removeInvalid', 'acquireResources'],
    may: 'daemon fs calls, one deletePath (not while upstream deletes another path here), a note',
  },
  hashRewrite: {
    where: 'registerOutputs rewriteOutput (derivation-builder.cc l.1631): where the hash-rewritten copy is restored (l.1642-1645)',
    src: ['rewriteOutput'],
    may: "return 'storeTempDir' to restore into a fresh store temp dir instead of `<scratch>.tmp`",
  },
  beforeMove: {
    where: "registerOutputs, the final path's lock taken (derivation-builder.cc l.1845-1846), before the move (l.1853-1872)",
    src: ['lockFinal', 'moveOutput'],
    may: 'temp roots (the step waits while the collector deletes one), daemon fs calls, a note',
  },
  afterRegister: {
    where: 'registerOutputs right after registerValidPaths (derivation-builder.cc l.1947-1948)',
    src: ['registerValidPaths'],
    may: 'daemon fs calls, a note',
  },
  cleanupBuild: {
    where: "cleanupBuild's start (derivation-builder.cc l.2002), after the build user's processes are killed, before the temp dir is deleted; not after a daemon crash (nothing runs then)",
    src: ['cleanupBuild'],
    may: 'daemon fs calls, one deletePath, a note',
  },
  storeDeleteMessages: {
    where: "nix store delete's messages for its argument (build2's printMissing, installables.cc l.628), before CmdStoreDelete::run calls the collector (store-delete.cc l.44)",
    src: ['storeDelete'],
    may: 'return the lines to print instead of `lines`',
  },
  collectorKeeps: {
    where: "the collector's decision to delete a path no temp root holds (gc.cc l.642-646), for nix store gc and for a delete (l.698)",
    src: ['collectorTempRootCheck', 'storeDelete'],
    may: 'return true to keep the path (gc skips it; a delete fails "still alive")',
  },
};

/** The hook names, in the order the model reaches them in a build. */
export const HOOK_NAMES = Object.keys(HOOK_POINTS) as readonly HookName[];

/** A named set of designs, as `recommended` is: it expands to its members wherever a name is accepted. */
export interface DesignSet {
  readonly name: string;
  readonly summary: string;
  readonly members: readonly string[];
}

/** A design broke its contract (a hook returned what its point does not allow): the design's fault, not the model's. */
export class DesignError extends Error {}
