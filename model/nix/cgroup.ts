/**
 * Nix: `use-cgroups` @2.34.8, which only ChrootLinuxDerivationBuilder (a sandboxed Linux build)
 * implements (linux-derivation-builder.cc). Its prepareUser (l.330-373) names the build's cgroup
 * below the daemon's own, `nix-build-uid-<uid>` with a build user, `nix-build-pid-<pid>-<n>`
 * without one; with a build user it first destroys the cgroup recorded for that uid in
 * `<stateDir>/cgroups/<uid>` and records the new one, then runs the base prepareUser, whose
 * killSandbox is the builder's own: destroyCgroup of the new cgroup, and no killUser. prepareSandbox
 * (l.375-386) makes the cgroup (mkdir 0755; an existing one is a SysError) and chowns it to the
 * builder. killSandbox (l.822-834) destroys it (libutil/linux/cgroup.cc destroyCgroup, l.79-151).
 *
 * The cgroup fs is a directory tree in the kernel (model/fs cgroupfs.ts). `useCgroups` stands for
 * `use-cgroups = true` with the experimental feature `cgroups` on: without the feature
 * linux-derivation-builder.cc prepareUser throws (l.333), which the model does not offer. No
 * derivation asks for `uid-range`, so a build user always has one uid and only the setting turns
 * cgroups on (l.332).
 */
import type { Errno } from '../fs/index.js';
import { cgroupMkdir, cgroupRmdir } from '../fs/index.js';
import type { Ctx, DrvInfo } from './context.js';
import { buildGid, CGROUP_RECORD_DIR, ROOT_CGROUP, usesChroot } from './context.js';
import type { BuildActor } from './types.js';

/** Whether a build of `d` gets a cgroup: `use-cgroups` and a ChrootLinuxDerivationBuilder (linux-derivation-builder.cc l.332). */
export function usesCgroup(ctx: Ctx, d: DrvInfo): boolean {
  return ctx.scenario.settings.useCgroups === true && usesChroot(ctx, d);
}

/**
 * prepareUser's name for the cgroup (linux-derivation-builder.cc l.347-349). Without a build user it is the worker's pid and a
 * per-process counter: each build actor is a daemon worker of its own building one derivation, so
 * its id stands for the pid (pids are never reused in the model) and the counter is 0.
 */
export function cgroupPath(a: BuildActor, uid: number): string {
  return `${ROOT_CGROUP}/${uid !== 0 ? `nix-build-uid-${String(uid)}` : `nix-build-pid-${a.id}-0`}`;
}

/** `<stateDir>/cgroups/<uid>`: the cgroup last used by build user `uid` (linux-derivation-builder.cc l.357-360). */
export function cgroupRecord(uid: number): string {
  return `${CGROUP_RECORD_DIR}/${String(uid)}`;
}

/** What a cgroup step did, for the trace, or the Error it threw. */
export interface CgroupResult {
  readonly notes: readonly string[];
  readonly error?: string;
}

/**
 * libutil/linux/cgroup.cc destroyCgroup (l.79-151) as the daemon: nothing when the path is absent;
 * an Error when it has no cgroup.procs; else cgroup.kill written, child cgroups destroyed first, and
 * the rmdir. The kill loop over cgroup.procs finds it empty: no process of a chroot build outlives
 * its builder (PID 1 of the build's PID namespace), and nothing else joins the cgroup.
 */
export function destroyCgroup(ctx: Ctx, path: string): CgroupResult {
  const fs = ctx.fs;
  const st = fs.lstat(ctx.daemon, path);
  if (!st.ok) return { notes: [] };
  if (!fs.lstat(ctx.daemon, `${path}/cgroup.procs`).ok) return { notes: [], error: `'${path}' is not a cgroup` };
  if (fs.lstat(ctx.daemon, `${path}/cgroup.kill`).ok) fs.writeFile(ctx.daemon, `${path}/cgroup.kill`, '1');
  const listing = fs.readdir(ctx.daemon, path);
  const notes: string[] = [];
  for (const name of listing.ok ? listing.value : []) {
    const child = `${path}/${name}`;
    const cst = fs.lstat(ctx.daemon, child);
    if (!cst.ok || cst.value.kind !== 'dir') continue;
    const r = destroyCgroup(ctx, child);
    if (r.error !== undefined) return { notes: [...notes, ...r.notes], error: r.error };
    notes.push(...r.notes);
  }
  const r = cgroupRmdir(fs, ctx.daemon, path);
  if (!r.ok) return { notes, error: `deleting cgroup '${path}': ${r.error.errno}` };
  return { notes: [...notes, `destroyed cgroup ${path}`] };
}

/**
 * linux-derivation-builder.cc prepareUser's cgroup part (l.347-349, l.356-368) and its base call (l.372): with a build user, createDirs of
 * the record dir, destroyCgroup of the recorded cgroup, the new record; then killSandbox(false),
 * which is destroyCgroup of the new cgroup's path (a leftover of the same name goes here).
 */
export function prepareUserCgroup(ctx: Ctx, a: BuildActor, uid: number): CgroupResult & { readonly cgroup: string } {
  const fs = ctx.fs;
  const cgroup = cgroupPath(a, uid);
  const notes: string[] = [`using cgroup ${cgroup}`];
  if (uid !== 0) {
    fs.mkdirP(ctx.daemon, CGROUP_RECORD_DIR, 0o755);
    const record = cgroupRecord(uid);
    const prev = fs.readFile(ctx.daemon, record);
    if (prev.ok) {
      const r = destroyCgroup(ctx, prev.value);
      notes.push(...r.notes.map((n) => `${n} (recorded in ${record})`));
      if (r.error !== undefined) return { cgroup, notes, error: r.error };
    }
    fs.writeFile(ctx.daemon, record, cgroup);
    notes.push(`recorded in ${record}`);
  }
  const own = destroyCgroup(ctx, cgroup);
  return { cgroup, notes: [...notes, ...own.notes], ...(own.error !== undefined ? { error: own.error } : {}) };
}

/**
 * linux-derivation-builder.cc prepareSandbox's cgroup part (l.380-381, l.382-384), after the chroot: mkdir(cgroup, 0755), whose failure
 * (EEXIST: a cgroup of that name is there) is a SysError; then chownToBuilder of the cgroup,
 * cgroup.procs and cgroup.threads, which does nothing without a build user (derivation-builder.cc
 * l.1256-1257).
 */
export function createCgroup(ctx: Ctx, d: DrvInfo, cgroup: string, uid: number): { readonly notes: readonly string[]; readonly error?: { readonly message: string; readonly errno: Errno } } {
  const fs = ctx.fs;
  const r = cgroupMkdir(fs, ctx.daemon, cgroup, 0o755);
  if (!r.ok) return { notes: [], error: { message: `creating cgroup '${cgroup}': ${r.error.errno}`, errno: r.error.errno } };
  if (uid !== 0) {
    const gid = buildGid(ctx, d, uid);
    for (const p of [cgroup, `${cgroup}/cgroup.procs`, `${cgroup}/cgroup.threads`]) fs.chown(ctx.daemon, p, uid, gid);
  }
  return { notes: [`cgroup ${cgroup} (0755${uid !== 0 ? ', chowned to the builder' : ''})`] };
}
