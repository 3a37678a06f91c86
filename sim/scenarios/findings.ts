/**
 * Where the recommended series does not hold, knowingly: built-in scenarios whose `recommended` row
 * has ✗ cells that are a limit of the series (what upstream Nix does not do either), not a flaw in
 * it. docs/verification.md prints each next to its traces; a test fails when recommended breaks an
 * invariant no entry here explains, or an entry explains nothing.
 */
import type { InvariantName } from '../../model/verify/index.js';

export interface Finding {
  /** The invariants recommended breaks in that scenario, and nothing else. */
  readonly invariants: readonly InvariantName[];
  readonly why: string;
}

export const FINDINGS: Readonly<Record<string, Finding>> = {
  'darwin-orphan-lower-user': {
    invariants: ['InProgressOutputSafe'],
    why:
      "one daemon crash is enough. The crashed build ran as _nixbld2 because another build held _nixbld1; that build lets _nixbld1 go and the retry takes it (SimpleUserLock::acquire hands out the first free member), so no prepareUser ever runs killUser(_nixbld2), and the builder that outlived its worker writes at the retry's $out (here it re-creates it as _nixbld2 between the retry's delete and its mkdir -p, and the retry's writes fail EACCES). NoWedge holds: the next build deletes the directory again. Closing it needs killing stray processes of build users nobody holds, which upstream does not do.",
  },
  'linux-orphan-subprocess': {
    invariants: ['InProgressOutputSafe'],
    why:
      'the same on Linux without a sandbox: PR_SET_PDEATHSIG kills the builder but not the process it started (fork(2) clears the death signal), and that process keeps writing as nixbld2 while the retry runs as nixbld1. With a sandbox the builder is PID 1 of its own PID namespace and nothing survives it.',
  },
  'hostile-replant': {
    invariants: ['InProgressOutputSafe'],
    why:
      "0001 deletes whatever sits at the scratch path before the builder starts; a co-tenant builder that plants again between that delete and the victim's mkdir -p leaves a directory owned by another build user, and the victim's writes fail EACCES: a denial of service, nothing foreign is registered (suspicious-ownership and canonicalisation reject a foreign owner). Only a sandbox (a private store view) prevents it.",
  },
  'build-dir-world-writable': {
    invariants: ['NoWedge'],
    why:
      "not a wedge and not a limit of the series: with build users, startBuild refuses every build while build-dir (or an ancestor) is world-writable (checkNotWorldWritable), so NoWedge's clean build is refused too, in every variant, upstream included, before anything is written. The cure is the configuration (a build-dir of mode 755 or 1775 is accepted); the row is there to show that the series changes nothing on this path and leaves nothing behind (NoDebrisAfterRecovery and the rest hold).",
  },
  'sandbox-unavailable': {
    invariants: ['NoWedge'],
    why:
      "not a wedge and not a limit of the series: with sandbox = true, sandbox-fallback = false and a kernel that gives the daemon no mount and PID namespaces, makeDerivationBuilder refuses every build before it takes a build user, so NoWedge's clean build is refused too, in every variant, upstream included. The cure is the configuration (namespaces for the daemon, or sandbox-fallback = true, which builds unsandboxed: sandbox-fallback); the row shows the refusal leaves nothing behind.",
  },
  'hostile-replant-single-user': {
    invariants: ['CleanOutput', 'InProgressOutputSafe', 'NoForeignContent'],
    why:
      "without build users every builder runs as the daemon's uid, so a plant made between 0001's delete and the victim's mkdir -p ends up in the registered output. '0001 restores NoForeignContent' holds only for a plant made before the build starts (hostile-plant-single-user).",
  },
};
