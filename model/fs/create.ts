/** Syscalls that create a name: mkdir(2), symlink(2), and the ownership rule every creation shares. */
import { done, isErrno, refuse, type Step } from './errno.js';
import { S_ISGID, S_ISVTX, S_IRWXUGO } from './mode.js';
import { walk, type Ctx } from './namei.js';
import { mayCreate } from './permission.js';
import { createEntry, tick, type DirInode, type NewInode } from './store.js';
import type { Creds, FileKind } from './types.js';

/**
 * Owner, group and final mode of a new inode in `dir`. Linux fs/inode.c:inode_init_owner(): the caller's
 * fsuid; the caller's fsgid, unless `dir` is setgid (then `dir`'s group, and a new directory inherits
 * S_ISGID). Darwin (mkdir(2), open(2) man pages): "the group ID of the directory in which it is created".
 */
export function initOwner(ctx: Ctx, c: Creds, dir: DirInode, kind: FileKind, mode: number) {
  if (ctx.personality === 'darwin') return { uid: c.uid, gid: dir.gid, mode };
  if ((dir.mode & S_ISGID) === 0) return { uid: c.uid, gid: c.gid, mode };
  return { uid: c.uid, gid: dir.gid, mode: kind === 'dir' ? mode | S_ISGID : mode };
}

/**
 * mkdir(2). Linux fs/namei.c:do_mkdirat() → filename_create() → vfs_mkdir(): walk the parent (ENOENT,
 * ENOTDIR, EACCES, ELOOP), `.`/`..`/`/` → EEXIST, may_create (EEXIST before EACCES). The mode keeps
 * only rwx and S_ISVTX, minus the umask (vfs_prepare_mode).
 */
export function mkdir(ctx: Ctx, c: Creds, path: string, mode: number): Step<void> {
  // Stryker disable next-line StringLiteral: walk() treats any mode but 'follow' and 'nofollow' as 'parent', so no input tells this literal from ''
  const last = walk(ctx, c, path, 'parent');
  if (isErrno(last)) return refuse(last, 'mkdir', path);
  if (last.type !== 'norm') return refuse('EEXIST', 'mkdir', path);
  const denied = mayCreate(c, last.dir, last.child);
  if (denied) return refuse(denied, 'mkdir', path);
  const perm = mode & ~c.umask & (S_IRWXUGO | S_ISVTX);
  return create(ctx, last.dir, last.name, { kind: 'dir', ...initOwner(ctx, c, last.dir, 'dir', perm) });
}

/**
 * symlink(2). Linux fs/namei.c:do_symlinkat(): an empty target is ENOENT; the link's name must not
 * exist (EEXIST, dangling links included); a trailing slash on a new name is ENOENT (filename_create);
 * then may_create. Links are created 0777.
 */
export function symlink(ctx: Ctx, c: Creds, target: string, linkPath: string): Step<void> {
  if (target === '') return refuse('ENOENT', 'symlink', linkPath, target);
  // Stryker disable next-line StringLiteral: walk() treats any mode but 'follow' and 'nofollow' as 'parent', so no input tells this literal from ''
  const last = walk(ctx, c, linkPath, 'parent');
  if (isErrno(last)) return refuse(last, 'symlink', linkPath, target);
  if (last.type !== 'norm' || last.child) return refuse('EEXIST', 'symlink', linkPath, target);
  if (last.trailing) return refuse('ENOENT', 'symlink', linkPath, target);
  const denied = mayCreate(c, last.dir, undefined);
  if (denied) return refuse(denied, 'symlink', linkPath, target);
  return create(ctx, last.dir, last.name, { kind: 'symlink', target, ...initOwner(ctx, c, last.dir, 'symlink', 0o777) });
}

function create(ctx: Ctx, dir: DirInode, name: string, fields: NewInode): Step<void> {
  const [next] = createEntry(tick(ctx.s), dir.ino, name, fields);
  return done(undefined, next);
}
