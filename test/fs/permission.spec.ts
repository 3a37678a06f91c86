/** The permission functions on their own, for the cases no syscall in the model reaches (exec). */
import { describe, expect, it } from 'vitest';
import { creds, ROOT } from '../../model/fs/index.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE } from '../../model/fs/mode.js';
import { checkSticky, genericPermission, mayChown, mayDelete, modeStripSgid } from '../../model/fs/permission.js';
import type { DirInode, FileInode } from '../../model/fs/store.js';

const alice = creds(30001, 30000);
const bob = creds(30002, 30000, [30000, 30010]);
const file = (mode: number, uid = 30001, gid = 30000): FileInode => ({ kind: 'file', ino: 9, mode, uid, gid, links: 1, atime: 0, mtime: 0, content: '' });
const dir = (mode: number, uid = 0, gid = 0): DirInode => ({ kind: 'dir', ino: 8, mode, uid, gid, links: 1, atime: 0, mtime: 0, parent: 1, entries: new Map() });

describe('generic_permission', () => {
  it('should let root read and write a mode 0000 file (CAP_DAC_OVERRIDE)', () => {
    expect(genericPermission(ROOT, file(0), MAY_READ | MAY_WRITE)).toBeNull();
  });
  it('should fail with EACCES when root executes a regular file with no x bit', () => {
    expect(genericPermission(ROOT, file(0o644), MAY_EXEC)).toBe('EACCES');
  });
  it('should let root execute a regular file with any one x bit', () => {
    expect(genericPermission(ROOT, file(0o601), MAY_EXEC)).toBeNull();
    // root is judged as "other" here, whose bits lack x: only CAP_DAC_OVERRIDE's any-x rule lets it in
    expect(genericPermission(ROOT, file(0o710), MAY_EXEC)).toBeNull();
  });
  it('should let root search a mode 0000 directory', () => {
    expect(genericPermission(ROOT, dir(0), MAY_EXEC | MAY_WRITE)).toBeNull();
  });
  it('should choose exactly one class: the owner is judged by the owner bits only', () => {
    expect(genericPermission(alice, file(0o077), MAY_READ)).toBe('EACCES');
    expect(genericPermission(bob, file(0o070), MAY_READ)).toBeNull();
  });
  it('should grant group bits through supplementary groups', () => {
    expect(genericPermission(bob, file(0o040, 0, 30010), MAY_READ)).toBeNull();
    expect(genericPermission(alice, file(0o040, 0, 30010), MAY_READ)).toBe('EACCES');
  });
});

describe('may_delete and check_sticky', () => {
  it('should report EACCES before EPERM', () => {
    expect(mayDelete(alice, dir(0o1755), file(0o644, 30002), false)).toBe('EACCES');
    expect(mayDelete(alice, dir(0o1777), file(0o644, 30002), false)).toBe('EPERM');
  });
  it('should exempt the entry owner, the directory owner and root from the sticky bit', () => {
    expect(checkSticky(alice, dir(0o1777), file(0o644, 30001))).toBe(false);
    expect(checkSticky(alice, dir(0o1777, 30001), file(0o644, 30002))).toBe(false);
    expect(checkSticky(ROOT, dir(0o1777), file(0o644, 30002))).toBe(false);
    expect(checkSticky(alice, dir(0o777), file(0o644, 30002))).toBe(false);
  });
  it('should report EISDIR for unlink and ENOTDIR for rmdir of the wrong kind', () => {
    expect(mayDelete(ROOT, dir(0o755), dir(0o755), false)).toBe('EISDIR');
    expect(mayDelete(ROOT, dir(0o755), file(0o644), true)).toBe('ENOTDIR');
  });
});

describe('chown_ok and chgrp_ok', () => {
  it('should let only root change the owner', () => {
    expect(mayChown(alice, file(0o644), 30002, -1)).toBe('EPERM');
    expect(mayChown(ROOT, file(0o644), 30002, -1)).toBeNull();
  });
  it('should let the owner change the group only to its own groups', () => {
    expect(mayChown(bob, file(0o644, 30002), -1, 30010)).toBeNull();
    expect(mayChown(bob, file(0o644, 30002), -1, 30003)).toBe('EPERM');
  });
});

describe('mode_strip_sgid', () => {
  it('should strip S_ISGID only for group-executable modes in a setgid directory of a foreign group', () => {
    const carol = creds(30003, 30003);
    expect(modeStripSgid(carol, dir(0o2777, 0, 30000), 0o2775)).toBe(0o775);
    expect(modeStripSgid(carol, dir(0o2777, 0, 30000), 0o2664)).toBe(0o2664);
    expect(modeStripSgid(carol, dir(0o777, 0, 30000), 0o2775)).toBe(0o2775);
    expect(modeStripSgid(bob, dir(0o2777, 0, 30000), 0o2775)).toBe(0o2775);
  });
});
