/**
 * chroot(2): a process whose root directory is not `/`. Linux keeps it in fs->root; namei starts
 * every walk there (set_root), `..` stops there (follow_dotdot) and absolute symlink bodies restart
 * there (pick_link -> nd_jump_root). Node cannot chroot, so these cases run on the model only.
 */
import { describe, expect, it } from 'vitest';
import { chroot, createKernel, creds, populateOrThrow, ROOT, type TreeEntry } from '../../model/fs/index.js';

const dir = (path: string, mode: number, uid = 0, gid = 0): TreeEntry => ({ path, kind: 'dir', mode, uid, gid });

/** A Nix-style chroot: a 0700 root-owned parent, a 0750 root:nixbld root, a 1775 store inside. */
const TREE: readonly TreeEntry[] = [
  dir('/', 0o755),
  dir('/store', 0o1775, 0, 30000),
  dir('/store/x.chroot', 0o700),
  dir('/store/x.chroot/root', 0o750, 0, 30000),
  dir('/store/x.chroot/root/store', 0o1775, 0, 30000),
  { path: '/store/x.chroot/root/store/up', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: '/store' },
  { path: '/store/x.chroot/root/store/dotdot', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: '../../..' },
];

const builder = creds(30001, 30000, [30000]);
const inside = chroot(builder, '/store/x.chroot/root');

function kernel() {
  const k = createKernel();
  populateOrThrow(k, TREE);
  return k;
}

describe('chroot(2): the process root', () => {
  it('resolves absolute paths from the new root, where the 0700 parent is never searched', () => {
    const k = kernel();
    expect(k.mkdir(builder, '/store/x.chroot/root/store/out', 0o755).ok).toBe(false); // EACCES at the 0700 parent
    expect(k.mkdir(inside, '/store/out', 0o755)).toEqual({ ok: true, value: undefined });
    expect(k.lstat(ROOT, '/store/x.chroot/root/store/out').ok).toBe(true);
    expect(k.lstat(ROOT, '/store/out').ok).toBe(false);
  });

  it('still checks search permission on the root itself and below', () => {
    const k = kernel();
    const stranger = chroot(creds(30009, 30009, [30009]), '/store/x.chroot/root');
    const r = k.mkdir(stranger, '/store/out', 0o755);
    expect(r.ok ? 'ok' : r.error.errno).toBe('EACCES');
  });

  it('treats `..` at the process root as the root', () => {
    const k = kernel();
    expect(k.mkdir(inside, '/../../store/y', 0o755).ok).toBe(true);
    expect(k.lstat(ROOT, '/store/x.chroot/root/store/y').ok).toBe(true);
    const r = k.stat(inside, '/store/dotdot/store');
    expect(r.ok && r.value.mode).toBe(0o1775);
    expect(k.lstat(ROOT, '/store/y').ok).toBe(false);
  });

  it('restarts an absolute symlink body at the process root', () => {
    const k = kernel();
    expect(k.writeFile(inside, '/store/up/f', 'x').ok).toBe(true);
    expect(k.readFile(ROOT, '/store/x.chroot/root/store/f')).toEqual({ ok: true, value: 'x' });
  });

  it('resolves nothing once the root is gone', () => {
    const k = createKernel();
    populateOrThrow(k, TREE.filter((e) => !e.path.startsWith('/store/x.chroot')));
    const r = k.lstat(inside, '/store');
    expect(r.ok ? 'ok' : r.error.errno).toBe('ENOENT');
  });
});
