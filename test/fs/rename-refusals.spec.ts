/**
 * rename(2) beyond its rule cases: what only the model can be asked. `.`, `..` and `/` as a last
 * component (Linux says EBUSY, which the model's Errno lacks: EINVAL, as model/fs/rename.ts says),
 * the call and paths a refusal names, and what becomes of a replaced target's inode.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, populateOrThrow, ROOT } from '../../model/fs/index.js';
import { rename } from '../../model/fs/rename.js';
import { createEntry, emptyState, getInode, openFd, ROOT_INO, type FsState } from '../../model/fs/store.js';
import { INITIAL_TREE } from '../differential/cast.js';

function seeded(): ReturnType<typeof createKernel> {
  const k = createKernel();
  populateOrThrow(k, INITIAL_TREE);
  return k;
}

describe('rename refusals', () => {
  it.each([
    ['/tmp/.', '/tmp/x'],
    ['/tmp/bob-dir/..', '/tmp/x'],
    ['/', '/tmp/x'],
    ['/tmp/b-file', '/tmp/.'],
    ['/tmp/b-file', '/tmp/bob-dir/..'],
    ['/tmp/b-file', '/'],
  ])('should refuse %s -> %s (a dot or / as last component) with EINVAL and change nothing', (from, to) => {
    const k = seeded();
    const before = k.hash();
    const r = k.rename(ROOT, from, to);
    expect(r.ok ? 'ok' : r.error).toEqual({ errno: 'EINVAL', syscall: 'rename', path: from, dest: to });
    expect(k.hash()).toBe(before);
  });

  it.each([
    ['/tmp/none/x', '/tmp/y', 'ENOENT'],
    ['/tmp/b-file', '/tmp/none/y', 'ENOENT'],
    ['/tmp/b-file/x', '/tmp/y', 'ENOTDIR'],
    // both parents are walked before the source is looked at: the target's walk fails first
    ['/tmp/y', '/tmp/b-file/x', 'ENOTDIR'],
  ])('should name rename and both paths when %s -> %s fails walking a parent (%s)', (from, to, errno) => {
    const r = seeded().rename(ROOT, from, to);
    expect(r.ok ? 'ok' : r.error).toEqual({ errno, syscall: 'rename', path: from, dest: to });
  });
});

describe('rename over an existing entry', () => {
  const ctx = (s: FsState) => ({ s, personality: 'linux', protectedSymlinks: false, protectedRegular: 0 } as const);
  const file = (content: string) => ({ kind: 'file', mode: 0o644, uid: 0, gid: 0, content } as const);

  it('should free the replaced target, or keep it unlinked while a descriptor holds it', () => {
    const [s1, a] = createEntry(emptyState(), ROOT_INO, 'a', file('a'));
    const [s, b] = createEntry(s1, ROOT_INO, 'b', file('b'));
    const freed = rename(ctx(s), ROOT, '/a', '/b').next as FsState;
    expect(getInode(freed, a.ino)).toMatchObject({ content: 'a', links: 1 });
    expect(() => getInode(freed, b.ino)).toThrow('model bug');
    const [open] = openFd(s, { ino: b.ino, readable: true, writable: false, append: false, offset: 0 });
    const held = rename(ctx(open), ROOT, '/a', '/b').next as FsState;
    expect(getInode(held, b.ino)).toMatchObject({ content: 'b', links: 0 });
  });
});
