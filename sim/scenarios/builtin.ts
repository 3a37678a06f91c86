/**
 * The built-in scenarios (≅ TLA+ MC files): settings, derivations and a schedule of actors.
 * Outcomes are never stored here: the model computes them and the tests assert on them.
 */
import type { BuildEventType, Scenario } from '../../model/nix/index.js';
import { DARWIN, GODYN, WITH_STALE } from './common.js';

const CA = { id: 'godyn', name: 'godyn-compile-glob-match', kind: 'ca-floating', program: GODYN } as const;
const ALL_FAULTS = { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, faultTargets: ['a1'] } as const;

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
    explore: { faults: ['interrupt'], maxFaults: 0 },
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
  explore: { faults: ['interrupt'], maxFaults: 0 },
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
  explore: { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, faultTargets: ['b1', 'b2'] },
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
  explore: { faults: ['interrupt'], maxFaults: 0 },
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
  explore: { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1 },
};

export const BUILTIN: readonly Scenario[] = [
  seed487,
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
];

export function builtinScenario(name: string): Scenario | undefined {
  return BUILTIN.find((s) => s.name === name);
}
