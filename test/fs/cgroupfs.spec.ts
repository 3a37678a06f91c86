/** cgroup2 directories over the kernel: mkdir lays the kernel's interface files, rmdir takes them along. */
import { describe, expect, it } from 'vitest';
import { CGROUP_FILES, cgroupMkdir, cgroupRmdir, cgroupRootFiles, createKernel, creds, populateOrThrow, ROOT, type TreeEntry } from '../../model/fs/index.js';

const builder = creds(30001, 30000, [30000], 0o077);

function cgroupRoot() {
  const k = createKernel();
  const tree: TreeEntry[] = [
    { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/sys', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/sys/fs', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/sys/fs/cgroup', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/sys/fs/cgroup/nix', kind: 'dir', mode: 0o777, uid: 0, gid: 0 },
  ];
  populateOrThrow(k, tree);
  return k;
}

const listing = (k: ReturnType<typeof createKernel>, dir: string) =>
  k.tree(dir).map((e) => `${e.path} ${e.kind} ${e.mode.toString(8)} ${String(e.uid)}`);

describe('cgroupfs', () => {
  it('should name the interface files with their Linux modes, cgroup.kill write-only', () => {
    expect(CGROUP_FILES).toEqual([['cgroup.procs', 0o644], ['cgroup.threads', 0o644], ['cgroup.kill', 0o200]]);
  });

  it('should make the directory as the caller and the interface files as root, whatever the caller\'s umask', () => {
    const k = cgroupRoot();
    expect(cgroupMkdir(k, builder, '/sys/fs/cgroup/nix/b1', 0o755)).toEqual({ ok: true, value: undefined });
    expect(listing(k, '/sys/fs/cgroup/nix/b1')).toEqual([
      '/sys/fs/cgroup/nix/b1 dir 700 30001',
      '/sys/fs/cgroup/nix/b1/cgroup.kill file 200 0',
      '/sys/fs/cgroup/nix/b1/cgroup.procs file 644 0',
      '/sys/fs/cgroup/nix/b1/cgroup.threads file 644 0',
    ]);
  });

  it('should lay no files when mkdir fails, and return its error', () => {
    const k = cgroupRoot();
    const r = cgroupMkdir(k, builder, '/sys/fs/cgroup/b1', 0o755);
    expect(r).toEqual({ ok: false, error: { errno: 'EACCES', syscall: 'mkdir', path: '/sys/fs/cgroup/b1' } });
    expect(listing(k, '/sys/fs/cgroup/b1')).toEqual([]);
    expect(cgroupMkdir(k, ROOT, '/sys/fs/cgroup/nix', 0o755)).toMatchObject({ ok: false, error: { errno: 'EEXIST' } });
    expect(listing(k, '/sys/fs/cgroup/nix')).toEqual(['/sys/fs/cgroup/nix dir 777 0']);
  });

  it('should give a hierarchy\'s existing root its interface files', () => {
    const k = cgroupRoot();
    cgroupRootFiles(k, '/sys/fs/cgroup');
    expect(k.readdir(ROOT, '/sys/fs/cgroup')).toEqual({ ok: true, value: ['cgroup.kill', 'cgroup.procs', 'cgroup.threads', 'nix'] });
  });

  it('should remove a cgroup with its interface files, by a caller who may rmdir it', () => {
    const k = cgroupRoot();
    cgroupMkdir(k, builder, '/sys/fs/cgroup/nix/b1', 0o755);
    expect(cgroupRmdir(k, builder, '/sys/fs/cgroup/nix/b1')).toEqual({ ok: true, value: undefined });
    expect(listing(k, '/sys/fs/cgroup/nix')).toEqual(['/sys/fs/cgroup/nix dir 777 0']);
  });

  it('should take only the interface files along: anything else keeps the directory (ENOTEMPTY)', () => {
    const k = cgroupRoot();
    cgroupMkdir(k, builder, '/sys/fs/cgroup/nix/b1', 0o755);
    k.writeFile(ROOT, '/sys/fs/cgroup/nix/b1/other', 'x');
    expect(cgroupRmdir(k, ROOT, '/sys/fs/cgroup/nix/b1')).toMatchObject({ ok: false, error: { errno: 'ENOTEMPTY' } });
    expect(k.readdir(ROOT, '/sys/fs/cgroup/nix/b1')).toEqual({ ok: true, value: ['other'] });
  });

  it('should report rmdir\'s error for a missing cgroup and change nothing', () => {
    const k = cgroupRoot();
    const before = k.hash();
    expect(cgroupRmdir(k, builder, '/sys/fs/cgroup/nix/none')).toEqual({ ok: false, error: { errno: 'ENOENT', syscall: 'rmdir', path: '/sys/fs/cgroup/nix/none' } });
    expect(k.hash()).toBe(before);
  });
});
