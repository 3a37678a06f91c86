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

/**
 * chroot-derivation-builder.cc ChrootDerivationBuilder::cleanupBuild (l.157-176): unless the build succeeded (`force`), a known
 * output that was not valid before the build is moved out of the chroot to its store path "for
 * easier debugging" (l.163-173, rename(2) as root), by a normal build only (`buildMode == bmNormal`,
 * l.163: never by a `--check` or `--repair`); then autoDelChroot deletes the whole chroot
 * (l.175). Returns what the trace says.
 */
export function teardownChroot(ctx: Ctx, d: DrvInfo, a: BuildActor, outcome: BuildOutcome): string[] {
  const fs = ctx.fs;
  const notes: string[] = [];
  const known = a.known;
  if (outcome.kind !== 'success' && a.mode === undefined && known !== undefined && known.status !== 'valid') {
    const inChroot = `${chrootRoot(d)}${known.path}`;
    if (fs.lstat(ctx.daemon, inChroot).ok) {
      // std::filesystem::rename throws on failure; the destructor path swallows it and AutoDelete still runs
      const r = fs.rename(ctx.daemon, inChroot, known.path);
      notes.push(r.ok ? `moved ${known.path} out of the chroot` : `moving ${known.path} out of the chroot: ${r.error.errno}`);
    }
  }
  deletePathAll(fs, ctx.daemon, chrootParent(d));
  notes.push(`deleted ${chrootParent(d)}`);
  return notes;
}
