/**
 * populate builds every scenario's and test's starting tree: what it lists must be what the kernel then
 * holds, exactly, whatever order the listing comes in.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, populate, populateOrThrow, type TreeEntry } from '../../model/fs/index.js';
import { INITIAL_TREE } from '../differential/cast.js';

const byPath = (a: TreeEntry, b: TreeEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** tree() lists a file's or link's content and leaves it out for a directory; so does a listing. */
function normalise(entries: readonly TreeEntry[]): TreeEntry[] {
  return entries.map((e) => (e.kind === 'dir' ? { path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid }
    : { path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, content: e.content ?? '' })).sort(byPath);
}

describe('populate', () => {
  it('should give back exactly the listing, in any order', () => {
    for (const order of [INITIAL_TREE, [...INITIAL_TREE].reverse(), [...INITIAL_TREE].sort((a, b) => b.mode - a.mode)]) {
      const k = createKernel();
      const given = [...order];
      populateOrThrow(k, order);
      expect(k.tree()).toEqual(normalise(INITIAL_TREE));
      expect(order, 'the caller\'s listing is left in its order').toEqual(given);
    }
  });

  it('should keep setuid and setgid bits on entries owned by someone else (chown before chmod)', () => {
    const k = createKernel();
    populateOrThrow(k, [
      { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/s', kind: 'file', mode: 0o6755, uid: 1000, gid: 100, content: 'x' },
      { path: '/d', kind: 'dir', mode: 0o2775, uid: 1000, gid: 100 },
    ]);
    expect(k.tree().map((e) => [e.path, e.mode, e.uid, e.gid])).toEqual([
      ['/', 0o755, 0, 0], ['/d', 0o2775, 1000, 100], ['/s', 0o6755, 1000, 100],
    ]);
  });

  it('should set the mode and owner of / itself', () => {
    const k = createKernel();
    populateOrThrow(k, [{ path: '/', kind: 'dir', mode: 0o711, uid: 5, gid: 6 }]);
    expect(k.tree()).toEqual([{ path: '/', kind: 'dir', mode: 0o711, uid: 5, gid: 6 }]);
  });

  it('should own a symlink itself and leave its target\'s mode alone', () => {
    const k = createKernel();
    populateOrThrow(k, [
      { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/f', kind: 'file', mode: 0o600, uid: 7, gid: 7, content: 'c' },
      { path: '/l', kind: 'symlink', mode: 0o777, uid: 8, gid: 9, content: '/f' },
    ]);
    expect(k.tree()).toEqual([
      { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/f', kind: 'file', mode: 0o600, uid: 7, gid: 7, content: 'c' },
      { path: '/l', kind: 'symlink', mode: 0o777, uid: 8, gid: 9, content: '/f' },
    ]);
  });

  it('should make a file listed without content empty', () => {
    const k = createKernel();
    populateOrThrow(k, [{ path: '/e', kind: 'file', mode: 0o644, uid: 0, gid: 0 }]);
    expect(k.tree('/e')).toEqual([{ path: '/e', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '' }]);
  });

  it('should stop at the first entry it cannot make and name it', () => {
    const entries: TreeEntry[] = [
      { path: '/f', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '' },
      { path: '/f/x', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '' },
      { path: '/z', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    ];
    const k = createKernel();
    const r = populate(k, entries);
    expect(r.ok ? 'ok' : r.error).toEqual({ errno: 'ENOTDIR', syscall: 'writeFile', path: '/f/x' });
    expect(k.tree('/z')).toEqual([]);
    expect(() => { populateOrThrow(createKernel(), entries); }).toThrow('populate: writeFile /f/x: ENOTDIR');
    expect(() => { populateOrThrow(createKernel(), [{ path: '/d/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: '' }]); })
      .toThrow('populate: symlink /d/l: ENOENT');
  });
});

describe('populate, odd listings', () => {
  it('should refuse a link listed without a target, as symlink(2) refuses an empty one', () => {
    const k = createKernel();
    const r = populate(k, [{ path: '/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0 }]);
    expect(r.ok ? 'ok' : [r.error.errno, r.error.syscall, r.error.path]).toEqual(['ENOENT', 'symlink', '/l']);
    expect(k.tree('/l')).toEqual([]);
  });

  it('should give / only its owner and mode, whatever kind it is listed as', () => {
    for (const kind of ['dir', 'file'] as const) {
      const k = createKernel();
      populateOrThrow(k, [{ path: '/', kind, mode: 0o711, uid: 3, gid: 4, content: 'x' }]);
      expect(k.tree()).toEqual([{ path: '/', kind: 'dir', mode: 0o711, uid: 3, gid: 4 }]);
    }
  });

  it('should report a chmod that fails: a directory listed over a link, the link handed to another user in sticky /tmp (protected_symlinks)', () => {
    const k = createKernel({ protectedSymlinks: true });
    const r = populate(k, [
      { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/tmp', kind: 'dir', mode: 0o1777, uid: 0, gid: 0 },
      { path: '/d', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/tmp/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: '/d' },
      // mkdir -p follows root's link to /d; lchown gives the link to 30001; chmod, following it, is refused
      { path: '/tmp/l', kind: 'dir', mode: 0o700, uid: 30001, gid: 0 },
    ]);
    expect(r.ok ? 'ok' : r.error).toEqual({ errno: 'EACCES', syscall: 'chmod', path: '/tmp/l' });
  });

  it('should leave a path listed twice as its later listing says', () => {
    const k = createKernel();
    populateOrThrow(k, [
      { path: '/d', kind: 'dir', mode: 0o700, uid: 1, gid: 1 },
      { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { path: '/d', kind: 'dir', mode: 0o750, uid: 2, gid: 2 },
    ]);
    expect(k.tree('/d')).toEqual([{ path: '/d', kind: 'dir', mode: 0o750, uid: 2, gid: 2 }]);
  });
});
