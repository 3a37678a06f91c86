/**
 * Nix: chroot-derivation-builder.cc @2.34.8, the chroot of a Linux sandboxed build, as upstream makes
 * it and tears it down. The builder lives inside it (linux-derivation-builder.cc enterChroot:
 * pivot_root + chroot(".") at l.786-789), so its `/nix/store` is the chroot's store: the model gives
 * it a process root (`chroot(2)` in the kernel) instead of resolving its paths from the host.
 */
import type { Creds } from '../fs/index.js';
import { chroot } from '../fs/index.js';
import type { Ctx, DrvInfo } from './context.js';
import { buildGid, builderCreds, chrootParent, usesChroot } from './context.js';
import { deletePathAll } from './delete-path.js';
import type { BuildActor, BuildOutcome } from './types.js';

/**
 * A diverted store's root, as the model names it: the model keeps a diverted store's paths at
 * /nix/store (only the decision to chroot depends on the diversion), so this prefix appears only
 * where upstream itself puts the root in front of a store path inside the chroot (cleanupBuild).
 */
export const DIVERTED_ROOT = '/diverted-root';

/** Where the builder's `/` is: `<drv>.chroot/root` (chroot-derivation-builder.cc prepareSandbox l.73). */
export function chrootRoot(d: DrvInfo): string {
  return `${chrootParent(d)}/root`;
}

/**
 * The credentials a builder of `d` runs with as `uid`: setUser's build user (derivation-builder.cc
 * l.1385), chrooted into its own chroot when the build has one. In the user namespace it is uid
 * 1000 (sandboxUid), which the kernel maps to the build user: the model checks the host uid.
 */
export function builderView(ctx: Ctx, d: DrvInfo, uid: number): Creds {
  const c = builderCreds(uid, buildGid(ctx, d, uid));
  return usesChroot(ctx, d) ? chroot(c, chrootRoot(d)) : c;
}

/**
 * chroot-derivation-builder.cc prepareSandbox (l.55-119), the part a builder's `$out` depends on: deletePath of a leftover chroot
 * (l.63), the parent 0700 (l.70), its `root` 0750 owned root:<build group> (l.75-82: one uid per
 * build), and `<root>/nix/store` 01775 root:<build group> (l.114-119). /tmp, /etc and the bind
 * mounts of inputs are left out: no builder program here uses them.
 */
export function prepareSandbox(ctx: Ctx, d: DrvInfo, buildUser: number | undefined): void {
  const gid = buildUser === undefined ? undefined : buildGid(ctx, d, buildUser);
  const fs = ctx.fs;
  const root = chrootRoot(d);
  deletePathAll(fs, ctx.daemon, chrootParent(d));
  fs.mkdir(ctx.daemon, chrootParent(d), 0o700);
  fs.mkdir(ctx.daemon, root, 0o750);
  if (gid !== undefined) fs.chown(ctx.daemon, root, 0, gid);
  // createDirs(chrootStoreDir) under the daemon's umask 022, then chmod 01775
  fs.mkdir(ctx.daemon, `${root}/nix`, 0o755);
  fs.mkdir(ctx.daemon, `${root}/nix/store`, 0o755);
  fs.chmod(ctx.daemon, `${root}/nix/store`, 0o1775);
  if (gid !== undefined) fs.chown(ctx.daemon, `${root}/nix/store`, 0, gid);
}

/** Whether chroot-derivation-builder.cc cleanupBuild looks for `a`'s known output in the chroot to move it out (l.163): a normal build that did not succeed, of an output not valid before. */
export function looksForFailedOutput(a: BuildActor, outcome: BuildOutcome): boolean {
  return outcome.kind !== 'success' && a.mode === undefined && a.known !== undefined && a.known.status !== 'valid';
}

/**
 * chroot-derivation-builder.cc ChrootDerivationBuilder::cleanupBuild (l.157-176): unless the build succeeded (`force`), a known
 * output that was not valid before the build is moved out of the chroot to its store path "for
 * easier debugging" (l.163-173, rename(2) as root), by a normal build only (`buildMode == bmNormal`,
 * l.163: never by a `--check` or `--repair`); then autoDelChroot deletes the whole chroot
 * (l.175). In a diverted store it looks for the output where the builder never wrote it (l.169-170),
 * so nothing is moved and the output goes with the chroot. Returns what the trace says.
 */
export function teardownChroot(ctx: Ctx, d: DrvInfo, a: BuildActor, outcome: BuildOutcome): string[] {
  const fs = ctx.fs;
  const notes: string[] = [];
  const known = a.known;
  if (known !== undefined && looksForFailedOutput(a, outcome)) {
    // chroot-derivation-builder.cc looks in the chroot at the output's REAL path (l.169-170), while the
    // builder wrote it at its store path there (chrootStoreDir, l.114): the same unless the store is diverted,
    // whose real path carries the root's prefix (the model names that root DIVERTED_ROOT)
    const inChroot = `${chrootRoot(d)}${ctx.scenario.settings.divertedStore === true ? DIVERTED_ROOT : ''}${known.path}`;
    if (fs.lstat(ctx.daemon, inChroot).ok) {
      // std::filesystem::rename throws on failure; the destructor path swallows it and AutoDelete still runs
      const r = fs.rename(ctx.daemon, inChroot, known.path);
      notes.push(r.ok ? `moved ${known.path} out of the chroot` : `moving ${known.path} out of the chroot: ${r.error.errno}`);
    } else if (ctx.scenario.settings.divertedStore === true) {
      notes.push(`${known.path} not moved out of the chroot: looked for at ${inChroot} (its real path in a diverted store)`);
    }
  }
  deletePathAll(fs, ctx.daemon, chrootParent(d));
  notes.push(`deleted ${chrootParent(d)}`);
  return notes;
}
