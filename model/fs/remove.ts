/** Syscalls that remove a name: unlink(2) and rmdir(2). */
import { done, isErrno, refuse, type Step } from './errno.js';
import { walk, type Ctx } from './namei.js';
import { mayDelete } from './permission.js';
import { removeEntry, tick, type DirInode } from './store.js';
import type { Creds } from './types.js';

/**
 * unlink(2). Linux fs/namei.c:do_unlinkat(): `.`/`..`/`/` → EISDIR; a missing name → ENOENT; a
 * trailing slash → EISDIR for a directory, else ENOTDIR (before any permission check); then
 * may_delete (EACCES, sticky EPERM, EISDIR). Darwin unlink(2): "[EPERM] The named file is a directory".
 */
export function unlink(ctx: Ctx, c: Creds, path: string): Step<void> {
  // Stryker disable next-line StringLiteral: walk() treats any mode but 'follow' and 'nofollow' as 'parent', so no input tells this literal from ''
  const last = walk(ctx, c, path, 'parent');
  if (isErrno(last)) return refuse(last, 'unlink', path);
  if (last.type !== 'norm') return refuse('EISDIR', 'unlink', path);
  const victim = last.child;
  if (!victim) return refuse('ENOENT', 'unlink', path);
  if (last.trailing) return refuse(victim.kind === 'dir' ? 'EISDIR' : 'ENOTDIR', 'unlink', path);
  const denied = mayDelete(c, last.dir, victim, false);
  if (denied === 'EISDIR' && ctx.personality === 'darwin') return refuse('EPERM', 'unlink', path);
  if (denied) return refuse(denied, 'unlink', path);
  return done(undefined, removeEntry(tick(ctx.s), last.dir.ino, last.name));
}

/**
 * rmdir(2). Linux fs/namei.c:do_rmdir(): `..` → ENOTEMPTY, `.` → EINVAL, `/` → EBUSY (reported as
 * EINVAL: EBUSY is not in the model's Errno); missing → ENOENT; may_delete (EACCES, sticky EPERM,
 * ENOTDIR, a symlink included); then a non-empty directory → ENOTEMPTY (ext4_rmdir).
 */
export function rmdir(ctx: Ctx, c: Creds, path: string): Step<void> {
  // Stryker disable next-line StringLiteral: walk() treats any mode but 'follow' and 'nofollow' as 'parent', so no input tells this literal from ''
  const last = walk(ctx, c, path, 'parent');
  if (isErrno(last)) return refuse(last, 'rmdir', path);
  if (last.type === 'dotdot') return refuse('ENOTEMPTY', 'rmdir', path);
  if (last.type !== 'norm') return refuse('EINVAL', 'rmdir', path);
  const victim = last.child;
  if (!victim) return refuse('ENOENT', 'rmdir', path);
  const denied = mayDelete(c, last.dir, victim, true);
  if (denied) return refuse(denied, 'rmdir', path);
  // mayDelete(…, true) has refused every non-directory (ENOTDIR): the victim is a directory here
  if ((victim as DirInode).entries.size > 0) return refuse('ENOTEMPTY', 'rmdir', path);
  return done(undefined, removeEntry(tick(ctx.s), last.dir.ino, last.name));
}
