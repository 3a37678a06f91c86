/**
 * The scenarios the real-daemon oracle runs (`outpath repro --validation`): every built-in
 * scenario a real daemon can run in order (each one's own scripted run, sequentialised, or with a
 * build held at a gate while another actor runs), plus recovery-command and keep-failed variants
 * of the seed schedule, on Linux, with expectations for upstream and for the fixes the patched
 * daemons implement.
 *
 * Two Nix versions: 2.34.8, the one the model is pinned to (Debian sid's nix-bin, the primary
 * oracle), and 2.8.0 (Debian bookworm's nix-bin, through the model's `nix-2.8` personality, the
 * second oracle). The built-ins left out, and why, are in {@link NOT_ON_A_REAL_DAEMON}.
 */
import type { Scenario, Settings } from '../../model/nix/index.js';
import {
  concurrentGc,
  checkInterruptedThenDelete,
  concurrentSameDrv,
  repairInterrupted,
  repairRetryOtherUser,
  repairConcurrentGc,
  checkConcurrentGc,
  deleteRacesRebuild,
  duplicateCaOutput,
  iaTwin,
  keepFailedRetry,
  linuxSandbox,
  sameUserRetry,
  seed487,
  singleUser,
  timeoutRetry,
  buildDirWorldWritable,
  buildDirSingleUser,
  relaxedNoChroot,
  autoAllocateUids,
  autoAllocateUidsSandbox,
  sandboxFallback,
  sandboxUnavailable,
  divertedStore,
  keepGoingCancel,
  multiOutputIaPartial,
} from '../scenarios/builtin.js';
import { autoGcDuringCaBuildLinux } from '../scenarios/auto-gc.js';
import { GODYN } from '../scenarios/common.js';
import type { Converted, PlanOptions } from './from-trace.js';
import { planFromEvents, scriptedEvents } from './from-trace.js';
import type { DeleteCommand, ReproPlan } from './plan.js';

/** The variant the 2.8 backport implements (patches/backport/nix-2.8); also the 2.34.8 series without d027dc38e8. */
export const BACKPORT_VARIANT = 'prepare-deletes-stale-scratch+temp-root-scratch';
export const VALIDATION_VARIANTS = ['upstream', BACKPORT_VARIANT, 'recommended'] as const;

export type OracleNix = Settings['nixVersion'];
export const ORACLE_NIX_VERSIONS: readonly OracleNix[] = ['2.34.8', '2.8'];

/** Built-in scenarios with no validation plan: what a real daemon cannot be made to do in order, deterministically. */
export const NOT_ON_A_REAL_DAEMON: Readonly<Record<string, string>> = {
  'interrupt-during-registration': 'the interrupt lands inside registerOutputs, after the builder has exited: no gate in the builder can hold the daemon there (validate:faults holds the daemon at its own file operations instead)',
  'gc-during-registration': 'the GC runs inside registerOutputs, between the move to the final path and registerValidPaths: no gate in the builder can hold the daemon there (validate:faults holds it at its rename)',
  'darwin-daemon-crash': 'a crash of the daemon worker (and its orphaned builder) on darwin: no darwin here (validate:faults runs its schedules that Linux shares, with the worker killed at a gate)',
  'hostile-scratch-symlink': 'the hostile builder plants a symlink at another derivation\'s scratch path, which validate:faults computes before any build; these plans keep to one derivation\'s attempts',
  'hostile-plant-single-user': 'the hostile builder plants a file at another derivation\'s scratch path, which validate:faults computes before any build; these plans keep to one derivation\'s attempts',
  'hostile-plant-sandbox': 'two builds at once, the plant placed before the victim\'s first command: these plans hold one build at a time',
  'darwin-orphan-lower-user': 'a builder that outlives its crashed worker and keeps acting: darwin only',
  'linux-orphan-subprocess': 'a process the builder started outlives the crashed worker and acts at chosen points: the harness has no shell form for it',
  'hostile-replant': 'the hostile builder loops while the victim builds: the harness has no shell form for a loop, nor for two builds interleaved',
  'hostile-replant-single-user': 'the hostile builder loops while the victim builds: the harness has no shell form for a loop, nor for two builds interleaved',
  'auto-gc-during-ca-build-darwin': "the daemon's own auto-GC during a build on darwin: no darwin here",
  'multi-output-ca-interrupted': 'a derivation with two outputs, interrupted inside registerOutputs between them: no gate in the builder can hold the daemon there (validate:faults holds it at its own file operations, at every step of registerOutputs: sweep.multi-output-registration.*)',
  'multi-output-ca-references': 'a derivation with two outputs, one referencing the other, interrupted inside registerOutputs between them: no gate in the builder can hold the daemon there (validate:faults holds it at its own file operations, at every step of registerOutputs: sweep.multi-output-references.*)',
  'cgroups-crash-retry': 'a crash of the daemon worker at a gate: validation plans place no crash (its scripted run runs as a fault plan: validate:faults --traces; cgroups-sandbox is the validation plan with use-cgroups)',
  'cgroups-interrupted': 'the interrupt lands in startBuild, between prepareUser and prepareSandbox, before the builder starts: no gate in the builder can hold the daemon there',
  'cgroups-single-user': 'a crash of the daemon worker at a gate: validation plans place no crash (its scripted run runs as a fault plan: validate:faults --traces)',
};

/** An interrupted floating-CA build, then one recovery command on its stranded scratch dir, then a retry as another user. */
function recovery(name: string, command: 'nix store delete' | 'nix-store --delete' | 'gc'): Scenario {
  const drv = 'godyn';
  const cmd =
    command === 'gc'
      ? ({ id: 'recover', kind: 'gc', after: ['a1'] } as const)
      : ({ id: 'recover', kind: 'storeDelete', command, target: { drv, which: 'scratch' }, after: ['a1'] } as const);
  return {
    name,
    doc: `Recovery: '${command === 'gc' ? 'a garbage collection' : command}' on the scratch dir an interrupted floating CA build stranded, then a retry as another build user.`,
    settings: seed487.settings,
    derivations: [{ id: drv, name: 'godyn-recover', kind: 'ca-floating', program: GODYN }],
    actors: [
      { id: 'a1', kind: 'build', drv, fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
      cmd,
      { id: 'other', kind: 'holdUser', after: ['recover'], releaseAfter: ['a2'] },
      { id: 'a2', kind: 'build', drv, after: ['other'] },
    ],
  };
}

/** repair-interrupted with ca-derivations on, as the harness's daemons run by default. */
const repairWithCaDerivations: Scenario = {
  ...repairInterrupted,
  name: 'repair-with-ca-derivations',
  doc: 'A valid input-addressed output is corrupted on disk, then nix-build --repair runs twice, with ca-derivations on: the realisation the first build recorded makes the output valid without a hash check, so neither repair rebuilds it and the output stays corrupt.',
  settings: { ...repairInterrupted.settings, caDerivations: true },
};

/**
 * --repair of a floating CA derivation whose output path is already valid through another
 * derivation of the same content (duplicate-ca-output's pair): the twin has no realisation, so it
 * is built, and replaceValidPath moves the present path aside to a name below itself.
 */
const repairCaTwin: Scenario = {
  name: 'repair-ca-twin',
  doc: 'Two .drvs produce the same CA output; the first is built, then nix-build --repair of the second: it has no realisation, so it builds, and replaceValidPath must move the valid output path aside before moving the new copy in (since 2.30 to a name below that path itself).',
  settings: duplicateCaOutput.settings,
  derivations: duplicateCaOutput.derivations,
  actors: [
    { id: 'b1', kind: 'build', drv: 'e1' },
    { id: 'r1', kind: 'build', drv: 'e2', mode: 'repair', after: ['b1'] },
    { id: 'info', kind: 'pathInfo', target: { drv: 'e1', which: 'final' }, after: ['r1'] },
  ],
};

/** The same-user retry with a builder that uses plain `mkdir $out`: EEXIST on the leftover, and it carries on. */
const plainMkdir: Scenario = {
  ...sameUserRetry,
  name: 'plain-mkdir-retry',
  doc: 'Same-user retry of a builder that does plain `mkdir $out` (no -p): EEXIST on the stranded dir; without set -e it carries on and the stale file leaks.',
  derivations: sameUserRetry.derivations.map((d) => ({ ...d, name: 'godyn-mkdir', program: d.program.map((a) => (a.op === 'mkdirP' ? { op: 'mkdir' as const, path: a.path } : a)) })),
};

/**
 * An input-addressed build in a chroot, interrupted after its first write, then path-info of its
 * output path: cleanupBuild moves the unfinished output out of the chroot to its path, unless the
 * store is diverted, where it looks for it at its real path inside the chroot, finds nothing and
 * moves nothing (chroot-derivation-builder.cc cleanupBuild). The sandboxed one is the control.
 */
function iaInterrupted(name: string, settings: Settings, where: string): Scenario {
  return {
    name,
    doc: `An input-addressed build interrupted after its first write, ${where}; then path-info of its output path: a chrooted build's unfinished output is moved out of the chroot to that path, unless the store is diverted (cleanupBuild looks for it at its real path inside the chroot).`,
    settings,
    derivations: [{ id: 'ia', name: 'godyn-ia', kind: 'input-addressed', program: GODYN }],
    actors: [
      { id: 'a1', kind: 'build', drv: 'ia', fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
      { id: 'info', kind: 'pathInfo', target: { drv: 'ia', which: 'final' }, after: ['a1'] },
    ],
  };
}

/** One validation scenario: the scenario, how its plan spells a GC, and its name. */
/**
 * linux-sandbox's seed schedule with use-cgroups: each build in a cgroup of its own below the
 * daemon's. The interrupted attempt's destructor destroys its cgroup (killChild -> killSandbox),
 * the retry as another build user makes its own, the path-info, delete and last retry follow.
 * Only the builds' outcomes and the store are observed, not the cgroups themselves.
 */
const cgroupsSandbox: Scenario = {
  ...linuxSandbox,
  name: 'cgroups-sandbox',
  doc: 'The seed schedule on Linux with sandbox = true and use-cgroups (experimental feature cgroups): each build runs in a cgroup nix-build-uid-<uid> below the daemon\'s, recorded in /nix/var/nix/cgroups/<uid>; the interrupted attempt\'s cgroup is destroyed with it, and every retry builds.',
  settings: { ...linuxSandbox.settings, useCgroups: true },
};

/**
 * multi-output-ia-partial with path-info of both outputs at the end: the rebuild must leave `out`
 * valid where it was (skipped as already registered) and `dev` valid again at its own path.
 */
const multiOutputIaPartialChecked: Scenario = {
  ...multiOutputIaPartial,
  actors: [
    ...multiOutputIaPartial.actors,
    { id: 'infoOut', kind: 'pathInfo', target: { drv: 'lib', which: 'final', output: 'out' }, after: ['a2'] },
    { id: 'infoDev', kind: 'pathInfo', target: { drv: 'lib', which: 'final', output: 'dev' }, after: ['infoOut'] },
  ],
};

interface Entry {
  readonly scenario: Scenario;
  readonly opts?: PlanOptions;
  /** Only for these versions (absent: all): the model reads the others' code differently there. */
  readonly only?: readonly OracleNix[];
}

const gcRecovery = (name: string, gcCommand: DeleteCommand): Entry => ({ scenario: recovery(name, 'gc'), opts: { gcCommand } });

/** The entries, whatever the version; `forNix` puts them on Linux with that version's behaviour. */
const ENTRIES: readonly Entry[] = [
  { scenario: seed487 },
  { scenario: sameUserRetry },
  { scenario: iaTwin },
  { scenario: singleUser },
  { scenario: recovery('recovery-nix-store-delete', 'nix store delete') },
  { scenario: recovery('recovery-nix-store--delete', 'nix-store --delete') },
  gcRecovery('recovery-nix-store-gc', 'nix store gc'),
  gcRecovery('recovery-nix-store--gc', 'nix-store --gc'),
  gcRecovery('recovery-nix-collect-garbage', 'nix-collect-garbage'),
  { scenario: plainMkdir },
  { scenario: keepFailedRetry },
  // 2.8 keeps the canonicalised scratch copy when the CA result is already valid, 2.34.8 deletes it
  { scenario: duplicateCaOutput },
  { scenario: concurrentSameDrv },
  { scenario: concurrentGc },
  { scenario: linuxSandbox },
  { scenario: deleteRacesRebuild },
  { scenario: checkInterruptedThenDelete },
  // a valid output corrupted as root, then nix-build --repair twice: with ca-derivations (as the
  // harness runs) the output's realisation makes it valid unhashed, and nothing is rebuilt
  { scenario: repairWithCaDerivations },
  // the same without ca-derivations (the plan's daemon runs without the feature): the hash check
  // finds the damage, the corrupt copy is deleted, the build runs at the hash-rewrite fallback path
  // and its result is moved over the valid path; then an interrupted repair retried as another user
  { scenario: repairInterrupted },
  { scenario: repairRetryOtherUser },
  // --repair of a CA output another derivation already made valid: replaceValidPath's move aside
  // 2.34.8 only: 2.8 moves the old copy to a sibling, which the nix-2.8 personality does not model
  { scenario: repairCaTwin, only: ['2.34.8'] },
  // the build timeout kills the builder at its gate: no client is interrupted
  { scenario: timeoutRetry },
  // build-dir 1777 (the steps' builds get --option build-dir): refused with build users, used without.
  // 2.34.8 only: 2.8.0 has no build-dir setting (globals.hh has sandbox-build-dir alone; builds go
  // to $TMPDIR/nix-build-*), so its daemon ignores the option and builds as usual
  { scenario: buildDirWorldWritable, only: ['2.34.8'] },
  { scenario: buildDirSingleUser, only: ['2.34.8'] },
  // sandbox = relaxed, every build __noChroot (2.8.0's local-derivation-goal.cc decides it the same way)
  { scenario: relaxedNoChroot },
  // uids with no name (872415232 + 65536 × slot) in group nixbld, unsandboxed: the seed schedule's wedge.
  // 2.34.8 only: 2.8.0 has no auto-allocate-uids (its daemon warns "unknown setting" and uses nixbld1..)
  { scenario: autoAllocateUids, only: ['2.34.8'] },
  { scenario: autoAllocateUidsSandbox, only: ['2.34.8'] },
  // the daemon's own GC (min-free), started by the held build's worker loop: the step lowers the free space it reads
  { scenario: autoGcDuringCaBuildLinux },
  // sandbox = true on a daemon kept from mount namespaces (the injector fails its mount(2) calls, so
  // makeDerivationBuilder's probe says no): with sandbox-fallback it builds unsandboxed and wedges;
  // without, it refuses every build. 2.34.8 only: 2.8.0 has no such probe, it falls back when its
  // clone() of the builder fails (local-derivation-goal.cc startBuilder), which the nix-2.8
  // personality does not model
  { scenario: sandboxFallback, only: ['2.34.8'] },
  { scenario: sandboxUnavailable, only: ['2.34.8'] },
  // sandbox = false on a chroot store (local?root=...): the daemon chroots every build anyway.
  // 2.34.8 only: the 2.8 oracle's host daemon is not given a diverted store
  { scenario: divertedStore, only: ['2.34.8'] },
  // an interrupted input-addressed chroot build: its output is moved out of the chroot, but not in a diverted store
  { scenario: iaInterrupted('ia-interrupted-diverted', divertedStore.settings, 'in a diverted store with sandbox = false'), only: ['2.34.8'] },
  { scenario: iaInterrupted('ia-interrupted-sandbox', linuxSandbox.settings, 'with sandbox = true in /nix/store'), only: ['2.34.8'] },
  // a GC while a --repair build is held at its gate, after the build and the damage that set it up
  // (run first, one after another): the repair's fallback path is no temp root, so the GC takes it
  { scenario: repairConcurrentGc },
  // the same with nix-build --check of a valid output: the check's fallback path is no temp root either
  { scenario: checkConcurrentGc },
  // use-cgroups on a sandboxed daemon (the root is shown the host's cgroup2 fs): 2.8.0 reads no such setting here
  { scenario: cgroupsSandbox, only: ['2.34.8'] },
  // one nix-build of two derivations (keep-going = false): the sibling's builder fails while godyn's
  // is held at its gate, the daemon cancels godyn (kills its builder); then seed-487's retries.
  // 2.34.8 only: the nix-2.8 personality does not model keep-going
  { scenario: keepGoingCancel, only: ['2.34.8'] },
  // two outputs (out, dev) of an input-addressed derivation: dev deleted alone, the rebuild builds
  // out again at a fallback path (it is valid) and dev at its own; path-info of both at the end.
  // 2.34.8 only: the nix-2.8 personality does not model multi-output builds
  { scenario: multiOutputIaPartialChecked, only: ['2.34.8'] },
];

/** The scenario on Linux with `nix`'s behaviour (sandbox as the scenario has it). */
function forNix(s: Scenario, nix: OracleNix): Scenario {
  return { ...s, settings: { ...s.settings, platform: 'linux', nixVersion: nix } };
}

const entriesFor = (nix: OracleNix): readonly Entry[] => ENTRIES.filter((e) => e.only === undefined || e.only.includes(nix));

export function validationScenarios(nix: OracleNix): Scenario[] {
  return entriesFor(nix).map((e) => forNix(e.scenario, nix));
}

/** One plan per validation scenario, with the model's predictions for {@link VALIDATION_VARIANTS} (and `more`) on `nix`. */
export function validationPlans(nix: OracleNix = '2.34.8', more: readonly string[] = []): Converted<ReproPlan>[] {
  const variants = [...new Set<string>([...VALIDATION_VARIANTS, ...more])];
  return entriesFor(nix).map((e) => {
    const s = forNix(e.scenario, nix);
    return planFromEvents(s, scriptedEvents(s), variants, {}, e.opts);
  });
}
