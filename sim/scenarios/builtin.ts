/**
 * The built-in scenarios (≅ TLA+ MC files): settings, derivations and a schedule of actors.
 * Outcomes are never stored here: the model computes them and the tests assert on them.
 */
import type { ActorSpec, BuildEventType, Scenario } from '../../model/nix/index.js';
import { autoGcDuringCaBuildDarwin, autoGcDuringCaBuildLinux } from './auto-gc.js';
import { cgroupsCrashRetry, cgroupsInterrupted, cgroupsSingleUser } from './cgroups.js';
import { DARWIN, GODYN, WITH_STALE } from './common.js';

const CA = { id: 'godyn', name: 'godyn-compile-glob-match', kind: 'ca-floating', program: GODYN } as const;
/** Every fault model, one fault per run: what docs/verification.md explores every scenario with. */
const EVERY_FAULT = { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1 } as const;
const ALL_FAULTS = { ...EVERY_FAULT, faultTargets: ['a1'] } as const;
/** The registerOutputs event of multi-output-ca-interrupted before which `dev` is registered and `out` is not. */
const MULTI_CA_INTERRUPT_AT = 18;

/** The retry sequence of the report: interrupted attempt, retry while another build holds user 1, path-info, delete, retry. */
function seedActors(drv: string) {
  return [
    { id: 'a1', kind: 'build', drv, fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
    { id: 'other', kind: 'holdUser', after: ['a1'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv, after: ['other'] },
    { id: 'info', kind: 'pathInfo', target: { drv, which: 'scratch' }, after: ['a2'] },
    { id: 'delete', kind: 'storeDelete', command: 'nix store delete', target: { drv, which: 'scratch' }, after: ['info'] },
    { id: 'a3', kind: 'build', drv, after: ['delete'] },
  ] as const;
}

export const seed487: Scenario = {
  name: 'seed-487',
  doc: 'darwin, sandbox off, 4 build users: a floating CA build interrupted after its first write; the retry, drawn as another build user, fails EACCES; path-info says invalid; nix store delete removes it; the next retry succeeds.',
  settings: DARWIN,
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

export const keepFailedRetry: Scenario = {
  name: 'keep-failed-retry',
  doc: 'The seed schedule with keep-failed on: a failed attempt keeps its build directory, and cleanup-deletes-scratch (whose patch deletes nothing under keep-failed) keeps its scratch output too, for the retry to meet.',
  settings: { ...DARWIN, keepFailed: true },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

export const iaTwin: Scenario = {
  name: 'ia-twin',
  doc: 'The seed schedule with an input-addressed derivation: "removing invalid path" deletes the leftover, so the retry as another user succeeds.',
  settings: DARWIN,
  derivations: [{ ...CA, id: 'ia', name: 'godyn-ia', kind: 'input-addressed' }],
  actors: seedActors('ia'),
  explore: ALL_FAULTS,
};

export const linuxSandbox: Scenario = {
  name: 'linux-sandbox',
  doc: 'The seed schedule on Linux with sandbox = true: the scratch output lives in <drv>.chroot, deleted before and after every build.',
  settings: { ...DARWIN, platform: 'linux', sandbox: true },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

function staleActors(drv: string) {
  return [
    { id: 'flag', kind: 'setFlag', flag: 'attempt1' },
    { id: 'a1', kind: 'build', drv, after: ['flag'], fault: { kind: 'interrupt', before: 'builderAction', nth: 3 } },
    { id: 'unflag', kind: 'clearFlag', flag: 'attempt1', after: ['a1'] },
    { id: 'a2', kind: 'build', drv, after: ['unflag'] },
  ] as const;
}

const STALE_CA = { id: 'godyn', name: 'godyn-stale', kind: 'ca-floating', program: WITH_STALE } as const;

export const sameUserRetry: Scenario = {
  name: 'same-user-retry',
  doc: 'Interrupted after writing a file only attempt 1 writes; the retry gets the same build user and succeeds, but the stale file ends up in the registered output.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [STALE_CA],
  actors: staleActors('godyn'),
  explore: ALL_FAULTS,
};

export const singleUser: Scenario = {
  name: 'single-user',
  doc: 'No build users (build-users-group empty): the builder runs as the daemon, the retry succeeds on top of the leftover and the stale file leaks.',
  settings: { ...DARWIN, platform: 'linux', buildUsers: 0 },
  derivations: [STALE_CA],
  actors: staleActors('godyn'),
  explore: ALL_FAULTS,
};

export const interruptDuringRegistration: Scenario = {
  name: 'interrupt-during-registration',
  doc: 'Interrupted once registerOutputs has canonicalised the scratch dir (root-owned, 0555/0444) but before the hash rewrite: the retry fails EACCES even as the same user.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'interrupt', before: 'registerOutputs', nth: 4 } },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: ALL_FAULTS,
};

/** A floating CA build with `nix store gc` placed at one point of it (before its `nth` event of type `before`). */
function gcDuringBuild(name: string, doc: string, before: BuildEventType, nth: number): Scenario {
  return {
    name,
    doc,
    settings: { ...DARWIN, platform: 'linux' },
    derivations: [CA],
    actors: [
      { id: 'a1', kind: 'build', drv: 'godyn' },
      { id: 'gc', kind: 'gc', during: { actor: 'a1', before, nth } },
    ],
    explore: EVERY_FAULT,
  };
}

export const concurrentGc = gcDuringBuild(
  'concurrent-gc',
  'nix store gc runs while a floating CA build is between two writes: the scratch path has no temp root, so GC deletes the in-progress output.',
  'builderAction',
  2,
);

/** GC runs in the window between moving a floating CA output to its final path and registering it. */
export const gcDuringRegistration = gcDuringBuild(
  'gc-during-registration',
  'nix store gc runs after registerOutputs has moved a floating CA output to its final path and before registerValidPaths: the final path is invalid and not a temp root, so GC deletes it, and the build then registers a path that is gone.',
  'registerOutputs',
  13,
);

export const darwinDaemonCrash: Scenario = {
  name: 'darwin-daemon-crash',
  doc: 'The daemon worker is killed mid-build on darwin: nothing is cleaned up, the lock is dropped, and the builder keeps running as its uid while the retry starts; the retry takes that uid and its prepareUser kills the stray builder, then builds on top of what it left.',
  settings: DARWIN,
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth: 1 } },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: ALL_FAULTS,
};

export const hostileScratch: Scenario = {
  name: 'hostile-scratch-symlink',
  doc: 'A builder of another derivation, running concurrently as another build user, plants a symlink at the predictable scratch path of a floating CA output before it builds.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [
    CA,
    {
      id: 'evil',
      name: 'evil',
      kind: 'input-addressed',
      program: [
        { op: 'plantSymlink', drv: 'godyn', target: '/nix/var/nix/builds' },
        { op: 'mkdirP', path: '' },
      ],
    },
  ],
  actors: [
    { id: 'evil', kind: 'build', drv: 'evil' },
    { id: 'a1', kind: 'build', drv: 'godyn', after: ['evil'] },
  ],
  explore: EVERY_FAULT,
};

/** Two derivations whose floating CA outputs have the same content, hence the same final path. */
export const duplicateCaOutput: Scenario = {
  name: 'duplicate-ca-output',
  doc: 'Two .drvs produce the same CA output: the second finds the final path valid and (2.34.8) deletes its scratch copy, (2.8) keeps it canonicalised root 0555; after the output is deleted, rebuilding the second fails EACCES on 2.8.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [
    { id: 'e1', name: 'dup', kind: 'ca-floating', program: GODYN },
    { id: 'e2', name: 'dup', kind: 'ca-floating', program: [...GODYN, { op: 'writeIfFlag', flag: 'never', path: 'x', content: 'x' }] },
  ],
  actors: [
    { id: 'b1', kind: 'build', drv: 'e1' },
    { id: 'b2', kind: 'build', drv: 'e2', after: ['b1'] },
    { id: 'del', kind: 'storeDelete', command: 'nix-store --delete', target: { drv: 'e1', which: 'final' }, after: ['b2'] },
    { id: 'b3', kind: 'build', drv: 'e2', after: ['del'] },
  ],
  explore: { ...EVERY_FAULT, faultTargets: ['b1', 'b2'] },
};

/** Single-user: every builder runs as the daemon, so one derivation's builder can fill another's scratch path. */
export const hostilePlantSingleUser: Scenario = {
  name: 'hostile-plant-single-user',
  doc: 'No build users: a builder of another derivation, running as the same uid, plants a file at the predictable scratch path of a floating CA output; upstream registers it as part of that output.',
  settings: { ...DARWIN, platform: 'linux', buildUsers: 0 },
  derivations: [
    CA,
    {
      id: 'evil',
      name: 'evil',
      kind: 'input-addressed',
      program: [
        { op: 'plant', drv: 'godyn', path: 'backdoor', content: 'planted' },
        { op: 'mkdirP', path: '' },
      ],
    },
  ],
  actors: [
    { id: 'evil', kind: 'build', drv: 'evil' },
    { id: 'a1', kind: 'build', drv: 'godyn', after: ['evil'] },
  ],
  explore: EVERY_FAULT,
};

/** The plant of hostile-plant-single-user with a sandbox: each builder sees its own chroot's store. */
export const hostilePlantSandbox: Scenario = {
  name: 'hostile-plant-sandbox',
  doc: "Linux, sandbox on, 4 build users: another derivation's builder, started just before a floating CA build's first command, plants a file at that build's scratch path. In its own chroot that path is in its own chroot's store, so the plant never reaches the victim's 0700 chroot, and the victim builds clean.",
  settings: { ...DARWIN, platform: 'linux', sandbox: true },
  derivations: [
    CA,
    {
      id: 'evil',
      name: 'evil',
      kind: 'input-addressed',
      program: [
        { op: 'plant', drv: 'godyn', path: 'backdoor', content: 'planted' },
        { op: 'mkdirP', path: '' },
      ],
    },
  ],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'evil', kind: 'build', drv: 'evil', during: { actor: 'a1', before: 'builderAction', nth: 0 } },
  ],
  explore: EVERY_FAULT,
};

/** Two builds of one floating CA derivation at once: the output lock serialises them. */
export const concurrentSameDrv: Scenario = {
  name: 'concurrent-same-drv',
  doc: 'A second build of the same floating CA derivation starts while the first is building: it waits for <drv>.drv.out.lock, then finds the output valid ("someone beat us to it").',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'a2', kind: 'build', drv: 'godyn', during: { actor: 'a1', before: 'builderAction', nth: 1 } },
  ],
  explore: EVERY_FAULT,
};

/** nix-store --delete of a valid output while a rebuild of its derivation starts: both go through the collector's handshake. */
export const deleteRacesRebuild: Scenario = {
  name: 'delete-races-rebuild',
  doc: 'nix-store --delete of a built input-addressed output races a rebuild of the same derivation: while the collector deletes the path, the rebuild\'s addTempRoot waits for it; once the rebuild holds its temp root, the delete says the path is still alive.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [{ ...CA, id: 'ia', name: 'godyn-ia', kind: 'input-addressed' }],
  actors: [
    { id: 'b1', kind: 'build', drv: 'ia' },
    { id: 'del', kind: 'storeDelete', command: 'nix-store --delete', target: { drv: 'ia', which: 'final' }, after: ['b1'] },
    { id: 'b2', kind: 'build', drv: 'ia', after: ['b1'] },
  ],
  explore: { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, faultTargets: ['b2'] },
};

/**
 * A crashed build's stray process and a retry that draws a lower build user: another build holds
 * the first user while the crashed build runs as the second, and lets it go before the retry starts.
 */
function lowerUserActors(drv: string) {
  return [
    { id: 'other', kind: 'holdUser', releaseAfter: ['a1'] },
    { id: 'a1', kind: 'build', drv, after: ['other'], fault: { kind: 'crash', before: 'builderAction', nth: 0 } },
    { id: 'a2', kind: 'build', drv, after: ['a1'], afterUserRelease: ['other'] },
  ] as const;
}

/** Finding: on macOS one daemon crash suffices for a surviving builder to write into a later build's $out. */
export const darwinOrphanLowerUser: Scenario = {
  name: 'darwin-orphan-lower-user',
  doc: "darwin, 4 build users: another build holds _nixbld1, so a floating CA build runs as _nixbld2; its daemon worker crashes and the builder keeps running as _nixbld2. The other build lets _nixbld1 go and the retry takes it (first free), so nobody kills _nixbld2's builder, which keeps writing at the retry's $out.",
  settings: DARWIN,
  derivations: [CA],
  actors: lowerUserActors('godyn'),
  explore: ALL_FAULTS,
};

/** The same on Linux without a sandbox: the builder dies with the daemon, a process it started does not. */
export const linuxOrphanSubprocess: Scenario = {
  name: 'linux-orphan-subprocess',
  doc: "Linux, sandbox off, 4 build users: the lower-user schedule of darwin-orphan-lower-user with a builder that runs its commands in a process it started (as make does). A daemon crash kills the builder (PR_SET_PDEATHSIG) but not that process, which keeps writing as nixbld2 at the retry's $out while the retry runs as nixbld1.",
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [{ ...CA, name: 'godyn-make', program: [{ op: 'spawn' }, ...GODYN] }],
  actors: lowerUserActors('godyn'),
  explore: ALL_FAULTS,
};

/** A co-tenant builder that plants at a floating CA output's scratch path, three times, while it builds. */
function replant(settings: Scenario['settings'], name: string, doc: string): Scenario {
  return {
    name,
    doc,
    settings,
    derivations: [
      CA,
      {
        id: 'evil',
        name: 'evil',
        kind: 'input-addressed',
        program: [
          { op: 'plant', drv: 'godyn', path: 'backdoor', content: 'planted' },
          { op: 'loop', to: 0, times: 2 },
          { op: 'mkdirP', path: '' },
        ],
      },
    ],
    actors: [
      { id: 'evil', kind: 'build', drv: 'evil' },
      // the victim starts when the hostile builder is about to plant (a marker placed there pauses it one step)
      { id: 'mark', kind: 'setFlag', flag: 'planting', during: { actor: 'evil', before: 'builderAction', nth: 0 } },
      { id: 'a1', kind: 'build', drv: 'godyn', after: ['mark'] },
    ],
    explore: EVERY_FAULT,
  };
}

/** Finding: without a sandbox, a plant made during the build beats 0001's delete (multi-user: denial of service). */
export const hostileReplant = replant(
  { ...DARWIN, platform: 'linux' },
  'hostile-replant',
  "Linux, sandbox off, 4 build users: another derivation's builder, running alongside a floating CA build as another build user, plants a file at its scratch path three times. The series deletes whatever is there before the builder starts, but a plant between that delete and the victim's mkdir -p leaves a directory the victim cannot write into: the build fails.",
);

/** Finding: single-user, the same plant is written into the victim's output. */
export const hostileReplantSingleUser = replant(
  { ...DARWIN, platform: 'linux', buildUsers: 0 },
  'hostile-replant-single-user',
  "No build users, sandbox off: hostile-replant with every builder running as the daemon's uid. A plant between the series' delete and the victim's mkdir -p is written into the victim's output, which is registered with the planted file in it.",
);

const IA = { ...CA, id: 'ia', name: 'godyn-ia', kind: 'input-addressed' } as const;

/**
 * `--check` of a valid input-addressed output builds at the hash-rewrite fallback path
 * makeFallbackPath(outPath) (startBuild l.797), which nothing roots against GC either.
 */
export const checkConcurrentGc: Scenario = {
  name: 'check-concurrent-gc',
  doc: 'nix-build --check of a valid input-addressed output while nix store gc runs: the check builds at the hash-rewrite fallback path, which is invalid and not a temp root, so GC deletes the output the builder is writing.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [IA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'ia' },
    { id: 'c1', kind: 'build', drv: 'ia', mode: 'check', after: ['a1'] },
    { id: 'gc', kind: 'gc', during: { actor: 'c1', before: 'builderAction', nth: 2 } },
  ],
  explore: EVERY_FAULT,
};

/**
 * An interrupted `--check` of a floating CA output leaves its scratch output behind; after the
 * output is deleted, the next build runs as another build user. Where the check built decides
 * whether that build meets the leftover: upstream uses makeFallbackPath(outPath), NixOS/nix#16465
 * the first build's makeFallbackPath(outputName).
 */
export const checkInterruptedThenDelete: Scenario = {
  name: 'check-interrupted-then-delete',
  doc: 'A floating CA output is built, then nix-build --check of it is interrupted after its first write; nix store delete removes the output; the rebuild, drawn as another build user, must not meet what the check left.',
  settings: { ...DARWIN, platform: 'linux' },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'c1', kind: 'build', drv: 'godyn', mode: 'check', after: ['a1'], fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
    { id: 'delete', kind: 'storeDelete', command: 'nix store delete', target: { drv: 'godyn', which: 'final' }, after: ['c1'] },
    { id: 'other', kind: 'holdUser', after: ['delete'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['other'] },
  ],
  explore: { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, faultTargets: ['c1'] },
};

/**
 * The seed schedule with no user in it: `timeout` (build-timeout) expires while the builder runs,
 * the worker kills it and the goal fails with TimedOut. Its cleanup is cleanupOnDestruction's,
 * which never touches a floating CA output's scratch path, so the retry meets the leftover.
 */
export const timeoutRetry: Scenario = {
  name: 'timeout-retry',
  doc: 'Linux, sandbox off, 4 build users, `timeout` set: a floating CA build times out after its first write (the worker kills the builder, the goal fails with TimedOut, no Ctrl-C anywhere); the retry, drawn as another build user, fails EACCES on the leftover; nix store delete removes it; the next retry succeeds.',
  settings: { ...DARWIN, platform: 'linux', buildDeadline: 'timeout' },
  derivations: [CA],
  actors: seedActors('godyn').map((a) => (a.id === 'a1' ? { ...a, fault: { kind: 'timeout', before: 'builderAction', nth: 2 } } : a)),
  explore: { faults: ['timeout'], maxFaults: 1 },
};

/**
 * build-dir world-writable (as a build-dir below /tmp would be): with build users startBuild
 * refuses every build after prepareUser and before its temp dir (checkNotWorldWritable).
 */
export const buildDirWorldWritable: Scenario = {
  name: 'build-dir-world-writable',
  doc: 'Linux, sandbox off, 4 build users, build-dir 1777: startBuild takes a build user, kills its stray processes, then refuses the build (build-dir is world-writable) before making a temp dir or touching the scratch path; the retry is refused the same way. Nothing is left behind, and no variant can heal it: NoWedge fails everywhere because every build is refused.',
  settings: { ...DARWIN, platform: 'linux', buildDirMode: '1777' },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: EVERY_FAULT,
};

/** The same build-dir without build users: the check runs only `if (buildUser)`, so builds go on. */
export const buildDirSingleUser: Scenario = {
  name: 'build-dir-single-user',
  doc: 'Linux, sandbox off, no build users, build-dir 1777: startBuild checks build-dir only for a build with a build user, so the build goes on in a world-writable build-dir; an interrupted attempt and its retry then behave as in single-user.',
  settings: { ...DARWIN, platform: 'linux', buildUsers: 0, buildDirMode: '1777' },
  derivations: [STALE_CA],
  actors: staleActors('godyn'),
  explore: EVERY_FAULT,
};

/**
 * `sandbox = relaxed` on Linux with a `__noChroot` floating CA derivation: makeDerivationBuilder
 * gives it no sandbox (derivation-builder.cc l.2106-2108), so it builds at its scratch path in the
 * host store as on darwin, and the seed schedule wedges the same way.
 */
export const relaxedNoChroot: Scenario = {
  name: 'relaxed-nochroot',
  doc: 'Linux, sandbox = relaxed, 4 build users, a floating CA derivation with __noChroot: no chroot, so the seed schedule runs as on darwin: the interrupted attempt strands its scratch dir, the retry as another build user fails EACCES, nix store delete removes it, the next retry succeeds.',
  settings: { ...DARWIN, platform: 'linux', sandbox: 'relaxed' },
  derivations: [{ ...CA, noChroot: true }],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

/** `sandbox = true`, but the daemon cannot make mount and PID namespaces (a container): sandbox-fallback builds unsandboxed. */
export const sandboxFallback: Scenario = {
  name: 'sandbox-fallback',
  doc: 'Linux, sandbox = true, but the kernel gives the daemon no mount and PID namespaces (as in many containers) and sandbox-fallback is on (the default): every build runs unsandboxed, so the seed schedule wedges as on darwin.',
  settings: { ...DARWIN, platform: 'linux', sandbox: true, mountAndPidNamespaces: false },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

/** The same kernel with sandbox-fallback = false: makeDerivationBuilder refuses every build (l.2120-2123). */
export const sandboxUnavailable: Scenario = {
  name: 'sandbox-unavailable',
  doc: 'Linux, sandbox = true, no mount and PID namespaces, sandbox-fallback = false: every build fails before it takes a build user ("this system does not support the kernel namespaces that are required for sandboxing"); nothing is written, so nothing is stranded, and no variant can make a build succeed.',
  settings: { ...DARWIN, platform: 'linux', sandbox: true, mountAndPidNamespaces: false, sandboxFallback: false },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: EVERY_FAULT,
};

/** A diverted store (real store dir differs from the logical one) with sandbox = false: Linux sandboxes it anyway (l.2111-2113). */
export const divertedStore: Scenario = {
  name: 'diverted-store',
  doc: 'Linux, sandbox = false, but the store is diverted (its real directory is not /nix/store, as with --store /some/root): makeDerivationBuilder sandboxes every build regardless, so the seed schedule builds in <drv>.chroot and does not wedge, as linux-sandbox.',
  settings: { ...DARWIN, platform: 'linux', divertedStore: true },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

/**
 * auto-allocate-uids instead of named build users: each slot of userpool2 is a uid of its own, in
 * group nixbld outside a sandbox, so an unsandboxed Linux daemon strands the scratch output as
 * darwin's build users do.
 */
export const autoAllocateUids: Scenario = {
  name: 'auto-allocate-uids',
  doc: 'Linux, sandbox off, auto-allocate-uids with 4 uid slots: the seed schedule. The builder runs as uid 872415232 (group nixbld) and writes straight into /nix/store; the retry, given slot 1 (uid 872480768) while slot 0 is held, fails EACCES on the leftover exactly as with named build users.',
  settings: { ...DARWIN, platform: 'linux', autoAllocateUids: true },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

/** The same in a sandbox: the scratch output lives in the chroot, whose group is the slot's own uid. */
export const autoAllocateUidsSandbox: Scenario = {
  name: 'auto-allocate-uids-sandbox',
  doc: 'Linux, sandbox on, auto-allocate-uids with 4 uid slots: the seed schedule. Each build gets a fresh chroot owned root:<its uid> (its user namespace maps the group to the uid), so the retry in another slot builds clean.',
  settings: { ...DARWIN, platform: 'linux', sandbox: true, autoAllocateUids: true },
  derivations: [CA],
  actors: seedActors('godyn'),
  explore: ALL_FAULTS,
};

/**
 * Without ca-derivations: with it (the default), the output's realisation makes it valid without a
 * hash check and --repair rebuilds nothing (derivation-building-goal.cc checkPathValidity).
 */
const REPAIR_SETTINGS = { ...DARWIN, platform: 'linux', caDerivations: false } as const;

/** A valid input-addressed output, then the same output damaged on disk as root (its registration untouched). */
const corruptedIa: readonly ActorSpec[] = [
  { id: 'a1', kind: 'build', drv: 'ia' },
  { id: 'damage', kind: 'corrupt', target: { drv: 'ia', which: 'final' }, after: ['a1'] },
];

/**
 * nix-build --repair of a corrupt input-addressed output, with a fault anywhere in it, then the same
 * repair again. The first deletes the corrupt copy before it builds (the path stays registered
 * valid), builds at the hash-rewrite fallback path and moves the result in with replaceValidPath.
 */
export const repairInterrupted: Scenario = {
  name: 'repair-interrupted',
  doc: 'Without ca-derivations (with it, a realisation makes the output valid unhashed and nothing is rebuilt): a valid input-addressed output is corrupted on disk; nix-build --repair deletes the corrupt copy (it stays registered valid), rebuilds at the hash-rewrite fallback path and moves the result over the valid path. A fault may land anywhere in that repair; the same repair is then run again.',
  settings: REPAIR_SETTINGS,
  derivations: [IA],
  actors: [...corruptedIa, { id: 'r1', kind: 'build', drv: 'ia', mode: 'repair', after: ['damage'] }, { id: 'r2', kind: 'build', drv: 'ia', mode: 'repair', after: ['r1'] }],
  explore: { ...EVERY_FAULT, faultTargets: ['r1'] },
};

/** As check-concurrent-gc, for a repair: its fallback path is no temp root either. */
export const repairConcurrentGc: Scenario = {
  name: 'repair-concurrent-gc',
  doc: 'Without ca-derivations: nix-build --repair of a corrupt input-addressed output while nix store gc runs: the repair builds at the hash-rewrite fallback path, which is invalid and not a temp root, so GC deletes the output the builder is writing.',
  settings: REPAIR_SETTINGS,
  derivations: [IA],
  actors: [...corruptedIa, { id: 'r1', kind: 'build', drv: 'ia', mode: 'repair', after: ['damage'] }, { id: 'gc', kind: 'gc', during: { actor: 'r1', before: 'builderAction', nth: 2 } }],
  explore: { ...EVERY_FAULT, faultTargets: ['r1'] },
};

/**
 * An interrupted repair leaves its fallback path behind and the valid path missing on disk; the
 * retry, drawn as another build user, deletes that fallback path first (as root, "Ensure scratch
 * path is ours") and repairs the output.
 */
export const repairRetryOtherUser: Scenario = {
  name: 'repair-retry-other-user',
  doc: 'Without ca-derivations: nix-build --repair of a corrupt input-addressed output is interrupted after its first write, leaving its fallback path and the valid path missing on disk; the retry --repair, drawn as another build user, must clear the leftover and repair the output.',
  settings: REPAIR_SETTINGS,
  derivations: [IA],
  actors: [
    ...corruptedIa,
    { id: 'r1', kind: 'build', drv: 'ia', mode: 'repair', after: ['damage'], fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
    // is the output still valid, and is anything at its path?
    { id: 'missing', kind: 'pathInfo', target: { drv: 'ia', which: 'final' }, after: ['r1'] },
    { id: 'other', kind: 'holdUser', after: ['missing'], releaseAfter: ['r2'] },
    { id: 'r2', kind: 'build', drv: 'ia', mode: 'repair', after: ['other'] },
  ],
  explore: { ...EVERY_FAULT, faultTargets: ['r1'] },
};

/** A builder writing two outputs: $out (a library) and $dev (its header). */
const TWO_OUTPUTS = [
  { op: 'mkdirP', path: '' },
  { op: 'writeFile', path: 'lib.a', content: 'archive' },
  { op: 'mkdirP', path: 'include', output: 'dev' },
  { op: 'writeFile', path: 'include/lib.h', content: 'header', output: 'dev' },
] as const;

/**
 * A floating CA derivation with two outputs. registerOutputs (derivation-builder.cc) registers a
 * content-addressed output valid inside its second loop, one output at a time (l.1947-1948), and
 * the realisations only after the loop (l.1983-1994); outputs without references to each other
 * are taken in name order, `dev` before `out`. So an interrupt at `out`'s hash rewrite (a
 * checkInterrupt in dumpPath) leaves `dev` valid with no realisation and `out` unregistered at its
 * fallback path. The retry, drawn as another build user, finds neither output realised
 * (derivation-building-goal.cc checkPathValidity) and builds both again at the same fallback paths.
 */
export const multiOutputCaInterrupted: Scenario = {
  name: 'multi-output-ca-interrupted',
  doc: 'darwin, sandbox off: a floating CA derivation with outputs dev and out is interrupted between the registration of dev (registered valid at once, as a content-addressed output is) and that of out; the retry, drawn as another build user, builds both again.',
  settings: DARWIN,
  derivations: [{ id: 'lib', name: 'lib', kind: 'ca-floating', outputs: ['out', 'dev'], program: TWO_OUTPUTS }],
  actors: [
    { id: 'a1', kind: 'build', drv: 'lib', fault: { kind: 'interrupt', before: 'registerOutputs', nth: MULTI_CA_INTERRUPT_AT } },
    { id: 'info', kind: 'pathInfo', target: { drv: 'lib', which: 'scratch', output: 'out' }, after: ['a1'] },
    { id: 'other', kind: 'holdUser', after: ['info'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv: 'lib', after: ['other'] },
  ],
  explore: ALL_FAULTS,
};

/** Two outputs, `dev` linking to `out` (as a `.pc` file names its library): out is `dev`'s reference. */
const DEV_REFERENCES_OUT = [
  { op: 'mkdirP', path: '' },
  { op: 'writeFile', path: 'lib.a', content: 'archive' },
  { op: 'mkdirP', path: '', output: 'dev' },
  { op: 'symlink', target: { drv: 'lib', which: 'scratch', output: 'out' }, path: 'lib', output: 'dev' },
] as const;

/** The registerOutputs event of multi-output-ca-references before which `out` is registered and `dev` is not. */
const MULTI_CA_REFERENCES_AT = 16;

/**
 * multi-output-ca-interrupted with a reference between the outputs: `dev` links to `out`'s scratch
 * path, so registerOutputs' first loop finds `out` among dev's references (scanForReferences,
 * derivation-builder.cc l.1535-1541) and its topological sort puts `out` first (l.1554-1587). `out`
 * is registered valid in the loop; `dev` is then rewritten so its link names `out`'s final path.
 * The interrupt lands between the two: `out` valid with no realisation, `dev` unregistered at its
 * fallback path, the other way round from the scenario without the reference.
 */
export const multiOutputCaReferences: Scenario = {
  name: 'multi-output-ca-references',
  doc: "darwin, sandbox off: a floating CA derivation whose dev output links to its out output is interrupted between the registration of out (first: dev references it) and that of dev; the retry, drawn as another build user, finds dev's root-owned scratch path and fails EACCES at its link (upstream); where it builds, dev's link names out's final path.",
  settings: DARWIN,
  derivations: [{ id: 'lib', name: 'lib', kind: 'ca-floating', outputs: ['out', 'dev'], program: DEV_REFERENCES_OUT }],
  actors: [
    { id: 'a1', kind: 'build', drv: 'lib', fault: { kind: 'interrupt', before: 'registerOutputs', nth: MULTI_CA_REFERENCES_AT } },
    { id: 'info', kind: 'pathInfo', target: { drv: 'lib', which: 'scratch', output: 'dev' }, after: ['a1'] },
    { id: 'other', kind: 'holdUser', after: ['info'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv: 'lib', after: ['other'] },
  ],
  explore: ALL_FAULTS,
};

/**
 * An input-addressed derivation with two outputs, one valid and one not: `nix store delete` takes
 * `dev` alone (nothing roots it). The next build locks both outputs (derivation-building-goal.cc
 * acquireResources, l.390-401), finds `out` valid and `dev` not, so it builds both
 * (l.423-425): `out` at its hash-rewrite fallback path (derivation-builder.cc startBuild, l.797,
 * "Ensure scratch path is ours", l.815), `dev` at its own path; registerOutputs skips `out` as
 * AlreadyRegistered (l.1479-1482) and registers `dev`; cleanupBuild(true) deletes the fallback path
 * of `out` (l.2004-2008), and an interrupted or failed build leaves it.
 */
export const multiOutputIaPartial: Scenario = {
  name: 'multi-output-ia-partial',
  doc: 'darwin, sandbox off: an input-addressed derivation with outputs out and dev is built; nix store delete removes dev alone; the rebuild, as another build user, builds out again at a fallback path (it is valid) and dev at its own path.',
  settings: DARWIN,
  derivations: [{ id: 'lib', name: 'lib', kind: 'input-addressed', outputs: ['out', 'dev'], program: TWO_OUTPUTS }],
  actors: [
    { id: 'a1', kind: 'build', drv: 'lib' },
    { id: 'delete', kind: 'storeDelete', command: 'nix store delete', target: { drv: 'lib', which: 'final', output: 'dev' }, after: ['a1'] },
    { id: 'other', kind: 'holdUser', after: ['delete'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv: 'lib', after: ['other'] },
  ],
  explore: { ...EVERY_FAULT, faultTargets: ['a2'] },
};

/** The other derivation of the invocation: an input-addressed one whose builder makes its output. */
const SIBLING = { id: 'sibling', name: 'sibling', kind: 'input-addressed', program: [{ op: 'mkdirP', path: '' }] } as const;

/**
 * keep-going = false: `nix-build godyn.drv sibling.drv`, one client. `sibling` joins between
 * godyn's first and second write (`during`, as if it had waited for its inputs until then) and its
 * builder fails; godyn's goal, suspended while its builder runs, is cancelled and its builder
 * destroyed (cleanupOnDestruction), as an interrupted one is. No Ctrl-C anywhere. The retries are
 * seed-487's. Exploration makes the sibling's failure the free fault: it may fail at any point of
 * its build or not at all, and godyn may be cancelled at any suspension point after it.
 */
export const keepGoingCancel: Scenario = {
  name: 'keep-going-cancel',
  doc: 'darwin, sandbox off, 4 build users: one nix-build of a floating CA derivation and of another whose builder fails (keep-going = false, the default); the failure cancels the floating CA build after its first write, and its builder is destroyed as an interrupted one is; the retry, drawn as another build user, fails EACCES; path-info says invalid; nix store delete removes it; the next retry succeeds.',
  settings: DARWIN,
  derivations: [CA, SIBLING],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn' },
    { id: 'sib', kind: 'build', drv: 'sibling', during: { actor: 'a1', before: 'builderAction', nth: 2 }, fault: { kind: 'builderFailure', before: 'builderAction', nth: 0 } },
    ...seedActors('godyn').filter((a) => a.id !== 'a1'),
  ],
  invocations: [['a1', 'sib']],
  explore: { faults: ['builderFailure'], maxFaults: 1, faultTargets: ['sib'] },
};

export const BUILTIN: readonly Scenario[] = [
  seed487,
  keepFailedRetry,
  iaTwin,
  linuxSandbox,
  sameUserRetry,
  singleUser,
  interruptDuringRegistration,
  concurrentGc,
  gcDuringRegistration,
  darwinDaemonCrash,
  hostileScratch,
  hostilePlantSingleUser,
  duplicateCaOutput,
  concurrentSameDrv,
  deleteRacesRebuild,
  hostilePlantSandbox,
  darwinOrphanLowerUser,
  linuxOrphanSubprocess,
  hostileReplant,
  hostileReplantSingleUser,
  checkConcurrentGc,
  checkInterruptedThenDelete,
  timeoutRetry,
  buildDirWorldWritable,
  buildDirSingleUser,
  relaxedNoChroot,
  sandboxFallback,
  sandboxUnavailable,
  divertedStore,
  autoAllocateUids,
  autoAllocateUidsSandbox,
  repairInterrupted,
  repairConcurrentGc,
  repairRetryOtherUser,
  autoGcDuringCaBuildLinux,
  autoGcDuringCaBuildDarwin,
  multiOutputCaInterrupted,
  multiOutputCaReferences,
  multiOutputIaPartial,
  cgroupsCrashRetry,
  cgroupsInterrupted,
  cgroupsSingleUser,
  keepGoingCancel,
];

export function builtinScenario(name: string): Scenario | undefined {
  return BUILTIN.find((s) => s.name === name);
}
