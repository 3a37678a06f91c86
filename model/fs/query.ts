/** Syscalls that only look: stat(2), lstat(2), readlink(2), readdir(3). */
import { done, isErrno, refuse, type Step } from './errno.js';
import { MAY_READ } from './mode.js';
import { lookupPath, target, type Ctx } from './namei.js';
import { mayOpen } from './permission.js';
import { getInode, type FsState, type Inode } from './store.js';
import type { Creds, Stat } from './types.js';

/**
 * stat as the model reports it. nlink: 2 + subdirectories for a directory (ext4), else the link
 * count. size: content length, target length for a symlink, 0 for a directory (file-system specific
 * on Linux, so not modelled).
 */
export function statOf(s: FsState, inode: Inode): Stat {
  let nlink: number = inode.links;
  let size = 0;
  if (inode.kind === 'dir') {
    nlink = 2;
    for (const ino of inode.entries.values()) if (getInode(s, ino).kind === 'dir') nlink++;
  }
  if (inode.kind === 'file') size = inode.content.length;
  if (inode.kind === 'symlink') size = inode.target.length;
  return { kind: inode.kind, mode: inode.mode, uid: inode.uid, gid: inode.gid, size, ino: inode.ino, nlink, mtime: inode.mtime };
}

/** stat(2): search permission on the way, none on the file itself. */
export function stat(ctx: Ctx, c: Creds, path: string): Step<Stat> {
  const last = lookupPath(ctx, c, path, true);
  if (isErrno(last)) return refuse(last, 'stat', path);
  return done(statOf(ctx.s, target(last)));
}

/** lstat(2): does not follow a symlink in last position (a trailing slash still does). */
export function lstat(ctx: Ctx, c: Creds, path: string): Step<Stat> {
  const last = lookupPath(ctx, c, path, false);
  if (isErrno(last)) return refuse(last, 'lstat', path);
  return done(statOf(ctx.s, target(last)));
}

/** readlink(2): EINVAL when the last component is not a symlink. Linux fs/stat.c:do_readlinkat(). */
export function readlink(ctx: Ctx, c: Creds, path: string): Step<string> {
  const last = lookupPath(ctx, c, path, false);
  if (isErrno(last)) return refuse(last, 'readlink', path);
  const inode = target(last);
  if (inode.kind !== 'symlink') return refuse('EINVAL', 'readlink', path);
  return done(inode.target);
}

/**
 * readdir(3) as opendir(3) does it: open(O_RDONLY|O_DIRECTORY), so ENOTDIR for a non-directory, then
 * read permission on the directory (may_open). Names sorted, without `.` and `..`.
 */
export function readdir(ctx: Ctx, c: Creds, path: string): Step<string[]> {
  const last = lookupPath(ctx, c, path, true);
  if (isErrno(last)) return refuse(last, 'readdir', path);
  const inode = target(last);
  if (inode.kind !== 'dir') return refuse('ENOTDIR', 'readdir', path);
  const denied = mayOpen(c, inode, MAY_READ);
  if (denied) return refuse(denied, 'readdir', path);
  return done([...inode.entries.keys()].sort());
}
