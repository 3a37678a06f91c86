/**
 * The canonical views of a state: tree() listings (sorted by path as strings compare, a directory
 * without content) and changedSince, which must see exactly what differs in those listings.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, populateOrThrow, ROOT, type TreeEntry } from '../../model/fs/index.js';
import { emptyState } from '../../model/fs/store.js';
import { tree } from '../../model/fs/snapshot.js';

const root: TreeEntry = { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 };

describe('tree', () => {
  it('should list paths as strings sort, not in walk or creation order', () => {
    const k = createKernel();
    for (const d of ['/z', '/a', '/a/b', '/a-b', '/a/b/c', '/m']) expect(k.mkdir(ROOT, d, 0o755).ok).toBe(true);
    // '-' sorts before '/', so /a-b comes between /a and its children
    const want = ['/', '/a', '/a-b', '/a/b', '/a/b/c', '/m', '/z'];
    expect(k.tree().map((e) => e.path)).toEqual(want);
    expect(k.tree('/a').map((e) => e.path)).toEqual(['/a', '/a/b', '/a/b/c']);
  });

  it('should list a directory without a content field, a file with its content and a link with its target', () => {
    const k = createKernel();
    populateOrThrow(k, [
      root,
      { path: '/d', kind: 'dir', mode: 0o700, uid: 1, gid: 2 },
      { path: '/d/f', kind: 'file', mode: 0o600, uid: 1, gid: 2, content: 'c' },
      { path: '/d/l', kind: 'symlink', mode: 0o777, uid: 1, gid: 2, content: 'f' },
    ]);
    expect(k.tree('/d')).toStrictEqual([
      { path: '/d', kind: 'dir', mode: 0o700, uid: 1, gid: 2 },
      { path: '/d/f', kind: 'file', mode: 0o600, uid: 1, gid: 2, content: 'c' },
      { path: '/d/l', kind: 'symlink', mode: 0o777, uid: 1, gid: 2, content: 'f' },
    ]);
  });

  it('should list nothing under a root that is missing, or whose parent is missing or a file', () => {
    const k = createKernel();
    populateOrThrow(k, [root, { path: '/f', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '' }]);
    expect(k.tree('/missing')).toEqual([]);
    expect(k.tree('/missing/x')).toEqual([]);
    expect(k.tree('/missing/x/y')).toEqual([]);
    expect(k.tree('/f/x')).toEqual([]);
    expect(tree(emptyState())).toEqual([root]);
  });
});

describe('changedSince', () => {
  const base = (): ReturnType<typeof createKernel> => {
    const k = createKernel();
    populateOrThrow(k, [
      root,
      { path: '/d', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/d/f', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: 'f' },
      { path: '/d/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: 'f' },
      { path: '/d/m', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: 'f' },
    ]);
    return k;
  };

  it('should see a link pointed elsewhere, mode and owners unchanged', () => {
    const k = base();
    const before = k.snapshot();
    expect(k.unlink(ROOT, '/d/l').ok && k.symlink(ROOT, 'elsewhere', '/d/l').ok).toBe(true);
    expect(k.changedSince(before, ['/'])).toEqual(['/d/l']);
    expect(k.changedSince(before, ['/d/l'])).toEqual(['/d/l']);
  });

  it('should see a file\'s new content, mode and owners unchanged', () => {
    const k = base();
    const before = k.snapshot();
    expect(k.writeFile(ROOT, '/d/f', 'g').ok).toBe(true);
    expect(k.changedSince(before, ['/d/f'])).toEqual(['/d/f']);
  });

  it('should see nothing where an entry was replaced by an equal one (a new inode, same listing; times are not listed)', () => {
    const k = base();
    const before = k.snapshot();
    expect(k.unlink(ROOT, '/d/l').ok && k.symlink(ROOT, 'f', '/d/l').ok).toBe(true);
    expect(k.rename(ROOT, '/d/m', '/d/n').ok && k.rename(ROOT, '/d/n', '/d/m').ok).toBe(true);
    expect(k.unlink(ROOT, '/d/f').ok && k.writeFile(ROOT, '/d/f', 'f', 0o644).ok).toBe(true);
    expect(k.changedSince(before, ['/d/l', '/d/m', '/d/f'])).toEqual([]);
    expect(k.changedSince(before, ['/'])).toEqual([]);
  });

  it('should see a directory replaced by a file of the same mode and owners', () => {
    const k = base();
    const before = k.snapshot();
    expect(k.unlink(ROOT, '/d/f').ok && k.unlink(ROOT, '/d/l').ok && k.unlink(ROOT, '/d/m').ok && k.rmdir(ROOT, '/d').ok).toBe(true);
    expect(k.writeFile(ROOT, '/d', '', 0o755).ok).toBe(true);
    expect(k.tree('/d')).toEqual([{ path: '/d', kind: 'file', mode: 0o755, uid: 0, gid: 0, content: '' }]);
    expect(k.changedSince(before, ['/d'])).toEqual(['/d', '/d/f', '/d/l', '/d/m']);
  });
});

describe('hash', () => {
  it('should tell apart trees that differ only in a link\'s target', () => {
    const hashOf = (target: string): string => {
      const k = createKernel();
      populateOrThrow(k, [root, { path: '/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: target }]);
      return k.hash();
    };
    expect(hashOf('a')).not.toBe(hashOf('b'));
    expect(hashOf('a')).toBe(hashOf('a'));
  });
});
