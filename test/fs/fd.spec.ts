/**
 * Descriptor offsets: what a sequence of read(2) and write(2) calls on one descriptor leaves, as POSIX
 * says (one shared offset per open file description, O_APPEND writing at the end). A builder's output
 * and a trace's file contents are made of these calls.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, populateOrThrow, type FsResult, type Kernel } from '../../model/fs/index.js';
import { CAST, INITIAL_TREE } from '../differential/cast.js';

const { alice } = CAST;

function seeded(): Kernel {
  const k = createKernel();
  populateOrThrow(k, INITIAL_TREE);
  return k;
}

function value<T>(r: FsResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.syscall} ${r.error.path}: ${r.error.errno}`);
  return r.value;
}

describe('one descriptor, several calls', () => {
  it('should read on from where a write left the offset, then nothing', () => {
    const k = seeded();
    const fd = value(k.open(alice, '/tmp/a-file', { access: 'rw' }));
    expect(value(k.write(alice, fd, 'XY'))).toBe(2);
    expect(value(k.read(alice, fd))).toBe('cret');
    expect(value(k.read(alice, fd))).toBe('');
    value(k.close(alice, fd));
    expect(value(k.readFile(alice, '/tmp/a-file'))).toBe('XYcret');
  });

  it('should write each call after the last', () => {
    const k = seeded();
    const fd = value(k.open(alice, '/tmp/n', { access: 'w', creat: true }, 0o600));
    value(k.write(alice, fd, 'ab'));
    value(k.write(alice, fd, 'cd'));
    value(k.write(alice, fd, 'e'));
    value(k.close(alice, fd));
    expect(value(k.readFile(alice, '/tmp/n'))).toBe('abcde');
  });

  it('should write at the end with O_APPEND, wherever the offset is', () => {
    const k = seeded();
    const fd = value(k.open(alice, '/tmp/a-file', { access: 'rw', append: true }));
    expect(value(k.read(alice, fd))).toBe('secret');
    value(k.write(alice, fd, '1'));
    value(k.write(alice, fd, '2'));
    value(k.close(alice, fd));
    expect(value(k.readFile(alice, '/tmp/a-file'))).toBe('secret12');
  });

  it('should keep a descriptor\'s offset through another descriptor\'s writes', () => {
    const k = seeded();
    const r = value(k.open(alice, '/tmp/a-file', { access: 'r' }));
    expect(value(k.read(alice, r))).toBe('secret');
    value(k.writeFile(alice, '/tmp/a-file', 'secret and more'));
    expect(value(k.read(alice, r))).toBe(' and more');
  });

  it('should refuse a write, read or close on a descriptor that was never opened', () => {
    const k = seeded();
    const err = (r: FsResult<unknown>) => (r.ok ? 'ok' : r.error.errno);
    expect(err(k.write(alice, 77, 'x'))).toBe('EBADF');
    expect(err(k.read(alice, 77))).toBe('EBADF');
    expect(err(k.close(alice, 77))).toBe('EBADF');
    const w = value(k.open(alice, '/tmp/a-file', { access: 'w' }));
    expect(err(k.read(alice, w))).toBe('EBADF');
  });

  it('should read a whole file and leave no descriptor open', () => {
    const k = seeded();
    expect(value(k.readFile(alice, '/tmp/a-file'))).toBe('secret');
    expect(value(k.open(alice, '/tmp/a-file', { access: 'r' }))).toBe(3);
    const err = (r: FsResult<unknown>) => (r.ok ? 'ok' : r.error.errno);
    expect(err(k.readFile(alice, '/tmp'))).toBe('EISDIR');
    expect(err(k.readFile(alice, '/home/alice/nope'))).toBe('ENOENT');
    expect(err(k.writeFile(alice, '/home/carol/ro/x', 'x'))).toBe('EACCES');
  });
});

describe('times', () => {
  const mtime = (k: Kernel, path: string): number => value(k.lstat(alice, path)).mtime;

  it('should move a directory\'s mtime on every entry made, renamed or removed in it, and not on a failed call', () => {
    const k = seeded();
    let t = mtime(k, '/tmp');
    const moved = (f: () => unknown): boolean => { f(); const now = mtime(k, '/tmp'); const was = t; t = now; return now > was; };
    expect(moved(() => k.writeFile(alice, '/tmp/n', 'x'))).toBe(true);
    expect(moved(() => k.mkdir(alice, '/tmp/d', 0o755))).toBe(true);
    expect(moved(() => k.symlink(alice, 'n', '/tmp/l'))).toBe(true);
    expect(moved(() => k.rename(alice, '/tmp/n', '/tmp/n2'))).toBe(true);
    expect(moved(() => k.unlink(alice, '/tmp/l'))).toBe(true);
    expect(moved(() => k.rmdir(alice, '/tmp/d'))).toBe(true);
    expect(moved(() => k.unlink(alice, '/tmp/b-file'))).toBe(false);
  });

  it('should move a file\'s mtime on a write or a truncation, not on a read', () => {
    const k = seeded();
    let t = mtime(k, '/tmp/a-file');
    value(k.readFile(alice, '/tmp/a-file'));
    expect(mtime(k, '/tmp/a-file')).toBe(t);
    value(k.writeFile(alice, '/tmp/a-file', 'new'));
    expect(mtime(k, '/tmp/a-file')).toBeGreaterThan(t);
    t = mtime(k, '/tmp/a-file');
    value(k.open(alice, '/tmp/a-file', { access: 'w', trunc: true }));
    expect(mtime(k, '/tmp/a-file')).toBeGreaterThan(t);
  });
});
