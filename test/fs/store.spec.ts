/** The storage layer: the persistent inode map and the memfs export. */
import { describe, expect, it } from 'vitest';
import { emptyIntMap, imGet, imSet } from '../../model/fs/int-map.js';
import {
  attach, closeFd, createEntry, detach, emptyState, getInode, isOpen, openFd, removeEntry, ROOT_INO,
  type DirInode, type NewInode, type OpenFile,
} from '../../model/fs/store.js';
import { createKernel, creds, populateOrThrow, ROOT } from '../../model/fs/index.js';
import { capable, inGroupP } from '../../model/fs/creds.js';
import { INITIAL_TREE } from '../differential/cast.js';

describe('persistent int map', () => {
  it('should grow past 32 and 1024 keys and keep every older version intact', () => {
    let m = emptyIntMap<number>();
    const versions = [m];
    for (let k = 0; k < 2000; k += 7) {
      m = imSet(m, k, k * 2);
      versions.push(m);
    }
    expect(imGet(m, 1995)).toBe(3990);
    expect(imGet(m, 1996)).toBeUndefined();
    expect(imGet(versions[1] ?? m, 7)).toBeUndefined();
    expect(imGet(versions[2] ?? m, 7)).toBe(14);
    expect(imGet(imSet(m, 7, undefined), 7)).toBeUndefined();
    expect(imGet(m, 7)).toBe(14);
  });

  it('should hold every key of a level apart, and nothing in an empty map', () => {
    expect(imGet(emptyIntMap<string>(), 0)).toBeUndefined();
    let m = emptyIntMap<number>();
    for (let k = 0; k < 64; k++) m = imSet(m, k, 1000 + k);
    for (let k = 0; k < 64; k++) expect(imGet(m, k)).toBe(1000 + k);
  });

  it('should find nothing at a key outside the map, where masking would alias a key inside it', () => {
    let m = emptyIntMap<number>();
    m = imSet(m, 0, 10);
    m = imSet(m, 31, 13);
    expect(imGet(m, 0)).toBe(10);
    expect(imGet(m, 31)).toBe(13);
    expect(imGet(m, 32)).toBeUndefined(); // 32 & 31 = 0
    expect(imGet(m, -1)).toBeUndefined(); // -1 & 31 = 31
    expect(imGet(m, 32 * 32 + 31)).toBeUndefined();
  });
});

describe('credentials', () => {
  it('should give root uid 0, gid 0, group 0, umask 022, frozen', () => {
    expect(ROOT).toEqual({ uid: 0, gid: 0, groups: [0], umask: 0o022 });
    expect(Object.isFrozen(ROOT) && Object.isFrozen(ROOT.groups)).toBe(true);
  });

  it('should default the supplementary groups to the primary group and keep only permission bits of the umask', () => {
    const c = creds(7, 8);
    expect(c).toEqual({ uid: 7, gid: 8, groups: [8], umask: 0o022 });
    expect(creds(7, 8, [8, 9], 0o7077).umask).toBe(0o077);
    const groups = [8, 9];
    const d = creds(7, 8, groups);
    groups.push(10);
    expect(d.groups).toEqual([8, 9]);
    expect(Object.isFrozen(d) && Object.isFrozen(d.groups)).toBe(true);
  });

  it('should hold every capability for uid 0 only, and know supplementary groups', () => {
    expect(capable(ROOT)).toBe(true);
    expect(capable(creds(0, 5))).toBe(true);
    expect(capable(creds(1, 0, [0]))).toBe(false);
    expect(inGroupP(creds(1, 5, [6]), 5)).toBe(true);
    expect(inGroupP(creds(1, 5, [6]), 6)).toBe(true);
    expect(inGroupP(creds(1, 5, [6]), 7)).toBe(false);
  });
});

describe('toVolume (memfs export)', () => {
  it('should copy modes, owners, contents and link targets into a memfs Volume', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const vol = k.toVolume();
    const st = vol.lstatSync('/nix/store');
    expect([st.mode & 0o7777, st.uid, st.gid, st.isDirectory()]).toEqual([0o1775, 0, 30000, true]);
    expect(vol.readFileSync('/tmp/b-file', 'utf8')).toBe('open');
    expect(vol.readlinkSync('/tmp/link-b')).toBe('/tmp/b-file');
    expect(vol.lstatSync('/tmp/c-suid').mode & 0o7777).toBe(0o6777);
    expect(vol.readdirSync('/nix/store')).toEqual(['aaa-foo', 'bbb-bar', 'ccc-suid', 'ddd-sgid']);
  });

  it('should show why memfs only stores: its own read check refuses a 0600 file the model lets root read', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    expect(() => k.toVolume().readFileSync('/tmp/a-file', 'utf8')).toThrow(/EACCES/);
    expect(k.readFile({ uid: 0, gid: 0, groups: [0], umask: 0o022 }, '/tmp/a-file')).toEqual({ ok: true, value: 'secret' });
  });
});

describe('store invariants (model bugs throw, descriptors keep unlinked inodes)', () => {
  const file: NewInode = { kind: 'file', mode: 0o644, uid: 1, gid: 2, content: 'c' };
  const dir: NewInode = { kind: 'dir', mode: 0o755, uid: 1, gid: 2 };
  const fd = (ino: number): OpenFile => ({ ino, readable: true, writable: false, append: false, offset: 0 });

  it('should throw on a missing inode, and on linking into, unlinking from or removing under a non-directory', () => {
    const [s, f] = createEntry(emptyState(), ROOT_INO, 'f', file);
    expect(() => getInode(s, 99)).toThrow('model bug: no inode 99');
    expect(() => attach(s, f.ino, 'x', f)).toThrow('model bug: attach to a non-directory');
    expect(() => detach(s, f.ino, 'x')).toThrow('model bug: detach from a non-directory');
    expect(() => removeEntry(s, f.ino, 'x')).toThrow('model bug: removing a missing entry');
    expect(() => removeEntry(s, ROOT_INO, 'missing')).toThrow('model bug: removing a missing entry');
  });

  it('should give a new file only file fields and a new directory its parent and no entries', () => {
    const [s, f] = createEntry(emptyState(), ROOT_INO, 'f', file);
    expect(f).toStrictEqual({ kind: 'file', mode: 0o644, uid: 1, gid: 2, content: 'c', ino: f.ino, links: 1, atime: 0, mtime: 0 });
    expect(getInode(s, f.ino)).toStrictEqual(f);
    const [t, d] = createEntry(s, ROOT_INO, 'd', dir);
    expect(d).toMatchObject({ kind: 'dir', parent: ROOT_INO, links: 1 });
    expect([...(d as DirInode).entries]).toEqual([]);
    expect(d.ino).not.toBe(f.ino);
    expect([...(getInode(t, ROOT_INO) as DirInode).entries]).toEqual([['f', f.ino], ['d', d.ino]]);
  });

  it('should point a directory linked elsewhere at its new parent, and add no parent to a file', () => {
    const [s1, a] = createEntry(emptyState(), ROOT_INO, 'a', dir);
    const [s2, b] = createEntry(s1, ROOT_INO, 'b', dir);
    const [s3, f] = createEntry(s2, a.ino, 'f', file);
    const moved = attach(detach(s3, ROOT_INO, 'b'), a.ino, 'b', b);
    expect(getInode(moved, b.ino)).toMatchObject({ kind: 'dir', parent: a.ino });
    expect(getInode(attach(detach(moved, a.ino, 'f'), b.ino, 'g', f), f.ino)).toStrictEqual(f);
  });

  it('should know which inodes a descriptor holds', () => {
    const [s, f] = createEntry(emptyState(), ROOT_INO, 'f', file);
    expect(isOpen(s, f.ino)).toBe(false);
    const [other] = openFd(s, fd(ROOT_INO));
    expect(isOpen(other, f.ino)).toBe(false);
    const [both] = openFd(other, fd(f.ino));
    expect(isOpen(both, f.ino)).toBe(true);
    expect(isOpen(both, ROOT_INO)).toBe(true);
  });

  it('should drop a removed inode nobody holds, and free a held one at the last close only', () => {
    const [s, f] = createEntry(emptyState(), ROOT_INO, 'f', file);
    expect(() => getInode(removeEntry(s, ROOT_INO, 'f'), f.ino)).toThrow('model bug');
    const [s1, one] = openFd(s, fd(f.ino));
    const [s2, two] = openFd(s1, fd(f.ino));
    const removed = removeEntry(s2, ROOT_INO, 'f');
    expect(getInode(removed, f.ino)).toStrictEqual({ ...f, links: 0 });
    expect(closeFd(removed, 42)).toBe(removed);
    const closedOne = closeFd(removed, one);
    expect(getInode(closedOne, f.ino)).toStrictEqual({ ...f, links: 0 });
    expect(() => getInode(closeFd(closedOne, two), f.ino)).toThrow('model bug');
  });

  it('should keep a linked inode when its last descriptor closes', () => {
    const [s, f] = createEntry(emptyState(), ROOT_INO, 'f', file);
    const [held, one] = openFd(s, fd(f.ino));
    expect(getInode(closeFd(held, one), f.ino)).toStrictEqual(f);
  });
});

describe('toVolume order', () => {
  it('should build the same volume, entries in name order, whatever order the tree was made in', () => {
    const made = (names: readonly string[]): string[] => {
      const k = createKernel();
      for (const n of names) {
        const r = n.endsWith('/') ? k.mkdir(ROOT, n, 0o755) : k.writeFile(ROOT, n, n, 0o644);
        expect(r.ok).toBe(true);
      }
      return Object.keys(k.toVolume().toJSON());
    };
    const sorted = ['/a', '/b/x', '/b/y', '/c'];
    expect(made(['/c', '/b/', '/b/y', '/b/x', '/a'])).toEqual(sorted);
    expect(made(['/a', '/b/', '/b/x', '/b/y', '/c'])).toEqual(sorted);
    expect(made(['/b/', '/b/y', '/a', '/c', '/b/x'])).toEqual(sorted);
  });
});
