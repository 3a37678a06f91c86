/**
 * `use-cgroups` on a sandboxed Linux daemon (model/nix/cgroup.ts): each build runs in a cgroup of
 * its own, which a crashed daemon worker leaves behind with its record in /nix/var/nix/cgroups.
 * What the model asks of these: does a leftover cgroup ever stop a later build (NoWedge)?
 */
import type { Scenario } from '../../model/nix/index.js';
import { DARWIN, GODYN } from './common.js';

const CA = { id: 'godyn', name: 'godyn-compile-glob-match', kind: 'ca-floating', program: GODYN } as const;
/** Another derivation, so that a build after the CA output is valid still builds (and takes a build user). */
const IA = { id: 'ia', name: 'hello-ia', kind: 'input-addressed', program: GODYN } as const;
const CGROUPS = { ...DARWIN, platform: 'linux', sandbox: true, useCgroups: true } as const;
/** Every fault model, one fault per run, on the first build. */
const ALL_FAULTS = { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, faultTargets: ['a1'] } as const;

export const cgroupsCrashRetry: Scenario = {
  name: 'cgroups-crash-retry',
  doc: 'Linux, sandbox on, use-cgroups, 4 build users: the daemon worker is killed after the builder\'s first write, leaving cgroup nix-build-uid-30001 and its record. The retry, drawn as nixbld2 while nixbld1 is held, builds in nix-build-uid-30002 beside the leftover; the next build as nixbld1 (another derivation) destroys the recorded leftover first and builds.',
  settings: CGROUPS,
  derivations: [CA, IA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth: 1 } },
    { id: 'other', kind: 'holdUser', after: ['a1'], releaseAfter: ['a2'] },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['other'] },
    { id: 'a3', kind: 'build', drv: 'ia', after: ['a2'], afterUserRelease: ['other'] },
  ],
  explore: ALL_FAULTS,
};

export const cgroupsInterrupted: Scenario = {
  name: 'cgroups-interrupted',
  doc: 'Linux, sandbox on, use-cgroups, 4 build users: interrupted after prepareUser recorded cgroup nix-build-uid-30001 and before prepareSandbox made it (at createTempDir). The destructor finds no cgroup to destroy; the record stays, and the retry as the same user reads it, finds nothing there, and builds.',
  settings: CGROUPS,
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'interrupt', before: 'createTempDir', nth: 0 } },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: ALL_FAULTS,
};

export const cgroupsSingleUser: Scenario = {
  name: 'cgroups-single-user',
  doc: "Linux, sandbox on, use-cgroups, no build users: a build's cgroup is named after its daemon worker's pid (nix-build-pid-<pid>-0) and recorded nowhere. The worker is killed after the builder's first write; the retry, another worker, builds in a cgroup of its own, and nothing ever removes the crashed worker's.",
  settings: { ...CGROUPS, buildUsers: 0 },
  derivations: [CA],
  actors: [
    { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth: 1 } },
    { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
  ],
  explore: ALL_FAULTS,
};
