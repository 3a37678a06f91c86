/** The kernel as an object: the observer seam, snapshots, the canonical hash, descriptors, determinism. */
import { describe, expect, it, vi } from 'vitest';
import { createKernel, populateOrThrow, ROOT, SyscallAborted, type FsKernel, type Kernel, type SyscallRecord, type TreeEntry } from '../../model/fs/index.js';
import { CAST, INITIAL_TREE } from '../differential/cast.js';

const { alice, bob } = CAST;

function seeded(): Kernel {
  const k = createKernel();
  populateOrThrow(k, INITIAL_TREE);
  return k;
}

describe('observer seam', () => {
  it('should see every syscall before and after, with its outcome', () => {
    const k = seeded();
    const seen: string[] = [];
    k.observe((phase, call) => {
      seen.push(`${phase} ${call.syscall} ${call.creds.uid} ${call.result ? (call.result.ok ? 'ok' : call.result.errno) : '-'}`);
      return undefined;
    });
    k.mkdir(alice, '/tmp/d', 0o755);
    k.unlink(alice, '/tmp/b-file');
    expect(seen).toEqual(['before mkdir 30001 -', 'after mkdir 30001 ok', 'before unlink 30001 -', 'after unlink 30001 EPERM']);
  });

  it('should throw SyscallAborted and not perform a call an observer aborts', () => {
    const k = seeded();
    const before = k.hash();
    k.observe((phase, call) => (phase === 'before' && call.syscall === 'unlink' ? 'abort' : undefined));
    expect(() => k.unlink(bob, '/tmp/b-file')).toThrow(SyscallAborted);
    expect(k.hash()).toBe(before);
    expect(k.lstat(bob, '/tmp/b-file').ok).toBe(true);
  });

  it('should carry the aborted call on the exception', () => {
    const k = seeded();
    k.observe(() => 'abort');
    try {
      k.rename(alice, '/tmp/a-file', '/tmp/z');
      expect.unreachable();
    } catch (e) {
      expect((e as SyscallAborted).call).toMatchObject({ syscall: 'rename', args: ['/tmp/a-file', '/tmp/z'] } satisfies Partial<SyscallRecord>);
    }
  });

  it('should stop calling an observer once it is removed', () => {
    const k = seeded();
    const calls = vi.fn(() => undefined);
    const stop = k.observe(calls);
    k.stat(alice, '/tmp');
    stop();
    k.stat(alice, '/tmp');
    expect(calls).toHaveBeenCalledTimes(2);
  });

  it('should keep calling the other observers when one is removed', () => {
    const k = seeded();
    const kept = vi.fn(() => undefined);
    const dropped = vi.fn(() => undefined);
    k.observe(kept);
    const stop = k.observe(dropped);
    stop();
    k.stat(alice, '/tmp');
    expect(kept).toHaveBeenCalledTimes(2);
    expect(dropped).not.toHaveBeenCalled();
  });
});

describe('snapshot and restore', () => {
  it('should bring back the tree, contents and open descriptors', () => {
    const k = seeded();
    const fd = k.open(bob, '/tmp/b-file', { access: 'r' });
    if (!fd.ok) throw new Error('open failed');
    const snap = k.snapshot();
    const tree = k.tree();
    k.writeFile(bob, '/tmp/b-file', 'changed');
    k.close(bob, fd.value);
    k.restore(snap);
    expect(k.tree()).toEqual(tree);
    expect(k.read(bob, fd.value)).toEqual({ ok: true, value: 'open' });
  });

  it('should keep a snapshot unchanged by later syscalls', () => {
    const k = seeded();
    const s1 = k.snapshot();
    const h1 = k.hash();
    k.mkdir(alice, '/tmp/d', 0o755);
    const s2 = k.snapshot();
    const h2 = k.hash();
    k.restore(s1);
    expect(k.hash()).toBe(h1);
    k.restore(s2);
    expect(k.hash()).toBe(h2);
    expect(Object.isFrozen(s1)).toBe(true);
  });

  it('should refuse an object that is not a snapshot', () => {
    expect(() => { seeded().restore({ __brand: 'FsSnapshot' }); }).toThrow(/snapshot/);
    expect(() => seeded().changedSince({ __brand: 'FsSnapshot' }, ['/'])).toThrow(/changedSince\(\) of an object that snapshot\(\) did not return/);
  });
});

describe('hash', () => {
  it('should not depend on creation order, inode numbers or times', () => {
    const a = seeded();
    a.writeFile(ROOT, '/tmp/x', '1');
    a.mkdir(ROOT, '/tmp/y', 0o755);
    const b = seeded();
    b.writeFile(ROOT, '/tmp/junk', '');
    b.mkdir(ROOT, '/tmp/y', 0o755);
    b.unlink(ROOT, '/tmp/junk');
    b.writeFile(ROOT, '/tmp/x', '1');
    b.utimes(ROOT, '/tmp/x', 123, 456);
    expect(b.hash()).toBe(a.hash());
  });

  it('should change with mode, owner, content, link target and name', () => {
    const variants = [
      (k: FsKernel) => k.chmod(ROOT, '/tmp/b-file', 0o600),
      (k: FsKernel) => k.chown(ROOT, '/tmp/b-file', 30001, -1),
      (k: FsKernel) => k.writeFile(ROOT, '/tmp/b-file', 'other'),
      (k: FsKernel) => { k.unlink(ROOT, '/tmp/link-b'); return k.symlink(ROOT, '/tmp/a-file', '/tmp/link-b'); },
      (k: FsKernel) => k.rename(ROOT, '/tmp/b-file', '/tmp/b-file2'),
    ];
    const hashes = new Set([seeded().hash()]);
    for (const change of variants) {
      const k = seeded();
      expect(change(k).ok).toBe(true);
      hashes.add(k.hash());
    }
    expect(hashes.size).toBe(variants.length + 1);
  });

  /** Trees that differ in one respect each, from a small listing; every pair must hash apart. */
  it('should tell apart the root\'s attributes, kinds, nesting and contents', () => {
    const root: TreeEntry = { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 };
    const dir = (path: string): TreeEntry => ({ path, kind: 'dir', mode: 0o777, uid: 1, gid: 1 });
    const file = (path: string, content = 'x'): TreeEntry => ({ path, kind: 'file', mode: 0o777, uid: 1, gid: 1, content });
    const link = (path: string, target = 'x'): TreeEntry => ({ path, kind: 'symlink', mode: 0o777, uid: 1, gid: 1, content: target });
    const trees: TreeEntry[][] = [
      [root],
      [{ ...root, mode: 0o700 }],
      [{ ...root, uid: 1 }],
      [{ ...root, gid: 1 }],
      [root, file('/a')],
      [root, link('/a')],
      [root, file('/a', '')],
      [root, dir('/a')],
      [root, dir('/a'), dir('/a/b')],
      [root, dir('/a'), dir('/b')],
      [root, dir('/a'), dir('/a/b'), dir('/c')],
      [root, dir('/a'), dir('/a/b'), dir('/a/c')],
      [root, dir('/a'), dir('/a/b'), dir('/a/b/c')],
      [root, dir('/a'), file('/a/b', 'x')],
      [root, dir('/a'), file('/a/bx', '')],
    ];
    const hashes = trees.map((t) => { const k = createKernel(); populateOrThrow(k, t); return k.hash(); });
    expect(new Set(hashes).size).toBe(trees.length);
    expect(hashes.every((h) => /^[0-9a-f]{32}$/.test(h))).toBe(true);
  });

  it('should hash a restored state as it hashed when the snapshot was taken', () => {
    const k = seeded();
    const before = k.hash();
    const snap = k.snapshot();
    k.writeFile(ROOT, '/tmp/n', 'n');
    const after = k.hash();
    k.restore(snap);
    expect(k.hash()).toBe(before);
    expect(after).not.toBe(before);
  });
});

describe('determinism', () => {
  it('should give the same syscalls the same inode numbers', () => {
    const inos = (): number[] => {
      const k = seeded();
      k.mkdir(alice, '/tmp/d', 0o755);
      k.writeFile(alice, '/tmp/d/f', 'x');
      return ['/tmp/d', '/tmp/d/f'].map((p) => { const s = k.lstat(ROOT, p); return s.ok ? s.value.ino : -1; });
    };
    expect(inos()).toEqual(inos());
  });

  it('should not depend on the uid of the process running the model', () => {
    const spy = vi.spyOn(process, 'getuid').mockReturnValue(4242);
    try {
      const k = seeded();
      expect(k.unlink(alice, '/tmp/b-file')).toMatchObject({ ok: false, error: { errno: 'EPERM' } });
      expect(k.readFile(ROOT, '/tmp/a-file')).toEqual({ ok: true, value: 'secret' });
      expect(k.toVolume().statSync('/tmp/a-file').uid).toBe(30001);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('descriptors', () => {
  it('should keep an unlinked open file readable until the last close', () => {
    const k = seeded();
    const fd = k.open(bob, '/tmp/b-file', { access: 'r' });
    if (!fd.ok) throw new Error('open failed');
    expect(k.unlink(bob, '/tmp/b-file').ok).toBe(true);
    expect(k.read(bob, fd.value)).toEqual({ ok: true, value: 'open' });
    expect(k.close(bob, fd.value).ok).toBe(true);
    expect(k.read(bob, fd.value)).toMatchObject({ ok: false, error: { errno: 'EBADF' } });
  });

  it('should reuse the lowest free descriptor number', () => {
    const k = seeded();
    const open = (): number => { const r = k.open(ROOT, '/tmp', { access: 'r' }); return r.ok ? r.value : -1; };
    expect([open(), open()]).toEqual([3, 4]);
    k.close(ROOT, 3);
    expect(open()).toBe(3);
  });

  it('should fail with EBADF closing a descriptor that is not open', () => {
    expect(seeded().close(ROOT, 77)).toMatchObject({ ok: false, error: { errno: 'EBADF' } });
  });
});

describe('tree', () => {
  it('should list a subtree without permission checks, sorted by path', () => {
    const k = seeded();
    k.writeFile(ROOT, '/home/alice/a-b', '');
    k.mkdir(ROOT, '/home/alice/a', 0o700);
    k.writeFile(ROOT, '/home/alice/a/b', '');
    expect(k.tree('/home/alice').map((e) => e.path)).toEqual([
      '/home/alice', '/home/alice/a', '/home/alice/a-b', '/home/alice/a/b', '/home/alice/notes', '/home/alice/store',
    ]);
  });

  it('should list a symlink itself and nothing for a missing root', () => {
    const k = seeded();
    expect(k.tree('/home/alice/store')).toEqual([{ path: '/home/alice/store', kind: 'symlink', mode: 0o777, uid: 30001, gid: 30000, content: '/nix/store' }]);
    expect(k.tree('/nope')).toEqual([]);
  });

  it('should read the root path as a path, with or without slashes, and find nothing under a file', () => {
    const k = seeded();
    const store = k.tree('/nix/store');
    expect(store[0]?.path).toBe('/nix/store');
    expect(k.tree('nix/store/')).toEqual(store);
    expect(k.tree('//nix//store')).toEqual(store);
    expect(k.tree('/tmp/a-file/x')).toEqual([]);
    expect(k.tree('/tmp/a-file')).toEqual([{ path: '/tmp/a-file', kind: 'file', mode: 0o600, uid: 30001, gid: 30000, content: 'secret' }]);
    expect(k.tree().map((e) => e.path)).toEqual(INITIAL_TREE.map((e) => e.path).sort());
  });
});
