/**
 * cgroup2 directories as seen through path syscalls. A cgroup2 filesystem is a kernel one
 * (kernfs): mkdir(2) of a directory in it creates a cgroup, whose interface files the kernel makes
 * at once, owned by root; rmdir(2) removes a cgroup with its interface files, provided it has no
 * child cgroup and no process. The memfs kernel has no such filesystem, so these calls lay the
 * interface files out and take them away around the plain mkdir and rmdir (Linux
 * kernel/cgroup/cgroup.c cgroup_mkdir, cgroup_rmdir).
 *
 * Only the files a cgroup's users here read or chown are made (a real cgroup has more: cpu.stat,
 * cgroup.subtree_control, ...). No process is ever placed in one (`cgroup.procs` stays empty).
 */
import { ROOT } from './creds.js';
import type { Creds, FsKernel, FsResult } from './types.js';

/** The interface files every cgroup has, and their modes as Linux 6.x shows them (`cgroup.kill` is write-only). */
export const CGROUP_FILES: readonly (readonly [string, number])[] = [
  ['cgroup.procs', 0o644],
  ['cgroup.threads', 0o644],
  ['cgroup.kill', 0o200],
];

function isCgroupFile(name: string): boolean {
  return CGROUP_FILES.some(([f]) => f === name);
}

/** The kernel makes the interface files itself, root-owned, whoever called mkdir. */
function layFiles(fs: FsKernel, path: string): void {
  for (const [name, mode] of CGROUP_FILES) {
    fs.writeFile(ROOT, `${path}/${name}`, '', mode);
    // writeFile's mode passes through the umask; the kernel's does not
    fs.chmod(ROOT, `${path}/${name}`, mode);
  }
}

/** mkdir(2) in a cgroup2 fs as `c`: the directory as mkdir makes it, then its interface files. */
export function cgroupMkdir(fs: FsKernel, c: Creds, path: string, mode: number): FsResult<void> {
  const r = fs.mkdir(c, path, mode);
  if (r.ok) layFiles(fs, path);
  return r;
}

/** The interface files of a directory that already stands for a cgroup (a mounted hierarchy's root, or a service's cgroup). */
export function cgroupRootFiles(fs: FsKernel, path: string): void {
  layFiles(fs, path);
}

/**
 * rmdir(2) in a cgroup2 fs as `c`: the interface files go with the directory. A child cgroup still
 * in it makes the rmdir fail ENOTEMPTY where Linux says EBUSY (no caller here makes child cgroups).
 */
export function cgroupRmdir(fs: FsKernel, c: Creds, path: string): FsResult<void> {
  const listing = fs.readdir(ROOT, path);
  if (listing.ok) for (const name of listing.value.filter(isCgroupFile)) fs.unlink(ROOT, `${path}/${name}`);
  return fs.rmdir(c, path);
}
